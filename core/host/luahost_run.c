/* luahost_run.c: allocator, budget, deadline and interrupt of a Lua state (see luahost_run.h).
 *
 * One count hook (every LHR_HOOK_COUNT instructions) is installed on the main thread; every
 * coroutine inherits it from the thread that creates it (lua_newthread copies the hook). It charges
 * the instruction budget and checks the monotonic deadline and the interrupt flag. On a breach it
 * raises an error naming file:line and re-arms itself on every line and instruction, so a script's
 * pcall cannot swallow it: the next step raises again. */
#include "luahost_run.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void lhr_init(lh_run *r, const lh_limits *lim)
{
    memset(r, 0, sizeof *r);
    lh_default_limits(&r->lim);
    if (lim) {
        if (lim->instructions > 0) r->lim.instructions = lim->instructions;
        if (lim->millis > 0) r->lim.millis = lim->millis;
        if (lim->memory > 0) r->lim.memory = lim->memory;
    }
    atomic_init(&r->interrupt, 0);
}

static int check(lh_run *r);

/* The per-call limits of the run, lowered by its caps. */
static long call_instructions(const lh_run *r)
{
    return r->cap_instructions > 0 && r->cap_instructions < r->lim.instructions ? r->cap_instructions
                                                                             : r->lim.instructions;
}

static long long call_window_ns(const lh_run *r)
{
    long ms = r->cap_millis > 0 && r->cap_millis < r->lim.millis ? r->cap_millis : r->lim.millis;
    return (long long)ms * 1000000LL;
}

/* Charges `grow` bytes allocated during a call: every LHR_ALLOC_CHUNK bytes cost
 * LHR_ALLOC_CHUNK / LHR_BYTES_PER_STEP instructions and a look at the deadline, so that C code
 * that copies (string functions, concatenation of long strings, table growth) is bounded even
 * where no hook runs. Once the call is breached, growth beyond LHR_ALLOC_SMALL bytes is refused
 * (the breach is reported at the next hook or charge; small blocks stay available for the error
 * message). Returns 0, or -1 to refuse. */
static int charge_alloc(lh_run *r, size_t grow)
{
    r->alloc_pending += grow;
    if (r->alloc_pending >= LHR_ALLOC_CHUNK && !r->breached) {
        long steps = (long)(r->alloc_pending / LHR_BYTES_PER_STEP);
        r->alloc_pending %= LHR_BYTES_PER_STEP;
        r->instr_left -= steps;
        r->breached = check(r);
    }
    return r->breached && grow > LHR_ALLOC_SMALL ? -1 : 0;
}

void *lhr_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    lh_run *r = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        r->mem_used -= old;
        return NULL;
    }
    if (nsize > old) {
        size_t grow = nsize - old;
        if (grow > r->lim.memory - r->mem_used) return NULL;
        if (r->depth > 0 && charge_alloc(r, grow) != 0) return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (p == NULL) {
        if (nsize <= old) p = ptr;   /* a failed shrink keeps the block */
        else return NULL;
    }
    r->mem_used = r->mem_used - old + nsize;
    return p;
}

lh_run *lhr_of(lua_State *L)
{
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return ud;
}

static void hook(lua_State *L, lua_Debug *ar);

void lhr_install(lua_State *L)
{
    lua_sethook(L, hook, LUA_MASKCOUNT, LHR_HOOK_COUNT);
}

/* The breach found by a check now, or LHR_NONE. */
static int check(lh_run *r)
{
    if (atomic_load_explicit(&r->interrupt, memory_order_relaxed)) return LHR_INTERRUPT;
    if (r->instr_left < 0) return LHR_INSTRUCTIONS;
    long long t = now_ns();
    if (r->deadline_ns == 0) {   /* re-armed for a new unit: the window opens now */
        r->deadline_ns = t + call_window_ns(r);
        return LHR_NONE;
    }
    return t > r->deadline_ns ? LHR_TIME : LHR_NONE;
}

const char *lhr_breach_text(int k)
{
    switch (k) {
    case LHR_INSTRUCTIONS: return "instruction budget exceeded";
    case LHR_TIME: return "time limit exceeded";
    case LHR_INTERRUPT: return "interrupted";
    default: return "budget exceeded";
    }
}

/* Raises the breach error at the position of stack level `level` and re-arms the hook of L on
 * every line and instruction, so that every later step raises again. Does not return. */
static int raise_breach(lh_run *r, lua_State *L, int level)
{
    lua_sethook(L, hook, LUA_MASKLINE | LUA_MASKCOUNT, 1);
    r->hook_armed = 1;
    luaL_where(L, level);
    lua_pushstring(L, lhr_breach_text(r->breached));
    lua_concat(L, 2);
    if (r->breach_msg[0] == '\0') snprintf(r->breach_msg, sizeof r->breach_msg, "%s", lua_tostring(L, -1));
    return lua_error(L);
}

static void hook(lua_State *L, lua_Debug *ar)
{
    lh_run *r = lhr_of(L);
    int rearmed = (lua_gethookmask(L) & LUA_MASKLINE) || lua_gethookcount(L) != LHR_HOOK_COUNT;
    if (r->depth == 0) {   /* outside calls: nothing to check */
        if (rearmed) lua_sethook(L, hook, LUA_MASKCOUNT, LHR_HOOK_COUNT);
        return;
    }
    if (!r->breached) {
        if (rearmed)   /* left over from an earlier breach: back to the cheap count hook */
            lua_sethook(L, hook, LUA_MASKCOUNT, LHR_HOOK_COUNT);
        else if (ar->event == LUA_HOOKCOUNT)
            r->instr_left -= LHR_HOOK_COUNT;
        r->breached = check(r);
        if (!r->breached) return;
    }
    raise_breach(r, L, 0);
}

void lhr_begin(lh_run *r)
{
    if (r->depth++ > 0) return;
    r->instr_left = call_instructions(r);
    r->deadline_ns = now_ns() + call_window_ns(r);
    r->alloc_pending = 0;
    r->breached = LHR_NONE;
    r->breach_msg[0] = '\0';
    atomic_store_explicit(&r->interrupt, 0, memory_order_relaxed);
}

void lhr_rearm(lh_run *r)
{
    r->instr_left = call_instructions(r);
    r->deadline_ns = 0;
}

void lhr_end(lh_run *r, lua_State *L)
{
    if (--r->depth > 0) return;
    if (r->hook_armed) {
        lua_sethook(L, hook, LUA_MASKCOUNT, LHR_HOOK_COUNT);
        r->hook_armed = 0;
    }
}

void lhr_charge(lua_State *L, double n)
{
    lh_run *r = lhr_of(L);
    if (r->depth == 0) return;
    if (!r->breached) {
        if (!(n >= 0)) n = 0;
        if (n > (double)r->instr_left) {
            r->instr_left = -1;
            r->breached = LHR_INSTRUCTIONS;
        } else {
            r->instr_left -= (long)n;
            r->breached = check(r);
        }
        if (!r->breached) return;
    }
    raise_breach(r, L, 1);
}

void lhr_interrupt(lh_run *r)
{
    atomic_store_explicit(&r->interrupt, 1, memory_order_relaxed);
}
