/* validate.h: checks and normalisation of directory input (SPEC §7, §8): USCC per GB 32100 (with the
 * GB 11714 organisation code check for generators), 身份证号 per GB 11643 and its masking, the code
 * lists (code or Chinese label), booleans, dates, UTF-8; the field descriptors shared by the JSON API
 * and the CSV import; and the industry set, which asks the categories rule (never a list in C).
 * Uses clock.h, luahost.h and jansson. */
#ifndef SPOT_VALIDATE_H
#define SPOT_VALIDATE_H

#include <stddef.h>
#include <jansson.h>
#include "luahost.h"

/* A code with its Chinese label and an optional further accepted spelling. Lists end with code NULL. */
struct v_choice {
    const char *code;
    const char *label;
    const char *alt;
};

extern const struct v_choice V_RISK[];            /* red 重大 · orange 较大 · yellow 一般 · blue 低 */
extern const struct v_choice V_CREDIT[];          /* good 守信 · normal 一般 · dishonest 失信 */
extern const struct v_choice V_UNIT_STATUS[];     /* active 正常 · closed 注销 */
extern const struct v_choice V_PERSON_STATUS[];   /* active 在职 · inactive 离岗 */
extern const struct v_choice V_LEVEL[];           /* county 县 · township 乡 */
extern const struct v_choice V_GENDER[];          /* male 男 · female 女 */

/* The code for s (a code, case-insensitive, or a label), or NULL. Borrowed static string. */
const char *v_choice_code(const struct v_choice *c, const char *s);
/* The label of code, or code itself when unknown. */
const char *v_choice_label(const struct v_choice *c, const char *code);

/* 是/否, true/false, 1/0 (also yes/no, y/n). Returns 0 with *out set, or -1. */
int v_bool(const char *s, int *out);

/* USCC (GB 32100): 18 characters of 0-9 A-H J-N P-R T U W-Y, a known registration-authority code,
 * six-digit region code and the check character. Lower case is accepted; norm (19 bytes) receives
 * the upper-case form. Returns 1 if valid, else 0 with *why a static Chinese reason. */
int uscc_check(const char *s, char norm[19], const char **why);
/* The GB 32100 check character for 17 characters, or 0 if one is outside the character set. */
char uscc_check_char(const char *s17);
/* The GB 11714 check character ('0'-'9' or 'X') for an 8-character organisation code body, or 0. */
char orgcode_check_char(const char *s8);

/* 身份证号 (GB 11643): 17 digits and a check character 0-9/X (ISO 7064 MOD 11-2), a real birth date
 * not after today ("YYYY-MM-DD", NULL = today). norm (19 bytes) receives it with an upper-case X.
 * Returns 1 if valid, else 0 with *why a static Chinese reason. */
int idno_check(const char *s, const char *today, char norm[19], const char **why);
/* The check character for 17 digits, or 0. */
char idno_check_char(const char *s17);
/* Masked form for display and logs: first 6 and last 4 characters, 8 asterisks between
 * ("370322********1234"); out needs 19 bytes. Short input is fully masked. */
void idno_mask(const char *id, char out[19]);

/* Masked phone number for every role but admin (SPEC §7 personal data, like the 身份证号): the
 * first 3 and last 4 characters with "****" between ("139****0000"); shorter than 8 or longer than
 * 32 characters: "****"; "" stays "". */
#define V_PHONE_MASKED 16
void phone_mask(const char *phone, char out[V_PHONE_MASKED]);

/* Whether buf is well-formed UTF-8 (no overlongs, no surrogates). */
int utf8_valid(const void *buf, size_t len);

/* ---- the industry set: names from rules/categories.lua ---------------------------------------- */

#define V_MAX_INDUSTRIES 64
#define V_MAX_CATEGORIES 8

typedef struct industry_set {
    lh_state *lua;                         /* borrowed; NULL once detached (industry_set_detach) */
    int n;                                 /* names from the rule's `industries`, in rule order */
    char name[V_MAX_INDUSTRIES][64];
    char category[V_MAX_INDUSTRIES][16];   /* a category code of the rule ("key", "general") */
    int ncat;                              /* the rule's category codes, in order of first use */
    char cat_code[V_MAX_CATEGORIES][16];
    char cat_label[V_MAX_CATEGORIES][32];  /* from the rule's category_labels ("" when none) */
    int nalias;                            /* spellings resolved through the rule's canonical() */
    char alias[V_MAX_INDUSTRIES][96];
    int alias_to[V_MAX_INDUSTRIES];        /* index into name, or -1 when unknown */
} industry_set;

/* Reads the industry list with each industry's category and the category labels from the
 * categories rule in lua. Must run on the thread that owns lua (one thread per lua_State).
 * Returns 0, or -1 with *err (caller frees). */
int industries_load(lh_state *lua, industry_set *set, char **err);

/* Cuts the set loose from its Lua state, on the thread that owns it: first resolves every alias
 * the rule lists through its canonical(), then forgets the state; afterwards the set answers from
 * what it holds without calling Lua, so another thread may use it (the import's reader).
 * Returns 0, or -1 with *err (caller frees). */
int industry_set_detach(industry_set *set, char **err);

/* The canonical industry name for s (a listed name or an alias; on an attached set, any spelling
 * the rule's canonical() knows, asked once and remembered), or NULL when the rule does not know it.
 * Borrowed from set. */
const char *industry_canonical(industry_set *set, const char *s);
/* The category code of a canonical name, or NULL. */
const char *industry_category(const industry_set *set, const char *name);
/* The category code for s, a code or a label of the rule's category_labels, or NULL. */
const char *industry_category_code(const industry_set *set, const char *s);
/* The label of a category code ("" when the rule gives none), or NULL for an unknown code. */
const char *industry_category_label(const industry_set *set, const char *code);

/* ---- field descriptors ---------------------------------------------------------------------------- */

enum vf_type {
    VF_TEXT,      /* trimmed text up to maxlen characters (bytes / 3 for CJK is not counted: bytes) */
    VF_USCC,
    VF_IDNO,
    VF_CHOICE,    /* choices */
    VF_BOOL,      /* stored 0/1 */
    VF_COUNT,     /* integer >= 0 */
    VF_INDUSTRY,
    VF_DATE,      /* YYYY-MM-DD; empty allowed unless required */
    VF_TAGS,      /* several, separated by ；or ; (or a JSON array); stored as a JSON array */
    VF_PHONE,     /* digits, spaces, + - ( ) */
};

typedef struct vfield {
    const char *name;     /* JSON / English CSV header */
    const char *label;    /* Chinese CSV header */
    int type;             /* enum vf_type */
    int required;         /* must be present and non-empty */
    const struct v_choice *choices;
    const char *dflt;     /* stored value for a new row when absent */
    int maxlen;           /* bytes, for text */
} vfield;

/* Normalises the text in (NUL-terminated, may be "") for field f into out (cap bytes): codes for
 * choices, "0"/"1" for booleans, canonical industry names, upper-case keys, a JSON array for tags.
 * Empty input for a non-required field yields "" (the caller applies defaults). ind is needed for
 * VF_INDUSTRY; today (NULL = now) for VF_IDNO. Returns 0, or -1 with a Chinese reason in why. */
int vf_normalize(const vfield *f, const char *in, char *out, size_t cap, industry_set *ind,
                 const char *today, char *why, size_t whycap);

/* vf_normalize for a value given with its length (len bytes, need not be terminated; the import's
 * hot path): same checks and output; *outlen (may be NULL) receives strlen(out). */
int vf_normalize_n(const vfield *f, const char *in, size_t len, char *out, size_t cap, size_t *outlen,
                   industry_set *ind, const char *today, char *why, size_t whycap);

/* Text form of a JSON value for vf_normalize: strings as is, integers, true -> "1", false -> "0",
 * null -> "", arrays of strings joined with ";" (for tags). Returns 0, or -1 for other types. */
int vf_json_text(json_t *v, char *out, size_t cap);

/* The field named name in a table ending with name NULL, or NULL. */
const vfield *vf_find(const vfield *fields, const char *name);

/* Human display value of a stored one (label for choices, 是/否 for booleans, tags joined by "；").
 * Writes into out. */
void vf_display(const vfield *f, const char *stored, char *out, size_t cap);

#endif
