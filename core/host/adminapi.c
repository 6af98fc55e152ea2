/* adminapi.c: the console's admin API (see adminapi.h; scripts/README.md is the user's reference).
 *
 * Every function here is called from Lua in the console environment of one session; upvalue 1 is
 * the session (light userdata, see lh_console_register). Reads go through the session's own
 * read-only connection, guarded by an authorizer that admits SELECT only (and a few read-only
 * PRAGMAs), refuses ATTACH, and reads personal or secret columns (身份证号, password and session
 * hashes, draw secrets) as NULL. A progress handler bounds every query by the session's time limit
 * and Ctrl-C. A statement interrupted by a Lua error (memory) stays in `cur` and is finalized on the
 * session's next entry, so nothing leaks. */
#include "adminapi.h"
#include "luahost_json.h"
#include "audit.h"
#include "config.h"
#include "db.h"
#include "draw.h"
#include "rules.h"
#include "ruledata.h"
#include "stream.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lua.h>
#include <lauxlib.h>
#include <sodium.h>

#define ADMIN_MAX_ROWS 100000          /* rows one query may return */
#define ADMIN_AUDIT_CODE_MAX 65536     /* bytes of code kept in the audit record */
#define ADMIN_CELL_WIDTH 40            /* report.table: widest cell, in terminal columns */

struct adminapi {
    lh_state *h;
    sqlite3 *ro;
    sqlite3_stmt *cur;              /* statement being stepped (finalized on next entry if left) */
    long long millis;               /* per query */
    long long deadline_ns;
    volatile sig_atomic_t stop;     /* Ctrl-C */
    int timed_out;
    int internal;                   /* running the API's own fixed SQL */
    char denied[160];               /* what the authorizer refused last */
};

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static adminapi *session(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

/* ------------------------------------------------------------------------------------------ */
/* The read-only connection                                                                    */

/* Columns read as NULL by every query of the console, whatever table they are in; and any column
 * whose name ends in "_secret" (a draw secret must stay unknown until the draw is made). */
static const char *const hidden_columns[] = {
    "id_number", "password_hash", "token_hash", "csrf", "secret", NULL,
};

static int hidden_column(const char *name)
{
    if (!name) return 0;
    size_t n = strlen(name);
    for (int i = 0; hidden_columns[i]; i++)
        if (!sqlite3_stricmp(hidden_columns[i], name)) return 1;
    return n >= 7 && !sqlite3_stricmp(name + n - 7, "_secret");
}

/* PRAGMAs that only read (schema introspection). Every other PRAGMA is refused. */
static const char *const readonly_pragmas[] = {
    "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
    "foreign_key_list", NULL,
};

static const char *action_name(int action)
{
    switch (action) {
    case SQLITE_INSERT: return "INSERT";
    case SQLITE_UPDATE: return "UPDATE";
    case SQLITE_DELETE: return "DELETE";
    case SQLITE_ATTACH: return "ATTACH";
    case SQLITE_DETACH: return "DETACH";
    case SQLITE_TRANSACTION: return "a transaction statement";
    case SQLITE_SAVEPOINT: return "SAVEPOINT";
    case SQLITE_ALTER_TABLE: return "ALTER TABLE";
    case SQLITE_REINDEX: return "REINDEX";
    case SQLITE_ANALYZE: return "ANALYZE";
    case SQLITE_CREATE_INDEX: case SQLITE_CREATE_TABLE: case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_TABLE: case SQLITE_CREATE_TEMP_TRIGGER: case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_CREATE_TRIGGER: case SQLITE_CREATE_VIEW: case SQLITE_CREATE_VTABLE: return "CREATE";
    case SQLITE_DROP_INDEX: case SQLITE_DROP_TABLE: case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_DROP_TEMP_TABLE: case SQLITE_DROP_TEMP_TRIGGER: case SQLITE_DROP_TEMP_VIEW:
    case SQLITE_DROP_TRIGGER: case SQLITE_DROP_VIEW: case SQLITE_DROP_VTABLE: return "DROP";
    default: return "this statement";
    }
}

static int in_list(const char *const *list, const char *s)
{
    for (int i = 0; s && list[i]; i++)
        if (!sqlite3_stricmp(list[i], s)) return 1;
    return 0;
}

/* Records the first refusal of a statement (the later ones follow from it). */
static int deny(adminapi *a, const char *fmt, const char *what)
{
    if (!a->denied[0]) snprintf(a->denied, sizeof a->denied, fmt, what);
    return SQLITE_DENY;
}

static int authorize(void *ud, int action, const char *a1, const char *a2, const char *dbname,
                     const char *trigger)
{
    (void)dbname;
    (void)trigger;
    adminapi *a = ud;
    switch (action) {
    case SQLITE_SELECT:
    case SQLITE_RECURSIVE:
        return SQLITE_OK;
    case SQLITE_READ:
        return hidden_column(a2) ? SQLITE_IGNORE : SQLITE_OK;
    case SQLITE_FUNCTION:
        if (a2 && (!sqlite3_stricmp(a2, "load_extension") || !sqlite3_stricmp(a2, "fts3_tokenizer"))) {
            return deny(a, "function %s is not allowed", a2);
        }
        return SQLITE_OK;
    case SQLITE_PRAGMA:
        if (a->internal || in_list(readonly_pragmas, a1)) return SQLITE_OK;
        return deny(a, "PRAGMA %s is not allowed", a1 ? a1 : "");
    default:
        /* Table-valued functions (json_each, pragma_table_info) check UPDATE of sqlite_master's
         * columns when they are set up. A real write of sqlite_master cannot happen here: the
         * connection is read-only and defensive, and sqlite3_stmt_readonly() is checked too. */
        if (action == SQLITE_UPDATE && a1 && !sqlite3_stricmp(a1, "sqlite_master")) return SQLITE_OK;
        if (action == SQLITE_INSERT && a1 && !sqlite3_stricmp(a1, "sqlite_master")) return deny(a, "%s", "CREATE is not allowed");
        if (action == SQLITE_INSERT && a1 && !sqlite3_stricmp(a1, "sqlite_temp_master")) return deny(a, "%s", "CREATE is not allowed");
        return deny(a, "%s is not allowed", action_name(action));
    }
}

static int progress(void *ud)
{
    adminapi *a = ud;
    if (a->stop) return 1;
    if (now_ns() > a->deadline_ns) {
        a->timed_out = 1;
        return 1;
    }
    return 0;
}

/* Finalizes a statement left by an earlier call that a Lua error cut short. */
static void drop_cur(adminapi *a)
{
    if (a->cur) sqlite3_finalize(a->cur);
    a->cur = NULL;
    a->internal = 0;
}

static void begin_query(adminapi *a)
{
    drop_cur(a);
    a->timed_out = 0;
    a->denied[0] = '\0';
    a->deadline_ns = now_ns() + a->millis * 1000000LL;
}

/* Raises the error of a failed step or prepare on the read-only connection. Does not return. */
static int raise_sql(lua_State *L, adminapi *a, const char *fn, int rc)
{
    char msg[512];
    int refused = rc == SQLITE_AUTH || rc == SQLITE_READONLY || a->denied[0] ||
                  strstr(sqlite3_errmsg(a->ro), "may not be modified");
    if (rc == SQLITE_INTERRUPT)
        snprintf(msg, sizeof msg, "%s", a->timed_out ? "time limit exceeded" : "interrupted");
    else if (a->denied[0])
        snprintf(msg, sizeof msg, "%s", a->denied);
    else
        snprintf(msg, sizeof msg, "%s", sqlite3_errmsg(a->ro));
    drop_cur(a);
    if (refused) return luaL_error(L, "db.query is read-only: %s", msg);
    return luaL_error(L, "%s: %s", fn, msg);
}

/* Pushes the value of column c of the current row (nil for NULL). */
static void push_column(lua_State *L, sqlite3_stmt *st, int c)
{
    switch (sqlite3_column_type(st, c)) {
    case SQLITE_INTEGER: lua_pushinteger(L, (lua_Integer)sqlite3_column_int64(st, c)); break;
    case SQLITE_FLOAT: lua_pushnumber(L, (lua_Number)sqlite3_column_double(st, c)); break;
    case SQLITE_NULL: lua_pushnil(L); break;
    default: {
        const void *p = sqlite3_column_blob(st, c);
        lua_pushlstring(L, p ? p : "", (size_t)sqlite3_column_bytes(st, c));
    }
    }
}

/* Steps a->cur to the end and pushes an array of row tables (column name -> value) and an array of
 * the column names. Finalizes a->cur. Raises on error or past ADMIN_MAX_ROWS rows. */
static int push_rows(lua_State *L, adminapi *a, const char *fn)
{
    sqlite3_stmt *st = a->cur;
    int ncol = sqlite3_column_count(st);
    lua_createtable(L, 0, 0);
    int rows = lua_gettop(L);
    lua_Integer n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n >= ADMIN_MAX_ROWS) {
            drop_cur(a);
            return luaL_error(L, "%s: more than %d rows; add a LIMIT or a narrower WHERE", fn, ADMIN_MAX_ROWS);
        }
        lua_createtable(L, 0, ncol);
        for (int c = 0; c < ncol; c++) {
            push_column(L, st, c);
            lua_setfield(L, -2, sqlite3_column_name(st, c));
        }
        lua_rawseti(L, rows, ++n);
    }
    if (rc != SQLITE_DONE) return raise_sql(L, a, fn, rc);
    lua_createtable(L, ncol, 0);
    for (int c = 0; c < ncol; c++) {
        lua_pushstring(L, sqlite3_column_name(st, c));
        lua_rawseti(L, -2, c + 1);
    }
    drop_cur(a);
    return 2;
}

/* Binds the Lua value at idx to parameter i of st. Returns 0, or -1 for an unsupported type. */
static int bind_value(lua_State *L, sqlite3_stmt *st, int i, int idx)
{
    switch (lua_type(L, idx)) {
    case LUA_TNIL: return sqlite3_bind_null(st, i) == SQLITE_OK ? 0 : -1;
    case LUA_TBOOLEAN: return sqlite3_bind_int(st, i, lua_toboolean(L, idx)) == SQLITE_OK ? 0 : -1;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            return sqlite3_bind_int64(st, i, (sqlite3_int64)lua_tointeger(L, idx)) == SQLITE_OK ? 0 : -1;
        return sqlite3_bind_double(st, i, (double)lua_tonumber(L, idx)) == SQLITE_OK ? 0 : -1;
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        return sqlite3_bind_text64(st, i, s, len, SQLITE_TRANSIENT, SQLITE_UTF8) == SQLITE_OK ? 0 : -1;
    }
    default: return -1;
    }
}

/* Prepares the API's own SQL (trusted) into a->cur. Raises on error. */
static void prepare_internal(lua_State *L, adminapi *a, const char *fn, const char *sql)
{
    begin_query(a);
    a->internal = 1;
    int rc = sqlite3_prepare_v2(a->ro, sql, -1, &a->cur, NULL);
    a->internal = 0;
    if (rc != SQLITE_OK) raise_sql(L, a, fn, rc);
}

/* Whether a table or view exists (the API's own query; errors count as "no"). */
static int table_exists(adminapi *a, const char *name)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    a->internal = 1;
    if (sqlite3_prepare_v2(a->ro, "SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name = ?",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        found = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    a->internal = 0;
    return found;
}

static int column_exists(adminapi *a, const char *table, const char *column)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    a->internal = 1;
    char *sql = sqlite3_mprintf("PRAGMA table_info(%Q)", table);   /* table: the API's own names */
    if (sql && sqlite3_prepare_v2(a->ro, sql, -1, &st, NULL) == SQLITE_OK) {
        while (!found && sqlite3_step(st) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(st, 1);
            found = name && !strcmp(name, column);
        }
    }
    sqlite3_finalize(st);
    sqlite3_free(sql);
    a->internal = 0;
    return found;
}

static void require_table(lua_State *L, adminapi *a, const char *fn, const char *table)
{
    if (!table_exists(a, table))
        luaL_error(L, "%s: this database has no table '%s' yet (it comes with a later schema "
                      "version; run `spotcheck init` or the server once to migrate)", fn, table);
}

/* ------------------------------------------------------------------------------------------ */
/* db.query                                                                                    */

/* Whether the rest of an SQL text holds another statement (anything but blanks, ';' and comments). */
static int has_more_sql(adminapi *a, const char *tail)
{
    sqlite3_stmt *st = NULL;
    const char *rest = tail;
    while (rest && *rest) {
        int rc = sqlite3_prepare_v2(a->ro, rest, -1, &st, &rest);
        if (rc != SQLITE_OK) return 1;
        if (st) {
            sqlite3_finalize(st);
            return 1;
        }
        if (rest == tail) break;
        tail = rest;
    }
    return 0;
}

/* db.query(sql, ...) -> rows, columns */
static int l_db_query(lua_State *L)
{
    adminapi *a = session(L);
    size_t len;
    const char *sql = luaL_checklstring(L, 1, &len);
    int nargs = lua_gettop(L) - 1;
    begin_query(a);
    const char *tail = NULL;
    int rc = sqlite3_prepare_v2(a->ro, sql, (int)len, &a->cur, &tail);
    if (rc != SQLITE_OK) return raise_sql(L, a, "db.query", rc);
    if (a->cur == NULL) return luaL_error(L, "db.query: no SQL statement given");
    if (tail && has_more_sql(a, tail)) {
        drop_cur(a);
        if (a->denied[0]) return luaL_error(L, "db.query is read-only: %s", a->denied);
        return luaL_error(L, "db.query runs one statement at a time (found more after the first ';')");
    }
    if (!sqlite3_stmt_readonly(a->cur)) {
        drop_cur(a);
        return luaL_error(L, "db.query is read-only: the statement would change the database");
    }
    int want = sqlite3_bind_parameter_count(a->cur);
    if (nargs != want) {
        drop_cur(a);
        return luaL_error(L, "db.query: the statement has %d parameter(s), %d value(s) given", want, nargs);
    }
    for (int i = 1; i <= nargs; i++) {
        if (bind_value(L, a->cur, i, i + 1) != 0) {
            const char *t = luaL_typename(L, i + 1);
            drop_cur(a);
            return luaL_error(L, "db.query: parameter %d is a %s (use nil, boolean, number or string)", i, t);
        }
    }
    return push_rows(L, a, "db.query");
}

/* Reads option `key` of the options table at idx as a string (or nil). Raises on another type. */
static const char *opt_string(lua_State *L, int idx, const char *fn, const char *key)
{
    if (lua_isnoneornil(L, idx)) return NULL;
    lua_getfield(L, idx, key);
    const char *s = NULL;
    if (lua_type(L, -1) == LUA_TSTRING) s = lua_tostring(L, -1);
    else if (!lua_isnil(L, -1)) luaL_error(L, "%s: option %s must be a string", fn, key);
    lua_pop(L, 1);   /* the string stays referenced by the options table */
    return s;
}

static lua_Integer opt_integer(lua_State *L, int idx, const char *fn, const char *key, lua_Integer dflt)
{
    if (lua_isnoneornil(L, idx)) return dflt;
    lua_getfield(L, idx, key);
    lua_Integer v = dflt;
    if (lua_isinteger(L, -1)) v = lua_tointeger(L, -1);
    else if (!lua_isnil(L, -1)) luaL_error(L, "%s: option %s must be an integer", fn, key);
    lua_pop(L, 1);
    return v;
}

/* Checks that the options table at idx (nil allowed) has only keys from allowed. */
static void check_options(lua_State *L, int idx, const char *fn, const char *const *allowed)
{
    if (lua_isnoneornil(L, idx)) return;
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING || !in_list(allowed, lua_tostring(L, -1))) {
            lua_pushvalue(L, -1);
            const char *k = luaL_tolstring(L, -1, NULL);
            luaL_error(L, "%s: unknown option '%s'", fn, k);
        }
    }
}

static void bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s) sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, i);
}

/* Steps a->cur (selected with ruledata columns first, then extras) into an array of tables. */
static int push_directory(lua_State *L, adminapi *a, const char *fn, json_t *(*conv)(sqlite3_stmt *), int first_extra)
{
    sqlite3_stmt *st = a->cur;
    lua_createtable(L, 0, 0);
    int rows = lua_gettop(L);
    lua_Integer n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        lhj_push_steal(L, conv(st));   /* the host's one converter */
        for (int c = first_extra; c < sqlite3_column_count(st); c++) {
            push_column(L, st, c);
            lua_setfield(L, -2, sqlite3_column_name(st, c));
        }
        lua_rawseti(L, rows, ++n);
    }
    if (rc != SQLITE_DONE) return raise_sql(L, a, fn, rc);
    drop_cur(a);
    return 1;
}

/* directory.enterprises{industry, region, status, risk_level, credit_level, unit_type,
 * supervision_type, q, limit} -> array of units (the rules' unit table plus the other fields) */
static int l_dir_enterprises(lua_State *L)
{
    static const char *const keys[] = {"industry", "region", "status", "risk_level", "credit_level",
                                       "unit_type", "supervision_type", "q", "limit", NULL};
    static const char *const fn = "directory.enterprises";
    adminapi *a = session(L);
    lua_settop(L, 1);
    check_options(L, 1, fn, keys);
    const char *v[8];
    for (int i = 0; i < 8; i++) v[i] = opt_string(L, 1, fn, keys[i]);
    lua_Integer limit = opt_integer(L, 1, fn, "limit", ADMIN_MAX_ROWS);
    luaL_argcheck(L, limit >= 0 && limit <= ADMIN_MAX_ROWS, 1, "limit out of range");
    prepare_internal(L, a, fn,
        "SELECT " RULEDATA_UNIT_COLUMNS ", legal_rep, address, business_scope, version, created_at, "
        "updated_at FROM enterprises WHERE (?1 IS NULL OR industry = ?1) AND (?2 IS NULL OR region = ?2) "
        "AND (?3 IS NULL OR status = ?3) AND (?4 IS NULL OR risk_level = ?4) "
        "AND (?5 IS NULL OR credit_level = ?5) AND (?6 IS NULL OR unit_type = ?6) "
        "AND (?7 IS NULL OR supervision_type = ?7) AND (?8 IS NULL OR instr(name, ?8) > 0) "
        "ORDER BY id LIMIT ?9");
    for (int i = 0; i < 8; i++) bind_opt_text(a->cur, i + 1, v[i]);
    sqlite3_bind_int64(a->cur, 9, limit);
    return push_directory(L, a, fn, ruledata_unit, 15);
}

/* directory.inspectors{level, status, unit, expertise, expert, limit} -> array of inspectors
 * (the rules' inspector table plus phone, version, times; never the 身份证号) */
static int l_dir_inspectors(lua_State *L)
{
    static const char *const keys[] = {"level", "status", "unit", "expertise", "expert", "limit", NULL};
    static const char *const fn = "directory.inspectors";
    adminapi *a = session(L);
    lua_settop(L, 1);
    check_options(L, 1, fn, keys);
    const char *v[4];
    for (int i = 0; i < 4; i++) v[i] = opt_string(L, 1, fn, keys[i]);
    int expert = -1;
    if (!lua_isnil(L, 1)) {
        lua_getfield(L, 1, "expert");
        if (lua_isboolean(L, -1)) expert = lua_toboolean(L, -1);
        else if (!lua_isnil(L, -1)) luaL_error(L, "%s: option expert must be a boolean", fn);
        lua_pop(L, 1);
    }
    lua_Integer limit = opt_integer(L, 1, fn, "limit", ADMIN_MAX_ROWS);
    luaL_argcheck(L, limit >= 0 && limit <= ADMIN_MAX_ROWS, 1, "limit out of range");
    prepare_internal(L, a, fn,
        "SELECT " RULEDATA_INSPECTOR_COLUMNS ", phone, version, created_at, updated_at FROM inspectors "
        "WHERE (?1 IS NULL OR level = ?1) AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR unit = ?3) "
        "AND (?4 IS NULL OR CASE WHEN json_valid(expertise) THEN EXISTS (SELECT 1 FROM "
        "json_each(inspectors.expertise) WHERE value = ?4) ELSE 0 END) "
        "AND (?5 IS NULL OR is_expert = ?5) ORDER BY id LIMIT ?6");
    for (int i = 0; i < 4; i++) bind_opt_text(a->cur, i + 1, v[i]);
    if (expert >= 0) sqlite3_bind_int(a->cur, 5, expert);
    sqlite3_bind_int64(a->cur, 6, limit);
    return push_directory(L, a, fn, ruledata_inspector, 12);
}

/* ------------------------------------------------------------------------------------------ */
/* tasks, results                                                                              */

/* tasks.list{status, limit} -> array of task rows, newest first */
static int l_tasks_list(lua_State *L)
{
    static const char *const keys[] = {"status", "limit", NULL};
    static const char *const fn = "tasks.list";
    adminapi *a = session(L);
    lua_settop(L, 1);
    check_options(L, 1, fn, keys);
    const char *status = opt_string(L, 1, fn, "status");
    lua_Integer limit = opt_integer(L, 1, fn, "limit", ADMIN_MAX_ROWS);
    require_table(L, a, fn, "tasks");
    if (status && !column_exists(a, "tasks", "status"))
        return luaL_error(L, "%s: table tasks has no column status", fn);
    prepare_internal(L, a, fn, status ? "SELECT * FROM tasks WHERE status = ?1 ORDER BY id DESC LIMIT ?2"
                                      : "SELECT * FROM tasks ORDER BY id DESC LIMIT ?2");
    if (status) sqlite3_bind_text(a->cur, 1, status, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(a->cur, 2, limit);
    push_rows(L, a, fn);
    lua_pop(L, 1);   /* column names */
    return 1;
}

/* tasks.get(id) -> task row or nil */
static int l_tasks_get(lua_State *L)
{
    static const char *const fn = "tasks.get";
    adminapi *a = session(L);
    lua_Integer id = luaL_checkinteger(L, 1);
    require_table(L, a, fn, "tasks");
    prepare_internal(L, a, fn, "SELECT * FROM tasks WHERE id = ?");
    sqlite3_bind_int64(a->cur, 1, id);
    push_rows(L, a, fn);
    lua_pop(L, 1);
    lua_geti(L, -1, 1);
    return 1;
}

/* results.list{task_id, limit} -> array of result rows */
static int l_results_list(lua_State *L)
{
    static const char *const keys[] = {"task_id", "limit", NULL};
    static const char *const fn = "results.list";
    adminapi *a = session(L);
    lua_settop(L, 1);
    check_options(L, 1, fn, keys);
    lua_Integer task = opt_integer(L, 1, fn, "task_id", -1);
    lua_Integer limit = opt_integer(L, 1, fn, "limit", ADMIN_MAX_ROWS);
    require_table(L, a, fn, "results");
    if (task >= 0 && !column_exists(a, "results", "task_id"))
        return luaL_error(L, "%s: table results has no column task_id", fn);
    prepare_internal(L, a, fn, task >= 0 ? "SELECT * FROM results WHERE task_id = ?1 ORDER BY id LIMIT ?2"
                                         : "SELECT * FROM results ORDER BY id LIMIT ?2");
    if (task >= 0) sqlite3_bind_int64(a->cur, 1, task);
    sqlite3_bind_int64(a->cur, 2, limit);
    push_rows(L, a, fn);
    lua_pop(L, 1);
    return 1;
}

/* db.tables() -> sorted array of the table names (to see what the schema holds) */
static int l_db_tables(lua_State *L)
{
    adminapi *a = session(L);
    prepare_internal(L, a, "db.tables",
                     "SELECT name FROM sqlite_master WHERE type IN ('table','view') AND name NOT LIKE "
                     "'sqlite_%' ORDER BY name");
    lua_createtable(L, 32, 0);
    lua_Integer n = 0;
    int rc;
    while ((rc = sqlite3_step(a->cur)) == SQLITE_ROW) {
        lua_pushstring(L, (const char *)sqlite3_column_text(a->cur, 0));
        lua_rawseti(L, -2, ++n);
    }
    if (rc != SQLITE_DONE) return raise_sql(L, a, "db.tables", rc);
    drop_cur(a);
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* draw.simulate                                                                               */

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Collects the candidates at idx (strings, or tables with a string uscc) into a userdata array
 * pushed on the stack, sorted by byte order; *n receives the count. The strings stay referenced by
 * the table at idx. Raises on a bad or duplicate candidate. */
static const char **collect_candidates(lua_State *L, int idx, const char *what, size_t *n)
{
    idx = lua_absindex(L, idx);
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_Integer len = luaL_len(L, idx);
    if (len < 0 || len > 10000000) luaL_error(L, "draw.simulate: too many candidates in %s", what);
    const char **arr = lua_newuserdatauv(L, (size_t)(len ? len : 1) * sizeof *arr, 0);
    /* An anchor table keeps each string alive even if the candidate was a table's field. */
    lua_createtable(L, (int)len, 0);
    int anchor = lua_gettop(L);
    for (lua_Integer i = 1; i <= len; i++) {
        lua_geti(L, idx, i);
        if (lua_type(L, -1) == LUA_TTABLE) {
            lua_getfield(L, -1, "uscc");
            lua_remove(L, -2);
        }
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "draw.simulate: candidate %d of %s is not a USCC string (or a table with uscc)",
                       (int)i, what);
        size_t sl;
        const char *s = lua_tolstring(L, -1, &sl);
        if (sl == 0 || strlen(s) != sl || memchr(s, '\n', sl))
            luaL_error(L, "draw.simulate: candidate %d of %s is empty or contains a newline", (int)i, what);
        arr[i - 1] = s;
        lua_rawseti(L, anchor, i);
    }
    qsort(arr, (size_t)len, sizeof *arr, cmp_str);
    for (lua_Integer i = 1; i < len; i++)
        if (!strcmp(arr[i - 1], arr[i])) luaL_error(L, "draw.simulate: duplicate candidate %s in %s", arr[i], what);
    /* the array and its anchor table stay on the caller's stack until the draw is done */
    *n = (size_t)len;
    return arr;
}

static void push_hex(lua_State *L, const unsigned char *b, size_t n)
{
    char hex[2 * 64 + 1];
    hex_encode(hex, b, n);
    lua_pushstring(L, hex);
}

/* draw.simulate{candidates = {...}, n = N, witness = "..."} or
 * draw.simulate{strata = {{name =, candidates =, n =}, ...}, witness = "..."} -> the draw with a fresh
 * secret (algorithm v1, SPEC §4); nothing is stored. */
static int l_draw_simulate(lua_State *L)
{
    static const char *const keys[] = {"candidates", "n", "witness", "strata", NULL};
    lua_settop(L, 1);
    luaL_checktype(L, 1, LUA_TTABLE);
    check_options(L, 1, "draw.simulate", keys);
    size_t wlen = 0;
    lua_getfield(L, 1, "witness");
    const char *witness = lua_isnil(L, -1) ? "" : lua_tolstring(L, -1, &wlen);
    if (!witness) return luaL_error(L, "draw.simulate: witness must be a string");
    /* normalise to a list of strata at index 3 */
    lua_getfield(L, 1, "strata");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_createtable(L, 1, 0);
        lua_createtable(L, 0, 3);
        lua_pushliteral(L, "all");
        lua_setfield(L, -2, "name");
        lua_getfield(L, 1, "candidates");
        lua_setfield(L, -2, "candidates");
        lua_getfield(L, 1, "n");
        lua_setfield(L, -2, "n");
        lua_rawseti(L, -2, 1);
    }
    int strata = 3;
    luaL_checktype(L, strata, LUA_TTABLE);
    lua_Integer ns = luaL_len(L, strata);
    if (ns < 1 || ns > 1000) return luaL_error(L, "draw.simulate: between 1 and 1000 strata");
    /* per stratum, the stratum table, its candidates, the sorted array and its anchor stay on the
     * stack: the arrays point into strings that the anchors keep alive */
    const char ***arrs = lua_newuserdatauv(L, (size_t)ns * sizeof *arrs, 0);
    size_t *sizes = lua_newuserdatauv(L, (size_t)ns * sizeof *sizes, 0);
    size_t *counts = lua_newuserdatauv(L, (size_t)ns * sizeof *counts, 0);
    for (lua_Integer s = 1; s <= ns; s++) {
        lua_geti(L, strata, s);
        int st = lua_gettop(L);
        if (!lua_istable(L, st)) return luaL_error(L, "draw.simulate: stratum %d is not a table", (int)s);
        lua_getfield(L, st, "candidates");
        if (!lua_istable(L, -1)) return luaL_error(L, "draw.simulate: candidates must be a list of USCCs");
        char what[32];
        snprintf(what, sizeof what, "stratum %d", (int)s);
        arrs[s - 1] = collect_candidates(L, -1, what, &sizes[s - 1]);
        lua_getfield(L, st, "n");
        if (!lua_isinteger(L, -1)) return luaL_error(L, "draw.simulate: n must be an integer (%s)", what);
        lua_Integer n = lua_tointeger(L, -1);
        lua_pop(L, 1);
        if (n < 0 || (size_t)n > sizes[s - 1])
            return luaL_error(L, "draw.simulate: n = %d is outside 0..%d (%s)", (int)n, (int)sizes[s - 1], what);
        counts[s - 1] = (size_t)n;
        /* the stratum table, its candidates, the array and its anchor stay on the stack */
    }
    draw_cand_hash ch;
    draw_cand_init(&ch);
    for (lua_Integer s = 0; s < ns; s++) {
        draw_cand_begin(&ch);
        for (size_t i = 0; i < sizes[s]; i++) draw_cand_add(&ch, arrs[s][i], strlen(arrs[s][i]));
        draw_cand_end(&ch, NULL);
    }
    unsigned char hc[DRAW_HASH_LEN], secret[32], commitment[DRAW_HASH_LEN], seed[DRAW_HASH_LEN];
    draw_cand_final(&ch, hc);
    draw_new_secret(secret);
    draw_commitment(secret, commitment);
    draw_seed(secret, witness, wlen, seed);

    lua_createtable(L, 0, 10);
    int out = lua_gettop(L);
    lua_pushliteral(L, DRAW_ALGORITHM);
    lua_setfield(L, out, "algorithm");
    push_hex(L, secret, 32);
    lua_setfield(L, out, "secret");
    push_hex(L, commitment, DRAW_HASH_LEN);
    lua_setfield(L, out, "commitment");
    push_hex(L, seed, DRAW_HASH_LEN);
    lua_setfield(L, out, "seed");
    push_hex(L, hc, DRAW_HASH_LEN);
    lua_setfield(L, out, "candidates_hash");
    lua_pushlstring(L, witness, wlen);
    lua_setfield(L, out, "witness");
    lua_createtable(L, (int)ns, 0);
    int outstrata = lua_gettop(L);
    lua_createtable(L, 0, 0);
    int all = lua_gettop(L);
    lua_Integer nall = 0;
    for (lua_Integer s = 0; s < ns; s++) {
        size_t *perm = lua_newuserdatauv(L, (counts[s] ? counts[s] : 1) * sizeof *perm, 0);
        uint64_t words = 0;
        if (draw_select(seed, hc, (uint32_t)s, sizes[s], counts[s], perm, &words) != 0)
            return luaL_error(L, "draw.simulate: out of memory");
        lua_createtable(L, 0, 5);
        lua_geti(L, strata, s + 1);
        lua_getfield(L, -1, "name");
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            lua_pushfstring(L, "stratum %d", (int)s + 1);
        }
        lua_setfield(L, -3, "name");
        lua_pop(L, 1);
        lua_pushinteger(L, (lua_Integer)sizes[s]);
        lua_setfield(L, -2, "size");
        lua_pushinteger(L, (lua_Integer)words);
        lua_setfield(L, -2, "words_used");
        lua_createtable(L, (int)counts[s], 0);
        for (size_t i = 0; i < counts[s]; i++) {
            lua_pushstring(L, arrs[s][perm[i]]);
            lua_pushvalue(L, -1);
            lua_rawseti(L, all, ++nall);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        lua_setfield(L, -2, "selected");
        lua_rawseti(L, outstrata, s + 1);
        lua_pop(L, 1);   /* perm */
    }
    lua_pushvalue(L, all);
    lua_setfield(L, out, "selected");
    lua_pushvalue(L, outstrata);
    lua_setfield(L, out, "strata");
    sodium_memzero(secret, sizeof secret);
    lua_pushvalue(L, out);
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* report.format / report.csv                                                                  */

/* Terminal columns of code point c: 2 for East Asian wide and fullwidth, 0 for combining marks. */
static int cp_width(uint32_t c)
{
    if ((c >= 0x0300 && c <= 0x036F) || (c >= 0x200B && c <= 0x200F) || (c >= 0xFE00 && c <= 0xFE0F))
        return 0;
    if ((c >= 0x1100 && c <= 0x115F) || c == 0x2329 || c == 0x232A ||
        (c >= 0x2E80 && c <= 0x303E) || (c >= 0x3041 && c <= 0x33FF) || (c >= 0x3400 && c <= 0x4DBF) ||
        (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF) || (c >= 0xAC00 && c <= 0xD7A3) ||
        (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
        (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) || (c >= 0x1F900 && c <= 0x1F9FF) ||
        (c >= 0x20000 && c <= 0x3FFFD))
        return 2;
    return 1;
}

/* Decodes one UTF-8 character at s (n bytes left); returns its length (1 for an invalid byte,
 * with *cp = 0xFFFD). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char b = s[0];
    size_t len;
    uint32_t c, min;
    if (b < 0x80) { *cp = b; return 1; }
    else if ((b & 0xE0) == 0xC0) { len = 2; c = b & 0x1F; min = 0x80; }
    else if ((b & 0xF0) == 0xE0) { len = 3; c = b & 0x0F; min = 0x800; }
    else if ((b & 0xF8) == 0xF0) { len = 4; c = b & 0x07; min = 0x10000; }
    else { *cp = 0xFFFD; return 1; }
    if (len > n) { *cp = 0xFFFD; return 1; }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) { *cp = 0xFFFD; return 1; }
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) { *cp = 0xFFFD; return 1; }
    *cp = c;
    return len;
}

static size_t text_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        uint32_t c;
        i += utf8_next((const unsigned char *)s + i, n - i, &c);
        w += (size_t)cp_width(c);
    }
    return w;
}

char *adminapi_utf8(const char *s, size_t len, size_t max)
{
    size_t cap = (len < max ? len : max) * 3 / 2 + 4, n = 0;
    char *out = malloc(cap);
    if (!out) return NULL;
    for (size_t i = 0; i < len;) {
        uint32_t c;
        size_t k = utf8_next((const unsigned char *)s + i, len - i, &c);
        int bad = c == 0xFFFD && !(k == 3 && !memcmp(s + i, "\xEF\xBF\xBD", 3));
        size_t need = bad ? 3 : k;
        if (i + k > max) break;
        if (n + need + 1 > cap) {
            cap = cap * 2 + need + 1;
            char *p = realloc(out, cap);
            if (!p) { free(out); return NULL; }
            out = p;
        }
        if (bad) { memcpy(out + n, "\xEF\xBF\xBD", 3); }
        else if (k == 1 && c == 0) { memcpy(out + n, "\xEF\xBF\xBD", 3); need = 3; }   /* no NULs */
        else memcpy(out + n, s + i, k);
        n += need;
        i += k;
    }
    out[n] = '\0';
    return out;
}

/* Pushes the display text of the value at idx: "" for nil, the items joined by ";" for a sequence
 * of scalars, tostring otherwise. */
static void push_cell(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    switch (lua_type(L, idx)) {
    case LUA_TNIL: lua_pushliteral(L, ""); return;
    case LUA_TSTRING: lua_pushvalue(L, idx); return;
    case LUA_TTABLE: {
        lua_Integer n = luaL_len(L, idx);
        if (n > 0 && n <= 1000) {
            luaL_Buffer b;
            luaL_buffinit(L, &b);
            for (lua_Integer i = 1; i <= n; i++) {
                lua_geti(L, idx, i);
                int t = lua_type(L, -1);
                if (t != LUA_TSTRING && t != LUA_TNUMBER && t != LUA_TBOOLEAN) { lua_pop(L, 1); break; }
                if (i > 1) luaL_addchar(&b, ';');
                luaL_tolstring(L, -1, NULL);
                lua_remove(L, -2);
                luaL_addvalue(&b);
                if (i == n) { luaL_pushresult(&b); return; }
            }
            luaL_pushresult(&b);
            lua_pop(L, 1);
        }
        luaL_tolstring(L, idx, NULL);
        return;
    }
    default: luaL_tolstring(L, idx, NULL); return;
    }
}

/* Builds the column list at index top+1 (array of {key, title}) from the spec at idx, or from the
 * keys of the rows (sorted) when idx is nil. Returns the number of columns. */
static int push_columns(lua_State *L, int rows, int idx, const char *fn)
{
    lua_newtable(L);
    int cols = lua_gettop(L);
    int n = 0;
    if (!lua_isnoneornil(L, idx)) {
        luaL_checktype(L, idx, LUA_TTABLE);
        lua_Integer len = luaL_len(L, idx);
        for (lua_Integer i = 1; i <= len; i++) {
            lua_geti(L, idx, i);
            int spec = lua_gettop(L);
            lua_createtable(L, 2, 0);
            if (lua_type(L, spec) == LUA_TSTRING) {
                lua_pushvalue(L, spec); lua_rawseti(L, -2, 1);
                lua_pushvalue(L, spec); lua_rawseti(L, -2, 2);
            } else if (lua_type(L, spec) == LUA_TTABLE) {
                if (lua_geti(L, spec, 1) == LUA_TNIL) { lua_pop(L, 1); lua_getfield(L, spec, "key"); }
                if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "%s: column %d has no key", fn, (int)i);
                lua_rawseti(L, -2, 1);
                if (lua_geti(L, spec, 2) == LUA_TNIL) { lua_pop(L, 1); lua_getfield(L, spec, "title"); }
                if (lua_isnil(L, -1)) { lua_pop(L, 1); lua_rawgeti(L, -1, 1); }
                lua_rawseti(L, -2, 2);
            } else {
                luaL_error(L, "%s: column %d must be a key or {key, title}", fn, (int)i);
            }
            lua_rawseti(L, cols, ++n);
            lua_pop(L, 1);
        }
        return n;
    }
    /* union of the string keys of the rows, sorted (through Lua's table.sort is unavailable here:
     * collect then insertion-sort in C on the stack-anchored strings) */
    lua_newtable(L);
    int seen = lua_gettop(L);
    lua_Integer len = luaL_len(L, rows);
    for (lua_Integer i = 1; i <= len && i <= 1000; i++) {
        if (lua_geti(L, rows, i) == LUA_TTABLE) {
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                lua_pop(L, 1);
                if (lua_type(L, -1) == LUA_TSTRING) {
                    lua_pushvalue(L, -1);
                    if (lua_rawget(L, seen) == LUA_TNIL) {
                        lua_pushvalue(L, -2);
                        lua_pushboolean(L, 1);
                        lua_rawset(L, seen);
                        lua_pushvalue(L, -2);
                        lua_rawseti(L, cols, ++n);
                    }
                    lua_pop(L, 1);
                }
            }
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (n == 0 && len > 0) luaL_error(L, "%s: cannot see the rows' fields; give the columns", fn);
    /* sort names, "id" first */
    for (int i = 2; i <= n; i++) {
        for (int j = i; j > 1; j--) {
            lua_rawgeti(L, cols, j - 1);
            lua_rawgeti(L, cols, j);
            const char *x = lua_tostring(L, -2), *y = lua_tostring(L, -1);
            int swap = strcmp(y, "id") == 0 ? strcmp(x, "id") != 0 : (strcmp(x, "id") != 0 && strcmp(x, y) > 0);
            if (!swap) { lua_pop(L, 2); break; }
            lua_rawseti(L, cols, j - 1);
            lua_rawseti(L, cols, j);
        }
    }
    for (int i = 1; i <= n; i++) {
        lua_createtable(L, 2, 0);
        lua_rawgeti(L, cols, i);
        lua_pushvalue(L, -1);
        lua_rawseti(L, -3, 1);
        lua_rawseti(L, -2, 2);
        lua_rawseti(L, cols, i);
    }
    return n;
}

/* Appends s (n bytes) to b, cut to at most maxw columns ("..." marks a cut); tabs and newlines
 * become spaces. Returns the width written. s must stay referenced elsewhere (not on the stack). */
static size_t add_cut(luaL_Buffer *b, const char *s, size_t n, size_t maxw)
{
    size_t full = text_width(s, n), w = 0;
    size_t limit = full > maxw ? (maxw > 3 ? maxw - 3 : 0) : maxw;
    for (size_t i = 0; i < n;) {
        uint32_t c;
        size_t k = utf8_next((const unsigned char *)s + i, n - i, &c);
        size_t cw = (size_t)cp_width(c);
        if (w + cw > limit) break;
        if (c == '\t' || c == '\n' || c == '\r') luaL_addchar(b, ' ');
        else if (c < 0x20 || (c == 0xFFFD && k == 1)) luaL_addchar(b, '?');
        else luaL_addlstring(b, s + i, k);
        w += cw;
        i += k;
    }
    if (full > maxw) {
        luaL_addstring(b, "...");
        w += 3;
    }
    return w;
}

static void add_spaces(luaL_Buffer *b, size_t n)
{
    while (n--) luaL_addchar(b, ' ');
}

/* The string at cells[i]; the pointer stays valid while the cells table holds it. */
static const char *cell_at(lua_State *L, int cells, lua_Integer i, size_t *n)
{
    lua_rawgeti(L, cells, i);
    const char *s = lua_tolstring(L, -1, n);
    lua_pop(L, 1);
    return s;
}

/* Fills a new table (pushed) with the text of every cell, row-major, the titles as row 0:
 * cells[r * ncol + c + 1]. kinds (userdata, ncol + ncol * nrows ints, may be NULL) receives per
 * column whether every non-nil value is a number (first ncol entries) and per cell whether the
 * value was a string. cols is the column list of push_columns. */
static int fill_cells(lua_State *L, int rows, int cols, int ncol, lua_Integer nrows, int *numeric, int *is_text)
{
    lua_createtable(L, (int)((nrows + 1) * ncol), 0);
    int cells = lua_gettop(L);
    for (int c = 0; c < ncol; c++) {
        lua_rawgeti(L, cols, c + 1);
        lua_rawgeti(L, -1, 2);
        luaL_tolstring(L, -1, NULL);
        lua_rawseti(L, cells, c + 1);
        lua_pop(L, 2);
        if (numeric) numeric[c] = -1;
    }
    for (lua_Integer r = 1; r <= nrows; r++) {
        lua_geti(L, rows, r);
        int row = lua_gettop(L);
        for (int c = 0; c < ncol; c++) {
            lua_rawgeti(L, cols, c + 1);
            lua_rawgeti(L, -1, 1);
            int t;
            if (lua_istable(L, row)) t = lua_gettable(L, row);
            else { lua_pop(L, 1); lua_pushnil(L); t = LUA_TNIL; }
            if (numeric && t != LUA_TNIL) numeric[c] = (numeric[c] != 0 && t == LUA_TNUMBER) ? 1 : 0;
            if (is_text) is_text[(r - 1) * ncol + c] = t == LUA_TSTRING;
            push_cell(L, -1);
            lua_rawseti(L, cells, r * ncol + c + 1);
            lua_pop(L, 2);
        }
        lua_pop(L, 1);
    }
    return cells;
}

/* report.format(rows, columns, {title=, max_width=}) -> the rows as an aligned text table */
static int l_report_format(lua_State *L)
{
    static const char *const fn = "report.table";
    static const char *const keys[] = {"title", "max_width", NULL};
    lua_settop(L, 3);
    luaL_checktype(L, 1, LUA_TTABLE);
    check_options(L, 3, fn, keys);
    lua_Integer maxw = opt_integer(L, 3, fn, "max_width", ADMIN_CELL_WIDTH);
    luaL_argcheck(L, maxw >= 4 && maxw <= 1000, 3, "max_width out of range");
    const char *title = opt_string(L, 3, fn, "title");   /* held by the options table */
    int ncol = push_columns(L, 1, 2, fn);
    int cols = lua_gettop(L);
    lua_Integer nrows = luaL_len(L, 1);
    if (nrows < 0 || nrows > ADMIN_MAX_ROWS) return luaL_error(L, "%s: too many rows", fn);
    size_t *width = lua_newuserdatauv(L, (size_t)(ncol ? ncol : 1) * sizeof *width, 0);
    int *numeric = lua_newuserdatauv(L, (size_t)(ncol ? ncol : 1) * sizeof *numeric, 0);
    int cells = fill_cells(L, 1, cols, ncol, nrows, numeric, NULL);
    for (int c = 0; c < ncol; c++) width[c] = 0;
    for (lua_Integer r = 0; r <= nrows; r++) {
        for (int c = 0; c < ncol; c++) {
            size_t n;
            const char *s = cell_at(L, cells, r * ncol + c + 1, &n);
            size_t w = text_width(s, n);
            if (w > (size_t)maxw) w = (size_t)maxw;
            if (w > width[c]) width[c] = w;
        }
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    if (title) {
        luaL_addstring(&b, title);
        luaL_addchar(&b, '\n');
    }
    for (lua_Integer r = 0; r <= nrows; r++) {
        size_t pending = 0;   /* padding is written only before a next cell: no trailing blanks */
        for (int c = 0; c < ncol; c++) {
            size_t n;
            const char *s = cell_at(L, cells, r * ncol + c + 1, &n);
            size_t w = text_width(s, n);
            if (w > (size_t)maxw) w = (size_t)maxw;
            int right = numeric[c] == 1;   /* numbers and their title to the right */
            if (c > 0) pending += 2;
            if (right && width[c] > w) pending += width[c] - w;
            if (n == 0) {   /* nothing to write: carry the padding (no trailing blanks) */
                if (!right) pending += width[c];
                continue;
            }
            add_spaces(&b, pending);
            size_t written = add_cut(&b, s, n, (size_t)maxw);
            pending = !right && written < width[c] ? width[c] - written : 0;
        }
        luaL_addchar(&b, '\n');
        if (r == 0) {
            for (int c = 0; c < ncol; c++) {
                if (c > 0) luaL_addstring(&b, "  ");
                for (size_t i = 0; i < width[c]; i++) luaL_addchar(&b, '-');
            }
            luaL_addchar(&b, '\n');
        }
    }
    lua_pushfstring(L, "(%d %s)", (int)nrows, nrows == 1 ? "row" : "rows");
    luaL_addvalue(&b);
    luaL_pushresult(&b);
    return 1;
}

static int valid_csv_name(const char *s, size_t n)
{
    if (n < 5 || n > 128 || s[0] == '.' || strcmp(s + n - 4, ".csv")) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

/* A small write buffer over a file descriptor (no Lua calls while it is in use). */
struct csv_out {
    int fd;
    int err;          /* errno of the first failed write, or 0 */
    size_t n;
    char buf[16384];
};

static void csv_flush(struct csv_out *o)
{
    size_t off = 0;
    while (off < o->n && !o->err) {
        ssize_t w = write(o->fd, o->buf + off, o->n - off);
        if (w < 0) {
            if (errno != EINTR) o->err = errno;
            continue;
        }
        off += (size_t)w;
    }
    o->n = 0;
}

static void csv_put(struct csv_out *o, const char *s, size_t n)
{
    while (n > 0) {
        if (o->n == sizeof o->buf) csv_flush(o);
        size_t k = sizeof o->buf - o->n;
        if (k > n) k = n;
        memcpy(o->buf + o->n, s, k);
        o->n += k;
        s += k;
        n -= k;
    }
}

/* One CSV field, RFC 4180 quoting; a text starting with = + - @ gets a leading ' so that
 * spreadsheets do not run it as a formula. */
static void csv_field(struct csv_out *o, const char *s, size_t n, int is_text)
{
    int quote = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '"' || s[i] == ',' || s[i] == '\n' || s[i] == '\r') quote = 1;
    int guard = is_text && n > 0 && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
                                     s[0] == '\t' || s[0] == '\r');
    if (quote) csv_put(o, "\"", 1);
    if (guard) csv_put(o, "'", 1);
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') {
            csv_put(o, s + from, i + 1 - from);
            csv_put(o, "\"", 1);
            from = i + 1;
        }
    }
    csv_put(o, s + from, n - from);
    if (quote) csv_put(o, "\"", 1);
}

/* report.csv(name, rows, columns, {overwrite = bool}) -> path, rows written. The file goes into
 * spot_config.export_dir only; the name is [A-Za-z0-9_.-]+.csv. UTF-8 with a BOM (for Excel/WPS). */
static int l_report_csv(lua_State *L)
{
    static const char *const fn = "report.csv";
    static const char *const keys[] = {"overwrite", NULL};
    lua_settop(L, 4);
    size_t nlen;
    const char *name = luaL_checklstring(L, 1, &nlen);
    if (!valid_csv_name(name, nlen))
        return luaL_error(L, "%s: invalid file name '%s': use letters, digits, '_', '.', '-', end in "
                             ".csv, no directories (files go into the export directory)", fn, name);
    luaL_checktype(L, 2, LUA_TTABLE);
    check_options(L, 4, fn, keys);
    int overwrite = 0;
    if (!lua_isnil(L, 4)) {
        lua_getfield(L, 4, "overwrite");
        overwrite = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    int ncol = push_columns(L, 2, 3, fn);
    int cols = lua_gettop(L);
    lua_Integer nrows = luaL_len(L, 2);
    if (nrows < 0 || nrows > ADMIN_MAX_ROWS) return luaL_error(L, "%s: too many rows", fn);
    int *is_text = lua_newuserdatauv(L, (size_t)((nrows ? nrows : 1) * (ncol ? ncol : 1)) * sizeof *is_text, 0);
    int cells = fill_cells(L, 2, cols, ncol, nrows, NULL, is_text);
    struct csv_out *o = lua_newuserdatauv(L, sizeof *o, 0);
    o->n = 0;
    o->err = 0;

    const char *dir = spot_config.export_dir;
    if (mkdir(dir, 0750) != 0 && errno != EEXIST)
        return luaL_error(L, "%s: cannot create the export directory %s: %s", fn, dir, strerror(errno));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return luaL_error(L, "%s: cannot open the export directory %s: %s", fn, dir, strerror(errno));
    int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL);
    o->fd = openat(dfd, name, flags, 0640);
    int e = errno;
    close(dfd);
    if (o->fd < 0) {
        if (e == EEXIST)
            return luaL_error(L, "%s: %s/%s exists (pass {overwrite = true} to replace it)", fn, dir, name);
        return luaL_error(L, "%s: cannot create %s/%s: %s", fn, dir, name, strerror(e));
    }
    /* from here to close: no call that can raise */
    csv_put(o, "\xEF\xBB\xBF", 3);
    for (lua_Integer r = 0; r <= nrows; r++) {
        for (int c = 0; c < ncol; c++) {
            if (c) csv_put(o, ",", 1);
            size_t n;
            const char *s = cell_at(L, cells, r * ncol + c + 1, &n);
            csv_field(o, s, n, r == 0 || is_text[(r - 1) * ncol + c]);
        }
        csv_put(o, "\r\n", 2);
    }
    csv_flush(o);
    e = o->err;
    if (close(o->fd) != 0 && !e) e = errno;
    if (e) return luaL_error(L, "%s: writing %s/%s: %s", fn, dir, name, strerror(e));
    char real[PATH_MAX];
    lua_pushfstring(L, "%s/%s", realpath(dir, real) ? real : dir, name);
    lua_pushinteger(L, nrows);
    return 2;
}

/* ------------------------------------------------------------------------------------------ */
/* Session                                                                                     */

static const luaL_Reg db_fns[] = {
    {"query", l_db_query},
    {"tables", l_db_tables},
    {NULL, NULL},
};
static const luaL_Reg directory_fns[] = {
    {"enterprises", l_dir_enterprises},
    {"inspectors", l_dir_inspectors},
    {NULL, NULL},
};
static const luaL_Reg tasks_fns[] = {
    {"list", l_tasks_list},
    {"get", l_tasks_get},
    {NULL, NULL},
};
static const luaL_Reg results_fns[] = {
    {"list", l_results_list},
    {NULL, NULL},
};
static const luaL_Reg draw_fns[] = {
    {"simulate", l_draw_simulate},
    {NULL, NULL},
};
static const luaL_Reg report_fns[] = {
    {"format", l_report_format},
    {"csv", l_report_csv},
    {NULL, NULL},
};

/* Runs in the console environment once per session: what is easier said in Lua. */
static const char prelude[] =
    "do\n"
    "  local real_rules, print, error, type, tostring, select = rules, print, error, type, tostring, select\n"
    "  local format = report.format\n"
    "  report.table = function(rows, columns, options) print(format(rows, columns, options)) end\n"
    "  local function eval(name, fn, ...)\n"
    "    local r = real_rules[name]\n"
    "    if r == nil then error(\"rules.eval: no rule named '\" .. tostring(name) .. \"'\", 2) end\n"
    "    local f = r[fn]\n"
    "    if type(f) ~= 'function' then\n"
    "      error(\"rules.eval: rules.\" .. tostring(name) .. \" has no function '\" .. tostring(fn) .. \"'\", 2)\n"
    "    end\n"
    "    return f(...)\n"
    "  end\n"
    "  rules = setmetatable({}, {\n"
    "    __index = function(_, k) if k == 'eval' then return eval end return real_rules[k] end,\n"
    "    __newindex = function() error('rules is read-only', 2) end,\n"
    "    __metatable = 'locked' })\n"
    "  function help()\n"
    "    print([[\n"
    "db.query(sql, ...)            只读 SQL，参数用 ? 传入 -> 行, 列名\n"
    "db.tables()                   数据库中的表\n"
    "directory.enterprises{industry=, region=, status=, risk_level=, credit_level=, unit_type=,\n"
    "                      supervision_type=, q=, limit=}        检查对象（规则所见的表）\n"
    "directory.inspectors{level=, status=, unit=, expertise=, expert=, limit=}   执法检查人员\n"
    "tasks.list{status=, limit=}, tasks.get(id), results.list{task_id=, limit=}   任务与结果\n"
    "rules.<名称>.<函数>(...), rules.eval(名称, 函数, ...)   调用现行规则\n"
    "draw.simulate{candidates={uscc...}, n=, witness=}   用新密钥模拟一次抽取，不保存\n"
    "report.table(rows, columns, {title=})   打印对齐的表格（columns：键名或 {键名, 标题}）\n"
    "report.format(rows, columns)            同样的文本，作为返回值\n"
    "report.csv(name, rows, columns, {overwrite=true})   写入 export_dir/name，返回路径\n"
    "详见 scripts/README.md。]])\n"
    "  end\n"
    "end\n";

adminapi *adminapi_open(sqlite3 *db, const char *db_path, const lh_limits *lim, char **err)
{
    adminapi *a = calloc(1, sizeof *a);
    if (!a) {
        *err = xprintf("out of memory");
        return NULL;
    }
    const lh_limits *l = lim ? lim : &spot_config.lua;
    a->millis = l->millis > 0 ? l->millis : 2000;
    a->h = lh_new(l, err);
    if (!a->h) goto fail;
    long long gen;
    if (rules_load_active(db, a->h, &gen, NULL, err) != 0) goto fail;
    int rc = sqlite3_open_v2(db_path, &a->ro, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK) {
        *err = xprintf("cannot open %s read-only: %s", db_path, a->ro ? sqlite3_errmsg(a->ro) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(a->ro, 5000);
    sqlite3_limit(a->ro, SQLITE_LIMIT_ATTACHED, 0);
    sqlite3_db_config(a->ro, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(a->ro, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
    sqlite3_db_config(a->ro, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    sqlite3_set_authorizer(a->ro, authorize, a);
    sqlite3_progress_handler(a->ro, 1000, progress, a);
    struct { const char *name; const luaL_Reg *fns; } tables[] = {
        {"db", db_fns}, {"directory", directory_fns}, {"tasks", tasks_fns}, {"results", results_fns},
        {"draw", draw_fns}, {"report", report_fns},
    };
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        if (lh_console_register(a->h, tables[i].name, (const struct luaL_Reg *)tables[i].fns, a) != 0) {
            *err = xprintf("cannot register %s in the console", tables[i].name);
            goto fail;
        }
    }
    char *out = NULL, *res = NULL;
    rc = lh_console(a->h, prelude, sizeof prelude - 1, &out, &res, err);
    free(out);
    free(res);
    if (rc != 0) goto fail;
    return a;
fail:
    adminapi_close(a);
    return NULL;
}

void adminapi_close(adminapi *a)
{
    if (!a) return;
    drop_cur(a);
    if (a->ro) sqlite3_close_v2(a->ro);
    lh_free(a->h);
    free(a);
}

int adminapi_run(adminapi *a, const char *code, size_t len, char **output, char **result, char **err)
{
    lh_chunk c = { .name = "console", .src = code, .len = len, .expression = 1 };
    return adminapi_run_chunk(a, &c, output, result, err);
}

int adminapi_run_chunk(adminapi *a, const lh_chunk *c, char **output, char **result, char **err)
{
    a->stop = 0;
    int rc = lh_run_chunk(a->h, c, output, result, err);
    drop_cur(a);   /* a query cut short by an error */
    return rc;
}

int adminapi_incomplete(adminapi *a, const char *code, size_t len)
{
    return lh_chunk_incomplete(a->h, code, len);
}

void adminapi_interrupt(adminapi *a)
{
    if (!a) return;
    a->stop = 1;
    lh_interrupt(a->h);
}

int adminapi_audit(sqlite3 *db, const char *actor, const char *action, const char *object,
                   const char *via, const char *code, size_t len, json_t *extra, char **err)
{
    unsigned char h[32];
    char sha[65];
    crypto_hash_sha256(h, (const unsigned char *)code, len);
    hex_encode(sha, h, 32);
    char *text = adminapi_utf8(code, len, ADMIN_AUDIT_CODE_MAX);
    if (!text) {
        *err = xprintf("out of memory");
        return -1;
    }
    json_t *d = json_pack("{ss ss sI ss}", "code", text, "sha256", sha, "bytes", (json_int_t)len,
                          "via", via ? via : "");
    free(text);
    if (!d) {
        *err = xprintf("out of memory");
        return -1;
    }
    if (len > ADMIN_AUDIT_CODE_MAX) json_object_set_new(d, "truncated", json_true());
    if (extra) json_object_update(d, extra);
    int rc = -1;
    if (db_begin(db, err) != 0) goto done;
    if (audit_log(db, actor, action, object, d, err) != 0) {
        db_rollback(db);
        goto done;
    }
    if (db_commit(db, err) != 0) {
        db_rollback(db);
        goto done;
    }
    rc = 0;
done:
    json_decref(d);
    return rc;
}
