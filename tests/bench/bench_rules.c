/* bench_rules.c: cost of rule evaluation per unit, for scripts/bench. Loads the shipped rules into
 * the real sandbox and, over N generated units, times (1) eligibility.check + sampling.stratum
 * called from Lua, against the same loop calling an empty function (the peer: the loop and table
 * access alone), and (2) the core's lh_call path (JSON in, JSON out) for eligibility.check.
 * Prints "name value" lines. Usage: bench_rules RULES_DIR [N] */
#include "luahost.h"
#include "rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *LOOP =
    "local N = %ld\n"
    "local industries = {}\n"
    "for i, e in ipairs(rules.categories.industries) do industries[i] = e.name end\n"
    "local risks, credits = {'red','orange','yellow','blue'}, {'good','normal','dishonest'}\n"
    "local units = {}\n"
    "for i = 1, N do\n"
    "  units[i] = { uscc = string.format('91370322%%010d', i), name = 'unit', region = '田镇街道',\n"
    "    industry = industries[i %% #industries + 1], risk_level = risks[i %% 4 + 1],\n"
    "    credit_level = credits[i %% 3 + 1], complaints = i %% 5, watchlist = i %% 97 == 0,\n"
    "    dishonest = false, serious_violation = false, major_hazard = false,\n"
    "    status = (i %% 50 == 0) and 'closed' or 'active' }\n"
    "end\n"
    "local task = { year = 2026, directed = false, mode = 'untargeted', start_date = '2026-03-01', end_date = '2026-06-30' }\n"
    "local hist = { drawn_this_year = 0 }\n"
    "local check, stratum = rules.eligibility.check, rules.sampling.stratum\n"
    "local function empty() return true end\n"
    "local t0 = os.clock()\n"
    "local n = 0\n"
    "for i = 1, N do local u = units[i]; if empty(u, task, hist) then n = n + 1; empty(u, task) end end\n"
    "local t1 = os.clock()\n"
    "local eligible = 0\n"
    "for i = 1, N do local u = units[i]; if check(u, task, hist).ok then eligible = eligible + 1; stratum(u, task) end end\n"
    "local t2 = os.clock()\n"
    "return (t2 - t1) / N * 1e9, (t1 - t0) / N * 1e9, eligible\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_rules RULES_DIR [N]\n");
        return 2;
    }
    long n = argc > 2 ? atol(argv[2]) : 1000000;
    lh_limits lim = {.instructions = 2000000000L, .millis = 600000, .memory = (size_t)4 << 30};
    char *err = NULL;
    lh_state *h = lh_new(&lim, &err);
    if (!h || rules_load_dir(h, argv[1], &err) != 0) {
        fprintf(stderr, "bench_rules: %s\n", err);
        return 1;
    }
    char code[4096];
    snprintf(code, sizeof code, LOOP, n);
    char *out = NULL, *res = NULL;
    if (lh_console(h, code, strlen(code), &out, &res, &err) != 0) {
        fprintf(stderr, "bench_rules: %s\n", err);
        return 1;
    }
    double rule_ns = 0, empty_ns = 0;
    long eligible = 0;
    sscanf(res, "%lf\t%lf\t%ld", &rule_ns, &empty_ns, &eligible);
    printf("units %ld\neligible %ld\nrule_ns_per_unit %.1f\nempty_call_ns_per_unit %.1f\n", n, eligible, rule_ns, empty_ns);
    free(out);
    free(res);

    /* The core's path: one lh_call per unit with JSON conversion both ways (fewer units: slower), in a
     * fresh state so that the million unit tables above do not weigh on its garbage collector. */
    lh_free(h);
    h = lh_new(&lim, &err);
    if (!h || rules_load_dir(h, argv[1], &err) != 0) {
        fprintf(stderr, "bench_rules: %s\n", err);
        return 1;
    }
    long m = n / 10 > 0 ? n / 10 : 1;
    json_t *unit = json_pack("{ss ss ss ss ss ss si sb sb sb sb ss}", "uscc", "913703220000000001", "name", "unit",
                             "region", "田镇街道", "industry", "机械", "risk_level", "blue", "credit_level", "good",
                             "complaints", 0, "watchlist", 0, "dishonest", 0, "serious_violation", 0,
                             "major_hazard", 0, "status", "active");
    json_t *args = json_pack("[O{si sb ss ss ss}{si}]", unit, "year", 2026, "directed", 0, "mode", "untargeted",
                             "start_date", "2026-03-01", "end_date", "2026-06-30", "drawn_this_year", 0);
    double t0 = now();
    for (long i = 0; i < m; i++) {
        json_t *ret = NULL;
        if (lh_call(h, "eligibility", "check", args, &ret, &err) != 0) {
            fprintf(stderr, "bench_rules: %s\n", err);
            return 1;
        }
        json_decref(ret);
    }
    double t1 = now();
    printf("lh_call_ns_per_unit %.1f\n", (t1 - t0) / (double)m * 1e9);
    json_decref(args);
    json_decref(unit);
    lh_free(h);
    return 0;
}
