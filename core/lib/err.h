/* err.h: the error every layer below HTTP returns (SQLite's result-code habit): a kind that says
 * what went wrong for the caller (the HTTP layer maps kinds to statuses in one table, http/reply.c;
 * the CLI maps them to exit codes), a stable code for clients and a human message in Chinese.
 * Uses nothing but libc. */
#ifndef SPOT_ERR_H
#define SPOT_ERR_H

#include <stddef.h>

typedef enum spot_errkind {
    SPOT_OK = 0,
    SPOT_E_INPUT,        /* malformed or unknown input (400) */
    SPOT_E_UNAUTH,       /* no session (401) */
    SPOT_E_FORBIDDEN,    /* role or organisation may not (403) */
    SPOT_E_NOTFOUND,     /* no such object (404) */
    SPOT_E_METHOD,       /* method not allowed (405) */
    SPOT_E_CONFLICT,     /* wrong state for this step (409) */
    SPOT_E_TOOLARGE,     /* body or file too large (413) */
    SPOT_E_MEDIA,        /* unsupported content type (415) */
    SPOT_E_INVALID,      /* well-formed but refused by a check or a rule decision (422) */
    SPOT_E_RULE,         /* a rule script failed (422, code rule_error) */
    SPOT_E_LIMIT,        /* throttled (429) */
    SPOT_E_DB,           /* storage failure (500; the detail goes to the log only) */
    SPOT_E_UNAVAILABLE,  /* busy or shutting down (503) */
} spot_errkind;

#define SPOT_ERR_MSG_MAX 1024

typedef struct spot_err {
    spot_errkind kind;
    char code[48];                  /* "unknown_field", "not_found", … */
    char message[SPOT_ERR_MSG_MAX]; /* UTF-8, never cut inside a character */
} spot_err;

/* Sets *e (when e is not NULL) to kind, code and printf(fmt, …); the message is cut at a UTF-8
 * character boundary to fit. Returns -1, so that `return spot_fail(e, …);` ends a failing function. */
int spot_fail(spot_err *e, spot_errkind kind, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A storage failure: logs detail (freed; it may contain SQL, never shown to users) to stderr with the
 * area's name and sets *e to SPOT_E_DB "internal" / "数据库错误". Returns -1. */
int spot_fail_db(spot_err *e, const char *area, char *detail);

/* A rule failure: sets *e to SPOT_E_RULE "rule_error" with the host's message detail (freed), which
 * names the rule file and line. Returns -1. */
int spot_fail_rule(spot_err *e, char *detail);

/* The length of the longest prefix of s (len bytes) no longer than max that does not end inside a
 * UTF-8 sequence; invalid bytes count as one character each. */
size_t spot_utf8_cut(const char *s, size_t len, size_t max);

/* Replaces every byte of s that is not part of a well-formed UTF-8 sequence by '?', in place, so
 * that a message quoting client input always encodes as JSON. Returns s. */
char *spot_utf8_clean(char *s);

/* printf into a new malloc'd string (caller frees), or NULL out of memory: for *err messages. */
char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
