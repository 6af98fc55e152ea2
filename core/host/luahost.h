/* luahost.h: the sandboxed Lua host (STYLE.md "Lua sandbox"). Each state is built library by
 * library, loads text only, keeps every script's environment apart and frozen, and runs every call
 * under an instruction budget, a monotonic deadline and a memory ceiling. Rules are Lua files that
 * return a table of functions; the core calls them with JSON values converted to Lua tables.
 * Uses Lua 5.4, jansson, and stream.h for math.random. Nothing else calls lua_* directly.
 *
 * Layout (Redis's scripting host): luahost_run.c is the run context (allocator, budget, deadline,
 * interrupt, hook); luahost_sandbox.c builds a state library by library with frozen proxies,
 * named stubs and cost-bounded library functions; luahost_json.c is the one JSON <-> Lua
 * converter; luahost.c holds the entry points below; adminapi.c the console's admin API.
 *
 * Threads: ONE THREAD PER lua_State. An lh_state (and everything it returns that refers to it) is
 * used by one thread at a time, the thread that owns it (a worker owns its state like its SQLite
 * connection); no function here may be called on the same state from two threads, the only
 * exception being lh_interrupt (async-signal-safe, any thread). */
#ifndef SPOT_LUAHOST_H
#define SPOT_LUAHOST_H

#include <stddef.h>
#include <jansson.h>

typedef struct lh_limits {
    long instructions;   /* per call; default 50,000,000 */
    long millis;         /* per call, monotonic clock; default 2000 */
    size_t memory;       /* per state; default 64 MiB */
} lh_limits;

void lh_default_limits(lh_limits *lim);

typedef struct lh_state lh_state;

/* A new sandboxed state with no rules loaded. Returns NULL with *err set (caller frees). */
lh_state *lh_new(const lh_limits *lim, char **err);
void lh_free(lh_state *h);

/* Compiles src as text (chunk name "=rules/<name>.lua"), runs it in its own frozen environment
 * and keeps the table it returns as rule `name`, replacing any earlier one. Inside every rule,
 * the global `rules` gives read-only access to the other loaded rules (rules.calendar, ...).
 * Returns 0, or -1 with *err naming the file and line. On error the previous rule stays. */
int lh_load_rule(lh_state *h, const char *name, const char *src, size_t len, char **err);

/* Removes every loaded rule (before loading a new consistent set). */
void lh_clear_rules(lh_state *h);

/* Calls rules[rule][fn](args...) where args is a JSON array (borrowed) whose elements become the
 * Lua arguments (objects -> tables, arrays -> sequences, null -> nil). On success *ret is a new JSON
 * array of the results (tables -> objects or arrays). Returns 0, or -1 with *err naming the
 * script, line and message (also for budget, deadline and memory breaches).
 * When rules[rule][fn] is not a function but a data field (a list such as categories.industries or
 * sampling.strata) and args is empty, *ret is [that value]: the core reads the rules' data this way
 * instead of running Lua source of its own. */
int lh_call(lh_state *h, const char *rule, const char *fn, json_t *args, json_t **ret, char **err);

/* Reads rules[rule][key] without calling it: *value receives a new JSON reference of it
 * (converted as lh_call converts results), or NULL when it is nil or not convertible; *type (if not
 * NULL) its Lua type name ("nil", "table", "function", ...; a static string). Returns 0, or -1 with
 * *err (caller frees) when the rule is not loaded ("rule 'x' is not loaded"). */
int lh_rule_value(lh_state *h, const char *rule, const char *key, json_t **value, const char **type,
                  char **err);

/* ---- Row calls (the freeze's batch: core/domain/rulebatch.h) ----
 * A batch calls the same rule functions once per row, with argument tables built directly from C
 * values: no JSON per row. The host knows nothing of what the functions mean: the caller names
 * them, says which fields go into which argument table, and how the first result is read. */

enum { LH_FIELD_TEXT, LH_FIELD_INT, LH_FIELD_BOOL };   /* lh_field.type */

#define LH_ROW_FIELDS 64     /* fields of a row, keys of a result */
#define LH_ROW_ARGS 4        /* arguments of a row function */
#define LH_ROW_FNS 8         /* functions of one lh_rows */

typedef struct lh_field {
    const char *name;    /* key in the Lua table */
    int type;            /* LH_FIELD_TEXT: string; LH_FIELD_INT: integer; LH_FIELD_BOOL: boolean */
    int table;           /* row fields: the number of the argument table the field goes in (>= 0) */
} lh_field;

typedef struct lh_value {
    const char *s;       /* TEXT: the bytes (need not be NUL-terminated); NULL = nil */
    size_t len;          /* TEXT: length of s */
    long long i;         /* INT: the value; BOOL: non-zero = true */
    int nil;             /* INT, BOOL: 1 = nil (the key is absent, as JSON null in lh_call) */
} lh_value;

enum { LH_ARG_SHARED = -1 };   /* lh_rowfn.args[k]: the shared value instead of a field table */

typedef struct lh_rowfn {
    const char *rule, *fn;          /* rules[rule][fn], a function */
    int nargs;                      /* at most LH_ROW_ARGS */
    int args[LH_ROW_ARGS];          /* argument k: LH_ARG_SHARED, or field table number t: a new
                                       table holding the row's fields whose .table is t */
    const unsigned char *pass;      /* NULL, or pass[i] == 0 leaves field i out of this function's
                                       tables (the key is absent, the rule sees nil) */
    const lh_field *keys;           /* how the first result is read: nkeys > 0: a table (or a
                                       read-only proxy) whose raw fields keys[k] fill out[k]; */
    int nkeys;                      /* 0: the result itself fills out[0] as type result_type */
    int result_type;                /* LH_FIELD_* when nkeys == 0 */
} lh_rowfn;

typedef struct lh_rows lh_rows;

/* Opens row calls on h: checks that each fns[k].rule is loaded and its fn is a function (else an
 * error naming it), converts shared (borrowed JSON; NULL = nil) once into a read-only table that
 * every call shares (writing to it raises). fields[0 .. nfields-1] (at most LH_ROW_FIELDS)
 * describe the values of each row. While open, h serves only lh_rows_call, lh_rows_close and
 * lh_interrupt. Returns a handle (lh_rows_close frees it), or NULL with *err (caller frees). */
lh_rows *lh_rows_open(lh_state *h, json_t *shared, const lh_field *fields, int nfields,
                      const lh_rowfn *fns, int nfns, char **err);

/* Calls fns[fn] for one row (vals[0 .. nfields-1]) with the full per-call budget of lh_limits
 * (instructions, and a time window opening at the call's first budget check, at most 1,000
 * instructions in). The first result is read into out (nkeys values, or one): TEXT a string
 * (s, len; valid until the next lh_rows_call or lh_rows_close) or s = NULL; INT an integer or nil;
 * BOOL a boolean or nil. *type (if not NULL) receives the first result's Lua type name (static).
 * Returns 0, or -1 with *err (caller frees) naming rules/<file>.lua:<line> for a rule error or a
 * breach of the budget or the memory ceiling; the state stays usable. */
int lh_rows_call(lh_rows *r, int fn, const lh_value *vals, lh_value *out, const char **type, char **err);

/* Ends the row calls and frees r (NULL is fine). */
void lh_rows_close(lh_rows *r);

/* Runs a rule test file (chunk name "=rules/tests/<name>_test.lua") against the loaded rules. The
 * file returns a sequence of { "case name", function() ... end }; inside, `rules` is the loaded
 * rules and `eq(actual, expected [, msg])` compares deeply. *report is a new JSON object
 * {"passed":N,"failed":N,"failures":[{"case","error"}]} where error names file:line.
 * Returns 0 if it ran (even with failures), -1 with *err if the file itself fails to load. */
int lh_run_tests(lh_state *h, const char *name, const char *src, size_t len, json_t **report,
                 char **err);

/* Console (SPEC §5 POST /api/console, `spotcheck console`, `spotcheck run`): runs a chunk of
 * source text in the console environment of this state (persistent across calls on the same state;
 * `rules` visible, print captured). */
typedef struct lh_chunk {
    const char *name;              /* chunk name for messages: "console", "scripts/x.lua" */
    const char *src;               /* the source text (len bytes; text only, never bytecode) */
    size_t len;
    int expression;                /* 1: when "return " .. src compiles, that runs instead (lua.c's
                                      REPL), so an expression's values are the result */
    const char *const *argv;       /* NULL, or the script's arguments: the global `arg` is set to
                                      {[0] = argv[0], argv[1], ...} and the chunk receives */
    int argc;                      /*   argv[1 .. argc-1] as `...` */
} lh_chunk;

/* Runs c. *output: new string of everything printed (set also when it returns -1, so text printed
 * before an error is not lost); *result: new string of the returned values (tostring,
 * tab-separated) or NULL. Returns 0, or -1 with *err (caller frees): "name:line: message" and a
 * traceback, or the compile error. */
int lh_run_chunk(lh_state *h, const lh_chunk *c, char **output, char **result, char **err);

/* Whether src is an incomplete chunk: neither src nor "return " .. src compiles and src's syntax
 * error is at <eof> (lua.c's rule; the interactive console reads another line). Compiles only. */
int lh_chunk_incomplete(lh_state *h, const char *src, size_t len);

/* lh_run_chunk of code with name "console" and expression 1. */
int lh_console(lh_state *h, const char *code, size_t len, char **output, char **result, char **err);

/* Asks the state's running call to stop at its next hook (for Ctrl-C in the console). Safe to call
 * from a signal handler or another thread. */
void lh_interrupt(lh_state *h);

/* Lowers the budget of every following call on h (lh_call, lh_load_rule, lh_run_chunk, row calls,
 * ...) to at most cap->instructions and cap->millis (a field <= 0: not lowered); NULL removes the
 * cap. For callers whose role may spend less than the configured limits (a planner's
 * POST /api/rules/eval): the caller sets it before and removes it after its call. */
void lh_set_call_cap(lh_state *h, const lh_limits *cap);

/* Admission of runs of Lua whose cost a request chooses (console code, a candidate rule's top
 * level and tests, rule evaluations with arbitrary arguments): at most `slots` of them run at once
 * in the whole process, so that with N request threads N - slots stay free for everything else.
 * Returns 1 when admitted (call lh_gate_leave when done), 0 when all slots are taken: the caller
 * refuses at once instead of queueing (a waiting thread would be as blocked as a running one).
 * Thread-safe. slots < 1 counts as 1. */
int lh_gate_enter(int slots);
void lh_gate_leave(void);

/* Bytes currently allocated by the state. */
size_t lh_memory(lh_state *h);

/* For extensions (the admin API of the console): registers a C function table under a global name
 * in the console environment only. fns is a NULL-terminated luaL_Reg-compatible array. */
struct luaL_Reg;
int lh_console_register(lh_state *h, const char *global, const struct luaL_Reg *fns, void *ud);

#endif

/* Conventions of luahost.c (documentation only; no declarations below):
 * - JSON -> Lua: object -> table with string keys; array -> sequence (1-based); integer -> integer;
 *   real -> float; string, true/false as is; null -> nil everywhere (an object member that is null
 *   is absent, an array element that is null leaves a hole). An empty JSON array is remembered as
 *   an array. Nesting deeper than 64 levels is an error.
 * - Lua -> JSON: nil -> null; integer -> integer; float -> real (integral floats stay reals; NaN and
 *   infinities are errors); strings must be UTF-8; a table whose keys are exactly 1..n (n >= 1) ->
 *   array; an empty table -> {} unless it came from an empty JSON array or was marked with the
 *   sandbox global json_array(t); any other table -> object, integer and float keys written in
 *   decimal, other key types an error. Depth limit 64, cycles are errors, functions, threads and
 *   userdata are errors. Frozen proxies (rules.x.y) convert as the table behind them.
 * - Globals: each script has its own environment; assigning a global only changes that script's
 *   own table. Library tables, `rules` and every table read through `rules` are read-only proxies.
 *   Tables returned by a rule *function* are not copied: callers must not modify them (rawset is
 *   refused on proxies and on tables whose metatable is protected by a __metatable field).
 * - Patterns: string.find/match/gmatch/gsub are Lua 5.4.4's own, vendored with step counting
 *   (third_party/lua/lstrmatch.c);
 *   a call taking more than 2,000,000 + 64 * #subject steps fails with "pattern too complex".
 * - Cost: C library functions whose work depends on their arguments (string.rep, table.concat,
 *   table.sort, utf8.char, ...) charge that work to the call's instruction budget before running;
 *   allocation during a call costs one instruction per 16 bytes. xpcall's message handler runs
 *   after unwinding, as an ordinary call under the budget. Converting results to JSON stops when
 *   their estimated size passes the memory ceiling.
 * - math.random uses the state's stream.h generator; math.randomseed(x) restarts it from the prefix
 *   "spotcheck-lua-rng" .. x (replayable), math.randomseed() from fresh OS randomness.
 * - lh_console sets *output (caller frees) also when it returns -1, so printed text before the
 *   error is not lost; *result stays NULL then. Output beyond 1 MiB is truncated with a note.
 * - Limits <= 0 in lh_limits mean the default. */
