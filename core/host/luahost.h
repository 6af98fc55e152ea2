/* luahost.h: the sandboxed Lua host (STYLE.md "Lua sandbox"). Each state is built library by
 * library, loads text only, keeps every script's environment apart and frozen, and runs every call
 * under an instruction budget, a monotonic deadline and a memory ceiling. Rules are Lua files that
 * return a table of functions; the core calls them with JSON values converted to Lua tables.
 * Uses Lua 5.4, jansson, and stream.h for math.random. Nothing else calls lua_* directly. */
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

/* ---- Batch evaluation of units (the freeze step; SPEC §4.1) ----
 * lh_eval_units runs, for every row the caller supplies, eligibility.check(unit, task, history)
 * and, when the decision's ok is true, sampling.stratum(unit, task), without any JSON: the unit and
 * history tables are built directly from C values described by lh_field.
 *
 * Declared inputs: each rule lists the fields it reads, as sequences of field names:
 * eligibility.unit_fields and eligibility.history_fields, sampling.unit_fields (rules/README.md).
 * check's unit and history tables hold only the fields eligibility declares, stratum's unit table
 * only those sampling declares: a rule that reads an undeclared field sees nil. A declared name the
 * batch does not supply is nil too. Because the rules are pure and the task is the same for the
 * whole batch, a unit's outcome is a function of the declared fields' values only: the batch
 * remembers the outcome of each distinct tuple of those values and calls Lua only for tuples it
 * has not seen yet (exactly the result of calling it for every unit). */

enum { LH_FIELD_TEXT, LH_FIELD_INT, LH_FIELD_BOOL };   /* lh_field.type */
enum { LH_IN_UNIT, LH_IN_HISTORY };                    /* lh_field.table */

typedef struct lh_field {
    const char *name;    /* key in the Lua table */
    int type;            /* LH_FIELD_TEXT: string; LH_FIELD_INT: integer; LH_FIELD_BOOL: boolean */
    int table;           /* LH_IN_UNIT or LH_IN_HISTORY */
} lh_field;

typedef struct lh_value {
    const char *s;       /* TEXT: the bytes (need not be NUL-terminated); NULL = nil */
    size_t len;          /* TEXT: length of s */
    long long i;         /* INT: the value; BOOL: non-zero = true */
    int nil;             /* INT, BOOL: 1 = nil (the key is absent, as JSON null in lh_call) */
} lh_value;

typedef struct lh_unit_result {
    int ok;              /* the decision's ok (check must return a table whose ok is a boolean) */
    int decision;        /* 0, 1, 2 ... in order of first appearance in this batch: equal numbers
                            mean equal (ok, reason, clause) */
    const char *reason;  /* NUL-terminated UTF-8 ("" when the field is not a string); stable */
    const char *clause;  /*   until lh_eval_units returns (one copy per distinct decision) */
    int stratum;         /* ok: index of sampling.stratum's result in lh_batch.strata, or -1 when
                            it returned an unknown name or no string; !ok: -1 */
    const char *stratum_name;   /* ok: the returned name (valid during the callback only) or NULL */
} lh_unit_result;

typedef struct lh_batch {
    json_t *task;                      /* borrowed; converted once and shared by every unit as a
                                          read-only table (writing to it raises) */
    const lh_field *fields;            /* the fields the caller can supply, in vals order */
    int nfields;                       /* at most 64 */
    const char *const *strata;         /* the known stratum names, for lh_unit_result.stratum */
    int nstrata;
    /* Fills vals[0 .. nfields-1] with the next unit; returns 1, 0 at the end, or -1 with *err set
     * (malloc'd) to stop the batch. Pointers in vals must stay valid until the next call. Only
     * the fields the rules declare are read (see lh_batch_fields); the others may be left unset. */
    int (*next)(void *ud, lh_value *vals, char **err);
    /* Receives each unit's outcome, in row order; returns 0, or -1 with *err set to stop. */
    int (*each)(void *ud, const lh_unit_result *res, char **err);
    void *ud;
    int no_memo;                       /* 1: call the rules for every unit (tests; same result) */
} lh_batch;

/* Which of fields[0 .. nfields-1] (at most 64) the loaded eligibility and sampling rules declare:
 * used[i] = 1 if a batch over these fields reads field i, else 0. Lets the caller fetch only
 * those. Returns 0, or -1 with *err (caller frees) when a rule is missing or a list is malformed
 * (the same errors lh_eval_units reports). */
int lh_batch_fields(lh_state *h, const lh_field *fields, int nfields, unsigned char *used, char **err);

/* Evaluates every unit b->next supplies and hands each outcome to b->each. A history table is
 * always passed (declared fields with table LH_IN_HISTORY; nil ones absent). Budget: every call
 * into Lua (one per distinct tuple of declared values, or per unit with no_memo) gets the full
 * per-call budget of lh_limits (instructions and time, re-armed per unit; the time window opens
 * at the unit's first budget check, at most LH_HOOK_COUNT instructions in); the memory ceiling is
 * the state's as always. A missing or malformed field list, a breach, a rule error, a decision
 * that is not a table with a boolean ok, or a non-UTF-8 reason/clause stops the batch: returns -1
 * with *err (caller frees) naming rules/<file>.lua:<line> where there is one; the state stays
 * usable. -1 also when next or each fail (their *err is handed on). Returns 0 when every row was
 * evaluated; *count (if not NULL) receives the number of units evaluated in both cases.
 * Callbacks must not call into h. */
int lh_eval_units(lh_state *h, const lh_batch *b, long long *count, char **err);

/* Runs a rule test file (chunk name "=rules/tests/<name>_test.lua") against the loaded rules. The
 * file returns a sequence of { "case name", function() ... end }; inside, `rules` is the loaded
 * rules and `eq(actual, expected [, msg])` compares deeply. *report is a new JSON object
 * {"passed":N,"failed":N,"failures":[{"case","error"}]} where error names file:line.
 * Returns 0 if it ran (even with failures), -1 with *err if the file itself fails to load. */
int lh_run_tests(lh_state *h, const char *name, const char *src, size_t len, json_t **report,
                 char **err);

/* Console (SPEC §5 POST /api/console, `spotcheck console`): runs code in the console environment
 * of this state (persistent across calls on the same state; `rules` visible, print captured).
 * If code is an expression its values are the result ("return " is tried first, as lua.c does).
 * *output: new string of everything printed; *result: new string of the returned values
 * (tostring, tab-separated) or NULL. Returns 0, or -1 with *err (file:line message). */
int lh_console(lh_state *h, const char *code, size_t len, char **output, char **result, char **err);

/* Asks the state's running call to stop at its next hook (for Ctrl-C in the console). Safe to call
 * from a signal handler or another thread. */
void lh_interrupt(lh_state *h);

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
 * - Patterns: string.find/match/gmatch/gsub use the host's own bounded matcher (Lua 5.4 semantics);
 *   a call taking more than 2,000,000 + 64 * #subject steps fails with "pattern too complex".
 * - math.random uses the state's stream.h generator; math.randomseed(x) restarts it from the prefix
 *   "spotcheck-lua-rng" .. x (replayable), math.randomseed() from fresh OS randomness.
 * - lh_console sets *output (caller frees) also when it returns -1, so printed text before the
 *   error is not lost; *result stays NULL then. Output beyond 1 MiB is truncated with a note.
 * - Limits <= 0 in lh_limits mean the default. */
