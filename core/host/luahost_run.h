/* luahost_run.h: the run context of one Lua state (the part Redis keeps in script.c): the allocator
 * with exact accounting and a memory ceiling, the instruction budget, the monotonic deadline and the
 * interrupt flag, all checked by one count hook. It knows nothing of the sandbox, rules or JSON.
 * Internal to core/host/. Uses luahost.h (lh_limits) and Lua 5.4's C API (lua_Alloc, hooks). */
#ifndef SPOT_LUAHOST_RUN_H
#define SPOT_LUAHOST_RUN_H

#include <stdatomic.h>
#include <stddef.h>
#include <lua.h>
#include "luahost.h"

#define LHR_HOOK_COUNT 1000           /* instructions between two budget checks */
#define LHR_MSG 256
#define LHR_BYTES_PER_STEP 16         /* bytes allocated during a call that cost one instruction */
#define LHR_ALLOC_CHUNK (64 * 1024)   /* allocation charged (and the deadline checked) per chunk */
#define LHR_ALLOC_SMALL 4096          /* largest block still granted to a breached call */

enum { LHR_NONE = 0, LHR_INSTRUCTIONS, LHR_TIME, LHR_INTERRUPT };

typedef struct lh_run {
    lh_limits lim;             /* the state's limits (the per-call ones may be lowered by a call) */
    size_t mem_used;           /* bytes allocated by the state right now */
    _Atomic int interrupt;     /* set by lhr_interrupt from any thread or a signal handler */
    int depth;                 /* nesting of lhr_begin; 0 outside calls */
    long instr_left;           /* instructions left to the running call */
    long long deadline_ns;     /* CLOCK_MONOTONIC deadline; 0: opens at the next check */
    int breached;              /* LHR_* of the running call */
    int hook_armed;            /* some thread was re-armed on every line */
    char breach_msg[LHR_MSG];  /* "file:line: <breach text>" of the first breach */
    size_t alloc_pending;      /* bytes allocated by the call not charged yet */
    long cap_instructions;     /* > 0: the next outermost call's instruction budget is at most this */
    long cap_millis;           /* > 0: ... and its time limit at most this */
} lh_run;

/* Sets up r with lim (defaults for fields <= 0). */
void lhr_init(lh_run *r, const lh_limits *lim);

/* lua_Alloc with exact accounting: used = used - (ptr ? osize : 0) + nsize. ud is the lh_run.
 * Growth beyond the ceiling is refused; shrinking never fails, as Lua requires. */
void *lhr_alloc(void *ud, void *ptr, size_t osize, size_t nsize);

/* The run context of L (the allocator's ud: lh_run must be where the state's ud points). */
lh_run *lhr_of(lua_State *L);

/* Installs the cheap count hook on L (new states; a new thread inherits its creator's hook). */
void lhr_install(lua_State *L);

/* Starts the budget of a call with the state's per-call limits; nested calls share the outer one. */
void lhr_begin(lh_run *r);

/* Gives the running call a fresh instruction budget and a time window that opens at the next
 * budget check (a batch's per-unit budget). */
void lhr_rearm(lh_run *r);

/* Ends a call started by lhr_begin; L is the main thread (its hook is reset after a breach). The
 * breach state stays readable until the next lhr_begin. */
void lhr_end(lh_run *r, lua_State *L);

/* Charges n instructions of work done in C (library functions whose cost depends on their
 * arguments) to the running call and checks the deadline and the interrupt flag. Raises the breach
 * error at the position of the Lua code calling (level 1) when over budget; does nothing outside
 * calls. Call it BEFORE doing the work. */
void lhr_charge(lua_State *L, double n);

/* The text of breach kind k ("instruction budget exceeded", ...). */
const char *lhr_breach_text(int k);

/* Asks the running call to stop at its next check. Async-signal-safe. */
void lhr_interrupt(lh_run *r);

#endif
