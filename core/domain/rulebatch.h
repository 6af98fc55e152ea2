/* rulebatch.h: the freeze's batch evaluation of units (SPEC §4.1): for every row the caller
 * supplies, eligibility.check(unit, task, history) and, when the decision's ok is true,
 * sampling.stratum(unit, task), remembering the outcome of each distinct tuple of the fields the
 * rules declare. Uses luahost.h (lh_rule_value and the generic row calls) and jansson.
 *
 * Declared inputs: each rule lists the fields it reads, as sequences of field names:
 * eligibility.unit_fields and eligibility.history_fields, sampling.unit_fields (rules/README.md).
 * check's unit and history tables hold only the fields eligibility declares, stratum's unit table
 * only those sampling declares: a rule that reads an undeclared field sees nil. A declared name the
 * batch does not supply is nil too. Because the rules are pure and the task is the same for the
 * whole batch, a unit's outcome is a function of the declared fields' values only: the batch
 * remembers the outcome of each distinct tuple of those values and calls Lua only for tuples it
 * has not seen yet (exactly the result of calling it for every unit). */
#ifndef SPOT_RULEBATCH_H
#define SPOT_RULEBATCH_H

#include <jansson.h>
#include "luahost.h"

enum { RB_UNIT = 0, RB_HISTORY = 1 };   /* lh_field.table of a batch's fields */

typedef struct rb_result {
    int ok;              /* the decision's ok (check must return a table whose ok is a boolean) */
    int decision;        /* 0, 1, 2 ... in order of first appearance in this batch: equal numbers
                            mean equal (ok, reason, clause) */
    const char *reason;  /* NUL-terminated UTF-8 ("" when the field is not a string); stable */
    const char *clause;  /*   until rulebatch_eval returns (one copy per distinct decision) */
    int stratum;         /* ok: index of sampling.stratum's result in rulebatch.strata, or -1 when
                            it returned an unknown name or no string; !ok: -1 */
    const char *stratum_name;   /* ok: the returned name (valid during the callback only) or NULL */
} rb_result;

typedef struct rulebatch {
    json_t *task;                      /* borrowed; converted once and shared by every unit as a
                                          read-only table (writing to it raises) */
    const lh_field *fields;            /* the fields the caller can supply, in vals order; .table
                                          is RB_UNIT or RB_HISTORY */
    int nfields;                       /* at most 64 */
    const char *const *strata;         /* the known stratum names, for rb_result.stratum */
    int nstrata;
    /* Fills vals[0 .. nfields-1] with the next unit; returns 1, 0 at the end, or -1 with *err set
     * (malloc'd) to stop the batch. Pointers in vals must stay valid until the next call. Only
     * the fields the rules declare are read (see rulebatch_fields); the others may be left unset. */
    int (*next)(void *ud, lh_value *vals, char **err);
    /* Receives each unit's outcome, in row order; returns 0, or -1 with *err set to stop. */
    int (*each)(void *ud, const rb_result *res, char **err);
    void *ud;
    int no_memo;                       /* 1: call the rules for every unit (tests; same result) */
} rulebatch;

/* Which of fields[0 .. nfields-1] (at most 64) the loaded eligibility and sampling rules declare:
 * used[i] = 1 if a batch over these fields reads field i, else 0. Lets the caller fetch only
 * those. Returns 0, or -1 with *err (caller frees) when a rule is missing or a list is malformed
 * (the same errors rulebatch_eval reports). */
int rulebatch_fields(lh_state *h, const lh_field *fields, int nfields, unsigned char *used, char **err);

/* Evaluates every unit b->next supplies and hands each outcome to b->each. A history table is
 * always passed (declared fields with table RB_HISTORY; nil ones absent). Budget: every call
 * into Lua (one per distinct tuple of declared values, or per unit with no_memo) gets the full
 * per-call budget of lh_limits (lh_rows_call); the memory ceiling is the state's as always. A
 * missing or malformed field list, a breach, a rule error, a decision that is not a table with a
 * boolean ok, or a non-UTF-8 reason/clause stops the batch: returns -1 with *err (caller frees)
 * naming rules/<file>.lua:<line> where there is one; the state stays usable. -1 also when next or
 * each fail (their *err is handed on). Returns 0 when every row was evaluated; *count (if not
 * NULL) receives the number of units evaluated in both cases. Callbacks must not call into h. */
int rulebatch_eval(lh_state *h, const rulebatch *b, long long *count, char **err);

#endif
