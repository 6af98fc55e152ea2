/* teampool.c: the inspector pool committed at lock. */
#include "teampool.h"
#include "db.h"
#include "draw.h"
#include "ruledata.h"
#include "stream.h"

#include <stdlib.h>
#include <string.h>

/* teampool_commit: see teampool.h. */
int teampool_commit(sqlite3 *db, lh_state *lua, json_t *rtask, json_t **records, char hash_hex[65], char **err,
                    int *is_rule)
{
    *records = NULL;
    *is_rule = 0;
    int rc = -1;
    draw_list_hash lh;
    draw_list_init(&lh);
    json_t *out = json_array();
    /* BINARY collation: byte order, the order of the list hash */
    sqlite3_stmt *q = db_prepare(db, err, "SELECT " RULEDATA_INSPECTOR_COLUMNS " FROM inspectors ORDER BY cert_no", "");
    if (!q) goto done;
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        json_t *p = ruledata_inspector(q), *args = json_pack("[OO]", p, rtask), *ret = NULL;
        int lrc = lh_call(lua, "inspectors", "eligible", args, &ret, err);
        json_decref(args);
        if (lrc != 0) { json_decref(p); *is_rule = 1; goto done; }
        if (json_is_true(json_object_get(json_array_get(ret, 0), "ok"))) {
            json_object_del(p, "name");      /* rules decide on qualifications, not names */
            json_t *cert = json_object_get(p, "cert_no");
            if (draw_list_add(&lh, json_string_value(cert), json_string_length(cert)) != 0) {
                *err = xprintf("inspector cert_no %s cannot be listed (empty, newline or out of order)",
                               json_string_value(cert));
                json_decref(ret);
                json_decref(p);
                goto done;
            }
            json_array_append(out, p);
        }
        json_decref(ret);
        json_decref(p);
    }
    if (step != SQLITE_DONE) { *err = xprintf("%s", sqlite3_errmsg(db)); goto done; }
    unsigned char h[DRAW_HASH_LEN];
    draw_list_final(&lh, h);
    hex_encode(hash_hex, h, DRAW_HASH_LEN);
    *records = out;
    out = NULL;
    rc = 0;
done:
    if (rc != 0) draw_list_free(&lh);
    sqlite3_finalize(q);
    json_decref(out);
    return rc;
}

/* teampool_certs: see teampool.h. */
json_t *teampool_certs(json_t *records)
{
    json_t *out = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(records, i, p) json_array_append(out, json_object_get(p, "cert_no"));
    return out;
}
