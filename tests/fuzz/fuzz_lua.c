/* fuzz_lua: the Lua sandbox (core/host/luahost.h) fed arbitrary source: first as console code
 * (lh_console), then as a rule file (lh_load_rule) whose returned functions, if any, are called
 * with a small argument list. Tight limits (200,000 instructions, 200 ms, 16 MiB) keep every input
 * short; errors are expected, crashes and sanitizer reports are findings. A fresh state per input
 * keeps reproduction exact. */
#include "luahost.h"
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lh_limits limits;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    limits.instructions = 200000;
    limits.millis = 200;
    limits.memory = 16u << 20;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *err = NULL, *out = NULL, *res = NULL;
    lh_state *h = lh_new(&limits, &err);
    if (!h) {
        fprintf(stderr, "fuzz_lua: %s\n", err);
        abort();
    }
    lh_console(h, (const char *)data, size, &out, &res, &err);
    free(out);
    free(res);
    free(err);
    err = NULL;
    if (lh_load_rule(h, "fuzz", (const char *)data, size, &err) == 0) {
        json_t *args = json_pack("[i s {s:i} []]", 1, "x", "a", 2);
        static const char *const fns[] = {"check", "run", "f", "main"};
        for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
            json_t *ret = NULL;
            char *e = NULL;
            lh_call(h, "fuzz", fns[i], args, &ret, &e);
            json_decref(ret);
            free(e);
        }
        json_decref(args);
    }
    free(err);
    lh_free(h);
    return 0;
}
