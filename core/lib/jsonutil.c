/* jsonutil.c: see jsonutil.h. */
#include "jsonutil.h"

#include <string.h>

int spot_check_fields(json_t *obj, const char *const *allowed, spot_err *e)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        int known = 0;
        for (const char *const *a = allowed; *a && !known; a++) known = !strcmp(*a, key);
        if (!known) return spot_fail(e, SPOT_E_INPUT, "unknown_field", "未知字段：%s", key);
    }
    return 0;
}

void spot_decode_json(json_t *obj, const char *const *keys)
{
    for (const char *const *k = keys; *k; k++) {
        const char *s = json_string_value(json_object_get(obj, *k));
        if (!s) continue;
        json_t *v = json_loads(s, JSON_DECODE_ANY, NULL);
        if (v) json_object_set_new(obj, *k, v);
    }
}
