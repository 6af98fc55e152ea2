/* test_host_limits: attacks on the Lua host's budgets (issue "Security and trust"), one cmocka case
 * per technique. Each attack runs three ways: as console code, as a rule's top level (loading the
 * rule) and inside a rule function (lh_call); each must stop quickly with a budget or memory error
 * and leave the state usable. On the code before these cases existed, every one of them ran far
 * past its budget (the C loops for minutes or forever; the xpcall handler forever): a watchdog
 * thread fails the test when a run passes WATCHDOG_MS instead of letting ctest's timeout hide it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "luahost.h"

#define WATCHDOG_MS 20000          /* a run this long means the budget did not hold */
#define STOP_MS 1500.0             /* a stopped attack must end within this (loaded machines too) */

static const char PROBE[] = "return { add = function(a, b) return a + b end }\n";

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* ---- watchdog: a run that does not stop fails the test instead of hanging it ---- */

static atomic_int watch_armed;
static const char *watch_what;

static void *watchdog(void *arg)
{
    (void)arg;
    for (;;) {
        int started = atomic_load(&watch_armed);
        if (started) {
            double t0 = now_ms();
            while (atomic_load(&watch_armed) == started && now_ms() - t0 < WATCHDOG_MS) usleep(10000);
            if (atomic_load(&watch_armed) == started) {
                fprintf(stderr, "FAIL: %s still running after %d ms: the budget did not stop it\n",
                        watch_what ? watch_what : "?", WATCHDOG_MS);
                _exit(1);
            }
        }
        usleep(10000);
    }
    return NULL;
}

static int watch_seq;

static void watch_start(const char *what)
{
    watch_what = what;
    atomic_store(&watch_armed, ++watch_seq);
}

static void watch_stop(void)
{
    atomic_store(&watch_armed, 0);
}

/* ---- helpers ---- */

/* A state whose only effective bound is the instruction budget (the time limit is long): an attack
 * that the budget does not see runs until the watchdog fires. */
static lh_state *new_state(long instructions, long millis, size_t memory)
{
    lh_limits lim;
    lh_default_limits(&lim);
    lim.instructions = instructions;
    lim.millis = millis;
    lim.memory = memory;
    char *err = NULL;
    lh_state *h = lh_new(&lim, &err);
    if (!h) fail_msg("lh_new: %s", err);
    if (lh_load_rule(h, "probe", PROBE, strlen(PROBE), &err) != 0) fail_msg("probe: %s", err);
    return h;
}

static void assert_state_sound(lh_state *h)
{
    char *err = NULL;
    json_t *args = json_pack("[ii]", 2, 3), *ret = NULL;
    if (lh_call(h, "probe", "add", args, &ret, &err) != 0) fail_msg("state unusable: %s", err);
    assert_int_equal(json_integer_value(json_array_get(ret, 0)), 5);
    json_decref(args);
    json_decref(ret);
}

/* Whether err reports a stop by the budget (or, when memory_ok, by the memory ceiling). */
static int stopped_by_budget(const char *err, int memory_ok)
{
    return err && (strstr(err, "instruction budget exceeded") || strstr(err, "time limit exceeded") ||
                   (memory_ok && strstr(err, "not enough memory")));
}

/* Runs code as console code, as a rule's top level and inside a rule function; each must fail
 * within STOP_MS with a budget error (or a memory error when memory_ok). */
static void expect_stopped_three_ways(lh_state *h, const char *what, const char *code, int memory_ok)
{
    char src[4096], label[256];
    for (int way = 0; way < 3; way++) {
        static const char *const ways[] = {"console", "rule top level", "rule function"};
        snprintf(label, sizeof label, "%s (%s)", what, ways[way]);
        char *err = NULL, *out = NULL, *res = NULL;
        int rc;
        watch_start(label);
        double t0 = now_ms();
        if (way == 0) {
            rc = lh_console(h, code, strlen(code), &out, &res, &err);
        } else if (way == 1) {
            snprintf(src, sizeof src, "%s\nreturn {}\n", code);
            rc = lh_load_rule(h, "attack", src, strlen(src), &err);
        } else {
            snprintf(src, sizeof src, "return { run = function()\n%s\nend }\n", code);
            if (lh_load_rule(h, "attack", src, strlen(src), &err) != 0) fail_msg("%s: load: %s", label, err);
            json_t *args = json_array(), *ret = NULL;
            rc = lh_call(h, "attack", "run", args, &ret, &err);
            json_decref(args);
            json_decref(ret);
        }
        double ms = now_ms() - t0;
        watch_stop();
        if (rc == 0) fail_msg("%s: ran to completion in %.0f ms", label, ms);
        if (!stopped_by_budget(err, memory_ok)) fail_msg("%s: not stopped by the budget: %s", label, err);
        if (ms > STOP_MS) fail_msg("%s: stopped only after %.0f ms", label, ms);
        free(err);
        free(out);
        free(res);
        assert_state_sound(h);
    }
}

/* ---- xpcall message handlers ---- */

/* The budget error is raised inside the count hook, where Lua runs no hooks; Lua's own xpcall runs
 * the message handler right there, so a looping handler ran unbounded. */
static void xpcall_handler_loop_stopped(void **st)
{
    (void)st;
    lh_state *h = new_state(2000000, 60000, 0);
    expect_stopped_three_ways(h, "looping handler",
                              "xpcall(function() while true do end end, function() while true do end end)", 0);
    expect_stopped_three_ways(h, "handler raising in a loop",
                              "for i = 1, math.maxinteger do\n"
                              "  xpcall(function() while true do end end, function(e) error(e) end)\n"
                              "end", 0);
    expect_stopped_three_ways(h, "pcall inside the handler",
                              "xpcall(function() while true do end end, function()\n"
                              "  while true do pcall(function() while true do end end) end\n"
                              "end)", 0);
    expect_stopped_three_ways(h, "nested xpcall in the handler",
                              "xpcall(function() while true do end end, function()\n"
                              "  return xpcall(function() while true do end end, function() while true do end end)\n"
                              "end)", 0);
    lh_free(h);
}

/* xpcall keeps Lua's results for ordinary use. */
static void xpcall_results_unchanged(void **st)
{
    (void)st;
    lh_state *h = new_state(2000000, 60000, 0);
    static const char code[] =
        "local a = table.pack(xpcall(function(x, y) return x + y, 'two' end, print, 1, 2))\n"
        "local b = table.pack(xpcall(function() error('boom', 0) end, function(e) return 'handled ' .. e end))\n"
        "local c = table.pack(xpcall(function() error({code = 7}) end, function(e) return e.code end))\n"
        "local d = table.pack(xpcall(nil, function(e) return 'not callable' end))\n"
        "local co = coroutine.wrap(function() return xpcall(function() coroutine.yield(1) return 2 end, print) end)\n"
        "local y1 = co()\n"
        "local ok, y2 = co()\n"
        "return a.n, a[1], a[2], a[3], b[1], b[2], c[2], d[1], d[2], y1, ok, y2";
    char *out = NULL, *res = NULL, *err = NULL;
    if (lh_console(h, code, strlen(code), &out, &res, &err) != 0) fail_msg("%s", err);
    assert_string_equal(res, "3\ttrue\t3\ttwo\tfalse\thandled boom\t7\tfalse\tnot callable\t1\ttrue\t2");
    free(out);
    free(res);
    lh_free(h);
}

/* ---- C library loops the hook never sees ---- */

static void string_rep_empty_maxinteger_stopped(void **st)
{
    (void)st;
    lh_state *h = new_state(2000000, 60000, 0);
    expect_stopped_three_ways(h, "string.rep('', maxinteger)", "string.rep('', math.maxinteger)", 0);
    expect_stopped_three_ways(h, "string.rep('', 2^53, '')", "string.rep('', 2^53, '')", 0);
    lh_free(h);
}

static void string_rep_huge_refused(void **st)
{
    (void)st;
    lh_state *h = new_state(2000000, 60000, 16u << 20);
    expect_stopped_three_ways(h, "string.rep('x', 1e9)", "local s = string.rep('x', 1e9) n = #s", 1);
    lh_free(h);
}

static void table_concat_index_metamethod_stopped(void **st)
{
    (void)st;
    lh_state *h = new_state(2000000, 60000, 0);
    /* __index is a C function (rawlen returns 0): no Lua instruction runs per element */
    expect_stopped_three_ways(h, "table.concat over __index to maxinteger",
                              "table.concat(setmetatable({}, {__index = rawlen}), '', 1, math.maxinteger)", 0);
    lh_free(h);
}

static void table_insert_remove_len_stopped(void **st)
{
    (void)st;
    lh_state *h = new_state(2000000, 60000, 0);
    expect_stopped_three_ways(h, "table.insert with __len near maxinteger",
                              "table.insert(setmetatable({}, {__len = function() return math.maxinteger - 1 end}), 1, 'x')",
                              0);
    expect_stopped_three_ways(h, "table.remove with __len near maxinteger",
                              "table.remove(setmetatable({}, {__len = function() return math.maxinteger end}), 1)", 0);
    lh_free(h);
}

static void table_sort_len_stopped(void **st)
{
    (void)st;
    lh_state *h = new_state(2000000, 60000, 0);
    /* rawequal(nil, nil) is true: the partition scans the whole claimed length in C */
    expect_stopped_three_ways(h, "table.sort with __len 2^31-2",
                              "table.sort(setmetatable({}, {__len = function() return 2^31 - 2 end}), rawequal)", 0);
    lh_free(h);
}

static void table_unpack_many_stopped(void **st)
{
    (void)st;
    lh_state *h = new_state(2000000, 60000, 0);
    expect_stopped_three_ways(h, "table.unpack(t, 1, 1e8)", "local t = {} for i = 1, math.maxinteger do table.unpack(t, 1, 1e8) end", 0);
    expect_stopped_three_ways(h, "table.unpack of 200,000 values in a loop",
                              "local t = {} for i = 1, math.maxinteger do table.unpack(t, 1, 200000) end", 0);
    lh_free(h);
}

static void utf8_char_many_args_stopped(void **st)
{
    (void)st;
    lh_state *h = new_state(2000000, 60000, 0);
    expect_stopped_three_ways(h, "utf8.char with 200,000 arguments",
                              "local t = {} for i = 1, 200000 do t[i] = 65 end\n"
                              "local f, u = utf8.char, table.unpack\n"
                              "for i = 1, math.maxinteger do f(u(t)) end", 0);
    lh_free(h);
}

static void string_format_widths_stopped(void **st)
{
    (void)st;
    lh_state *h = new_state(2000000, 60000, 0);
    expect_stopped_three_ways(h, "string.format with 30,000 padded fields",
                              "local fmt = string.rep('%99s', 30000)\n"
                              "local a = {} for i = 1, 30000 do a[i] = '' end\n"
                              "for i = 1, math.maxinteger do string.format(fmt, table.unpack(a)) end", 1);
    lh_free(h);
}

/* Big copies in a loop of few instructions: each iteration allocates megabytes. */
static void long_string_copies_stopped(void **st)
{
    (void)st;
    lh_state *h = new_state(2000000, 60000, 0);
    expect_stopped_three_ways(h, "upper of 8 MiB in a loop",
                              "local s = string.rep('a', 8 << 20) for i = 1, math.maxinteger do local u = s:upper() end", 0);
    expect_stopped_three_ways(h, "concatenation of 8 MiB in a loop",
                              "local s = string.rep('a', 8 << 20) for i = 1, math.maxinteger do local u = s .. i end", 0);
    lh_free(h);
}

/* ---- results converted to JSON ---- */

/* x = {x, x} twenty times is 21 tables in Lua but 2^20 leaves as JSON: the conversion ran outside
 * the Lua allocator and grew the server by 144 MiB under an 8 MiB limit. */
static void shared_subtables_result_bounded(void **st)
{
    (void)st;
    lh_state *h = new_state(2000000, 60000, 8u << 20);
    static const char src[] =
        "return { run = function() local x = {} for i = 1, 20 do x = {x, x} end return x end,\n"
        "         small = function() local x = {1} for i = 1, 3 do x = {x, x} end return x end }\n";
    char *err = NULL;
    if (lh_load_rule(h, "shared", src, strlen(src), &err) != 0) fail_msg("load: %s", err);
    json_t *args = json_array(), *ret = NULL;
    watch_start("shared sub-tables");
    double t0 = now_ms();
    int rc = lh_call(h, "shared", "run", args, &ret, &err);
    double ms = now_ms() - t0;
    watch_stop();
    if (rc == 0) fail_msg("a 2^20-leaf result was converted (%.0f ms)", ms);
    if (!strstr(err, "rules/shared.lua") || !strstr(err, "larger than the memory limit"))
        fail_msg("unexpected error: %s", err);
    if (ms > STOP_MS) fail_msg("refused only after %.0f ms", ms);
    free(err);
    /* shared sub-tables are still fine when the result is small */
    if (lh_call(h, "shared", "small", args, &ret, &err) != 0) fail_msg("small: %s", err);
    char *text = json_dumps(ret, JSON_COMPACT);
    assert_string_equal(text, "[[[[[1],[1]],[[1],[1]]],[[[1],[1]],[[1],[1]]]]]");
    free(text);
    json_decref(ret);
    json_decref(args);
    assert_state_sound(h);
    lh_free(h);
}

/* ---- a caller's cap ---- */

static void call_cap_lowers_budget(void **st)
{
    (void)st;
    lh_state *h = new_state(200000000, 60000, 0);
    static const char src[] = "return { spin = function(n) local s = 0 for i = 1, n do s = s + i end return s end }\n";
    char *err = NULL;
    if (lh_load_rule(h, "spin", src, strlen(src), &err) != 0) fail_msg("load: %s", err);
    json_t *args = json_pack("[i]", 3000000), *ret = NULL;
    if (lh_call(h, "spin", "spin", args, &ret, &err) != 0) fail_msg("uncapped: %s", err);
    json_decref(ret);
    lh_limits cap = {1000000, 0, 0};
    lh_set_call_cap(h, &cap);
    assert_int_equal(lh_call(h, "spin", "spin", args, &ret, &err), -1);
    if (!strstr(err, "instruction budget exceeded")) fail_msg("capped: %s", err);
    free(err);
    lh_set_call_cap(h, NULL);
    if (lh_call(h, "spin", "spin", args, &ret, &err) != 0) fail_msg("cap removed: %s", err);
    json_decref(ret);
    json_decref(args);
    lh_free(h);
}

static void gate_admits_slots_only(void **st)
{
    (void)st;
    assert_int_equal(lh_gate_enter(2), 1);
    assert_int_equal(lh_gate_enter(2), 1);
    assert_int_equal(lh_gate_enter(2), 0);
    lh_gate_leave();
    assert_int_equal(lh_gate_enter(2), 1);
    assert_int_equal(lh_gate_enter(0), 0);   /* at least one slot, and it is taken */
    lh_gate_leave();
    lh_gate_leave();
    assert_int_equal(lh_gate_enter(0), 1);
    lh_gate_leave();
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, watchdog, NULL);
    pthread_detach(t);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(xpcall_handler_loop_stopped),
        cmocka_unit_test(xpcall_results_unchanged),
        cmocka_unit_test(string_rep_empty_maxinteger_stopped),
        cmocka_unit_test(string_rep_huge_refused),
        cmocka_unit_test(table_concat_index_metamethod_stopped),
        cmocka_unit_test(table_insert_remove_len_stopped),
        cmocka_unit_test(table_sort_len_stopped),
        cmocka_unit_test(table_unpack_many_stopped),
        cmocka_unit_test(utf8_char_many_args_stopped),
        cmocka_unit_test(string_format_widths_stopped),
        cmocka_unit_test(long_string_copies_stopped),
        cmocka_unit_test(shared_subtables_result_bounded),
        cmocka_unit_test(call_cap_lowers_budget),
        cmocka_unit_test(gate_admits_slots_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
