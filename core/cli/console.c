/* console.c: `spotcheck console` and `spotcheck run` (see console.h).
 *
 * Like lua.c: a line is first tried as an expression ("return " .. line, done by lh_console), then as
 * a statement; a chunk whose syntax error ends in "<eof>" is incomplete and the console reads more
 * lines with the ">> " prompt. The test compile happens inside the sandbox with its own `load` (text
 * only, nothing runs). SIGINT sets the session's interrupt flag while a chunk runs (the chunk stops
 * at its next hook, the SQL query at its next progress check) and clears the line at the prompt. */
#define _GNU_SOURCE   /* memmem */
#include "console.h"
#include "adminapi.h"
#include "config.h"
#include "db.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <editline/readline.h>

#define CONSOLE_MILLIS 600000L                  /* per chunk: 10 minutes (Ctrl-C stops earlier) */
#define CONSOLE_INSTRUCTIONS 100000000000L      /* per chunk: effectively bounded by the time */
#define CONSOLE_MEMORY ((size_t)512 << 20)      /* per session */
#define CONSOLE_HISTORY 1000                    /* lines kept in ~/.spotcheck_history */
#define SCRIPT_MAX ((size_t)16 << 20)           /* size of a script for `run` */

static adminapi *volatile g_session;
static volatile sig_atomic_t g_running;   /* a chunk is running */
static volatile sig_atomic_t g_sigint;    /* SIGINT since last cleared */

static void on_sigint(int sig)
{
    (void)sig;
    g_sigint = 1;
    if (g_running && g_session) adminapi_interrupt(g_session);
}

static void install_sigint(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;   /* no SA_RESTART: a read at the prompt returns EINTR */
    sigaction(SIGINT, &sa, NULL);
}

/* The terminal's settings at start, restored at exit (g_tty_saved says they were changed). */
static struct termios g_tty;
static int g_tty_saved;

static void restore_tty(void)
{
    if (g_tty_saved) tcsetattr(STDIN_FILENO, TCSANOW, &g_tty);
    g_tty_saved = 0;
}

/* libedit prints the prompt before it puts the terminal in raw mode, so a Ctrl-D typed right after
 * the prompt (or while a chunk runs) reaches the kernel's line discipline in canonical mode, where
 * it becomes an end-of-line marker that libedit then reads as a NUL byte: the Ctrl-D is lost.
 * With VEOF disabled for the session, Ctrl-D stays the plain byte 0x04 whichever mode it arrives
 * in, and libedit's emacs binding ends the input on an empty line as usual. */
static void keep_ctrl_d(void)
{
    struct termios t;
    if (tcgetattr(STDIN_FILENO, &g_tty) != 0) return;
    t = g_tty;
    t.c_cc[VEOF] = _POSIX_VDISABLE;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &t) != 0) return;
    g_tty_saved = 1;
    atexit(restore_tty);
}

/* The audit actor of a command-line run: "cli:<unix user>". Into out. */
static void cli_actor(char *out, size_t n)
{
    struct passwd *pw = getpwuid(getuid());
    if (pw && pw->pw_name) snprintf(out, n, "cli:%s", pw->pw_name);
    else snprintf(out, n, "cli:uid%ld", (long)getuid());
}

/* A console session for the command line: a read-write connection (audit) and the session with the
 * console limits. Returns 0, or -1 with *err set. */
static int open_cli(sqlite3 **db, adminapi **a, char **err)
{
    *a = NULL;
    *db = db_open(spot_config.db_path, 0, err);
    if (!*db) return -1;
    lh_limits lim = spot_config.lua;
    if (lim.millis < CONSOLE_MILLIS) lim.millis = CONSOLE_MILLIS;
    if (lim.instructions < CONSOLE_INSTRUCTIONS) lim.instructions = CONSOLE_INSTRUCTIONS;
    if (lim.memory < CONSOLE_MEMORY) lim.memory = CONSOLE_MEMORY;
    *a = adminapi_open(*db, spot_config.db_path, &lim, err);
    if (!*a) {
        db_close(*db);
        *db = NULL;
        return -1;
    }
    g_session = *a;
    return 0;
}

static void close_cli(sqlite3 *db, adminapi *a)
{
    g_session = NULL;
    adminapi_close(a);
    db_close(db);
}

/* Appends to *buf (growing, NUL-terminated) n bytes of s. Returns 0 or -1 (no memory). */
static int buf_add(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 256;
        while (c < *len + n + 1) c *= 2;
        char *p = realloc(*buf, c);
        if (!p) return -1;
        *buf = p;
        *cap = c;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

/* Whether code is an incomplete chunk (the console then reads another line). Compiles only. */
static int incomplete(adminapi *a, const char *code, size_t len)
{
    return adminapi_incomplete(a, code, len);
}

/* Prints the output, the result and the error of a run. */
static void show(const char *out, const char *res, const char *err)
{
    if (out && *out) {
        fputs(out, stdout);
        if (out[strlen(out) - 1] != '\n') fputc('\n', stdout);
    }
    if (res) printf("%s\n", res);
    fflush(stdout);
    if (err) {
        fprintf(stderr, "%s\n", err);
        fflush(stderr);
    }
}

/* Audits and runs one chunk. Returns 0 if it ran without error. */
static int run_chunk(sqlite3 *db, adminapi *a, const char *actor, const char *code, size_t len)
{
    char *err = NULL;
    if (adminapi_audit(db, actor, "console.run", "console", "cli", code, len, NULL, &err) != 0) {
        fprintf(stderr, "not run: cannot write the audit record: %s\n", err);
        free(err);
        return -1;
    }
    char *out = NULL, *res = NULL;
    g_sigint = 0;
    g_running = 1;
    int rc = adminapi_run(a, code, len, &out, &res, &err);
    g_running = 0;
    show(out, res, rc ? (err ? err : "error") : NULL);
    free(out);
    free(res);
    free(err);
    return rc;
}

/* The history file, in a static buffer; NULL without $HOME. Created 0600 (it holds code). */
static const char *history_path(void)
{
    static char path[1200];
    const char *home = getenv("HOME");
    if (!home || !*home) return NULL;
    snprintf(path, sizeof path, "%s/.spotcheck_history", home);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) close(fd);
    return path;
}

/* Reads one line without the newline into a new string; NULL at end of input (or on an interrupted
 * read: then g_sigint is set). */
static char *read_line(int tty, const char *prompt)
{
    if (tty) return readline(prompt);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (n < 0) {
        free(line);
        return NULL;
    }
    if (n > 0 && line[n - 1] == '\n') line[--n] = '\0';
    if (n > 0 && line[n - 1] == '\r') line[--n] = '\0';
    return line;
}

int console_main(int argc, char **argv)
{
    (void)argv;
    if (argc > 0) {
        fprintf(stderr, "usage: spotcheck console\n");
        return 2;
    }
    char *err = NULL;
    sqlite3 *db;
    adminapi *a;
    if (open_cli(&db, &a, &err) != 0) {
        fprintf(stderr, "spotcheck console: %s\n", err);
        free(err);
        return 1;
    }
    char actor[300];
    cli_actor(actor, sizeof actor);
    int tty = isatty(STDIN_FILENO);
    const char *hist = NULL;
    if (tty) {
        /* libedit needs a multibyte locale to take Chinese input; fall back to C.UTF-8 */
        const char *loc = setlocale(LC_CTYPE, "");
        if (!loc || !strcmp(loc, "C") || !strcmp(loc, "POSIX")) setlocale(LC_CTYPE, "C.UTF-8");
        keep_ctrl_d();
        rl_readline_name = "spotcheck";
        rl_inhibit_completion = 1;
        stifle_history(CONSOLE_HISTORY);
        hist = history_path();
        if (hist) read_history(hist);
        printf("spotcheck 控制台：Lua 5.4，运行在与服务器规则相同的沙箱中，数据只读。\n"
               "help() 列出管理接口；Ctrl-C 中止正在运行的代码；Ctrl-D 退出。\n");
        fflush(stdout);
    }
    install_sigint();

    char *chunk = NULL;
    size_t len = 0, cap = 0;
    int failures = 0;
    for (;;) {
        g_sigint = 0;
        char *line = read_line(tty, len ? ">> " : "> ");
        if (!line) {
            if (g_sigint && tty) {   /* Ctrl-C at the prompt: drop the pending chunk */
                fputc('\n', stdout);
                fflush(stdout);
                len = 0;
                continue;
            }
            if (len) {   /* end of input inside a chunk: run it to report its error */
                if (run_chunk(db, a, actor, chunk, len) != 0) failures++;
            }
            break;
        }
        if (tty && g_sigint) {   /* the line editor saw Ctrl-C but returned a line: discard */
            free(line);
            len = 0;
            fputc('\n', stdout);
            continue;
        }
        if (len && buf_add(&chunk, &len, &cap, "\n", 1) != 0) break;
        if (buf_add(&chunk, &len, &cap, line, strlen(line)) != 0) {
            free(line);
            break;
        }
        free(line);
        if (len == 0) continue;
        if (incomplete(a, chunk, len)) continue;
        if (tty) {
            add_history(chunk);
            if (hist) write_history(hist);
        }
        if (run_chunk(db, a, actor, chunk, len) != 0) failures++;
        len = 0;
    }
    if (tty) fputc('\n', stdout);
    restore_tty();
    free(chunk);
    close_cli(db, a);
    return !tty && failures ? 1 : 0;
}

/* Reads a script file (regular, at most SCRIPT_MAX bytes) into a new buffer. */
static char *read_script(const char *path, size_t *len, char **err)
{
    char *buf = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        *err = xprintf("cannot read %s: %s", path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode) || (size_t)st.st_size > SCRIPT_MAX) {
        *err = xprintf("%s: not a regular file of at most %zu bytes", path, SCRIPT_MAX);
        goto done;
    }
    buf = malloc((size_t)st.st_size + 1);
    size_t n = 0;
    while (buf && n < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        n += (size_t)r;
    }
    if (!buf || n != (size_t)st.st_size) {
        *err = xprintf("cannot read %s", path);
        free(buf);
        buf = NULL;
        goto done;
    }
    buf[n] = '\0';
    *len = n;
done:
    if (fd >= 0) close(fd);
    return buf;
}

int console_run_main(int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "usage: spotcheck run FILE.lua [ARGS...]\n");
        return 2;
    }
    const char *path = argv[0];
    char *err = NULL, *code = NULL, *out = NULL, *res = NULL;
    sqlite3 *db = NULL;
    adminapi *a = NULL;
    json_t *extra = NULL;
    int rc = 1;
    size_t len = 0;
    code = read_script(path, &len, &err);
    if (!code) goto done;
    if (open_cli(&db, &a, &err) != 0) goto done;

    /* arg = {[0] = FILE, ARGS...}; the script runs with its own chunk name, so errors read
     * "FILE:LINE: message" */
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    extra = json_pack("{ss s[]}", "file", path, "args");
    for (int i = 1; extra && i < argc; i++) {
        char *clean = adminapi_utf8(argv[i], strlen(argv[i]), 4096);
        if (clean) json_array_append_new(json_object_get(extra, "args"), json_string(clean));
        free(clean);
    }
    /* a first line starting with '#' (#!/usr/bin/env …) is blanked, keeping line numbers */
    if (len > 0 && code[0] == '#')
        for (size_t i = 0; i < len && code[i] != '\n'; i++) code[i] = ' ';
    char name[64];
    snprintf(name, sizeof name, "%s", strlen(path) < sizeof name - 2 ? path : base);
    lh_chunk chunk = { .name = name, .src = code, .len = len, .expression = 0,
                       .argv = (const char *const *)argv, .argc = argc };

    char actor[300], object[300];
    cli_actor(actor, sizeof actor);
    snprintf(object, sizeof object, "script:%s", base);
    if (adminapi_audit(db, actor, "script.run", object, "cli", code, len, extra, &err) != 0) goto done;
    install_sigint();
    g_running = 1;
    int r = adminapi_run_chunk(a, &chunk, &out, &res, &err);
    g_running = 0;
    if (out && *out) {
        fputs(out, stdout);
        fflush(stdout);
    }
    if (r == 0) rc = 0;
    else if (g_sigint) rc = 130;
done:
    if (err) fprintf(stderr, "spotcheck run: %s\n", err);
    free(err);
    free(code);
    free(out);
    free(res);
    json_decref(extra);
    if (db) close_cli(db, a);
    return rc;
}
