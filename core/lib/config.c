/* config.c: defaults, configuration file, environment. Every key is documented in
 * packaging/spotcheck.conf (installed as /etc/spotcheck/spotcheck.conf). */
#include "config.h"
#include "db.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

config spot_config;

static int parse_long(const char *key, const char *v, long min, long max, long *out, char **err)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < min || n > max) {
        *err = xprintf("configuration key '%s': '%s' is not a whole number from %ld to %ld", key, v, min, max);
        return -1;
    }
    *out = n;
    return 0;
}

static int set_path(char *dst, size_t cap, const char *key, const char *v, char **err)
{
    if (!*v || strlen(v) >= cap) {
        *err = xprintf("configuration key '%s': path is empty or too long", key);
        return -1;
    }
    strcpy(dst, v);
    return 0;
}

int spot_ip_parse(const char *text, size_t len, spot_ip *out)
{
    char buf[INET6_ADDRSTRLEN];
    if (len == 0 || len >= sizeof buf) return -1;
    memcpy(buf, text, len);
    buf[len] = 0;
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        out->family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, buf, out->addr) != 1) return -1;
    out->family = AF_INET6;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!memcmp(out->addr, mapped, sizeof mapped)) {
        memmove(out->addr, out->addr + 12, 4);
        memset(out->addr + 4, 0, 12);
        out->family = AF_INET;
    }
    return 0;
}

char *spot_ip_format(const spot_ip *ip, char *buf, size_t cap)
{
    if (!inet_ntop(ip->family, ip->addr, buf, (socklen_t)cap)) snprintf(buf, cap, "-");
    return buf;
}

int config_trusted_proxy(const spot_ip *ip)
{
    const config *c = &spot_config;
    for (int i = 0; i < c->n_trusted_proxies; i++)
        if (c->trusted_proxies[i].family == ip->family &&
            !memcmp(c->trusted_proxies[i].addr, ip->addr, ip->family == AF_INET ? 4 : 16))
            return 1;
    return 0;
}

/* trusted_proxies: "" (nobody) or addresses separated by commas, spaces around them allowed. The
 * list replaces any earlier one (file, then environment) and is only stored when all of it parses. */
static int set_trusted_proxies(const char *v, char **err)
{
    spot_ip list[SPOT_MAX_TRUSTED_PROXIES];
    int n = 0;
    const char *p = v;
    while (*p == ' ' || *p == '\t') p++;
    if (*p) {
        for (;;) {
            const char *end = strchr(p, ',');
            if (!end) end = p + strlen(p);
            const char *s = p, *e = end;
            while (s < e && (*s == ' ' || *s == '\t')) s++;
            while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
            if (n == SPOT_MAX_TRUSTED_PROXIES) {
                *err = xprintf("configuration key 'trusted_proxies': more than %d addresses",
                               SPOT_MAX_TRUSTED_PROXIES);
                return -1;
            }
            if (spot_ip_parse(s, (size_t)(e - s), &list[n]) != 0) {
                *err = xprintf("configuration key 'trusted_proxies': '%.*s' is not an IPv4 or IPv6 address "
                               "(list single addresses separated by commas; no ranges, ports or names)",
                               (int)(e - s > 64 ? 64 : e - s), s);
                return -1;
            }
            n++;
            if (!*end) break;
            p = end + 1;
        }
    }
    memcpy(spot_config.trusted_proxies, list, sizeof list[0] * (size_t)n);
    spot_config.n_trusted_proxies = n;
    return 0;
}

int config_set(const char *key, const char *v, char **err)
{
    config *c = &spot_config;
    long n;
    if (!strcmp(key, "db_path")) return set_path(c->db_path, sizeof c->db_path, key, v, err);
    if (!strcmp(key, "rules_dir")) return set_path(c->rules_dir, sizeof c->rules_dir, key, v, err);
    if (!strcmp(key, "web_dir")) return set_path(c->web_dir, sizeof c->web_dir, key, v, err);
    if (!strcmp(key, "export_dir")) return set_path(c->export_dir, sizeof c->export_dir, key, v, err);
    if (!strcmp(key, "trusted_proxies")) return set_trusted_proxies(v, err);
    if (!strcmp(key, "listen")) {
        const char *colon = strrchr(v, ':');
        if (!colon || colon == v || (size_t)(colon - v) >= sizeof c->listen_addr) {
            *err = xprintf("configuration key 'listen': '%s' is not ADDRESS:PORT", v);
            return -1;
        }
        if (parse_long(key, colon + 1, 1, 65535, &n, err)) return -1;
        memcpy(c->listen_addr, v, (size_t)(colon - v));
        c->listen_addr[colon - v] = 0;
        c->listen_port = (int)n;
        return 0;
    }
    struct { const char *name; long min, max; } ints[] = {
        {"threads", 1, 256}, {"session_idle", 60, 86400 * 7}, {"session_max", 300, 86400 * 30},
        {"conn_timeout", 1, 3600}, {"per_ip_limit", 1, 100000}, {"secure_cookie", 0, 1},
        {"lua_instructions", 1000, 2000000000L}, {"lua_millis", 10, 600000},
        {"lua_memory", 1 << 20, 1L << 32}, {"body_max", 1024, 1L << 32}, {"upload_max", 1024, 1L << 34},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        if (strcmp(key, ints[i].name)) continue;
        if (parse_long(key, v, ints[i].min, ints[i].max, &n, err)) return -1;
        switch (i) {
        case 0: c->threads = (int)n; break;
        case 1: c->session_idle = (int)n; break;
        case 2: c->session_max = (int)n; break;
        case 3: c->conn_timeout = (int)n; break;
        case 4: c->per_ip_limit = (int)n; break;
        case 5: c->secure_cookie = (int)n; break;
        case 6: c->lua.instructions = n; break;
        case 7: c->lua.millis = n; break;
        case 8: c->lua.memory = (size_t)n; break;
        case 9: c->body_max = (size_t)n; break;
        case 10: c->upload_max = (size_t)n; break;
        }
        return 0;
    }
    *err = xprintf("unknown configuration key '%s'", key);
    return -1;
}

static void defaults(void)
{
    config *c = &spot_config;
    memset(c, 0, sizeof *c);
    strcpy(c->db_path, "spotcheck.db");
    strcpy(c->listen_addr, "127.0.0.1");
    c->listen_port = 8080;
    c->threads = 4;
    /* The source tree when run from a build, else the installed data directory. */
    const char *base = access(SPOT_SOURCE_DIR "/rules/categories.lua", R_OK) == 0 ? SPOT_SOURCE_DIR
                                                                                 : SPOT_DATA_DIR;
    snprintf(c->rules_dir, sizeof c->rules_dir, "%s/rules", base);
    snprintf(c->web_dir, sizeof c->web_dir, "%s/web", base);
    strcpy(c->export_dir, "exports");
    c->body_max = 16u << 20;
    c->upload_max = 64u << 20;
    c->session_idle = 1800;
    c->session_max = 43200;
    c->conn_timeout = 30;
    c->per_ip_limit = 64;
    lh_default_limits(&c->lua);
}

static int load_file(const char *path, char **err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        *err = xprintf("cannot read configuration file %s: %s", path, strerror(errno));
        return -1;
    }
    char line[2048];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        char *p = line;
        while (isspace((unsigned char)*p)) p++;
        if (!*p || *p == '#') continue;
        char *eq = strchr(p, '=');
        if (!eq) {
            *err = xprintf("%s:%d: expected 'key = value'", path, lineno);
            rc = -1;
            break;
        }
        char *k = p, *v = eq + 1, *e = eq;
        while (e > k && isspace((unsigned char)e[-1])) e--;
        *e = 0;
        while (isspace((unsigned char)*v)) v++;
        e = v + strlen(v);
        while (e > v && isspace((unsigned char)e[-1])) e--;
        *e = 0;
        char *sub = NULL;
        if (config_set(k, v, &sub) != 0) {
            *err = xprintf("%s:%d: %s", path, lineno, sub);
            free(sub);
            rc = -1;
        }
    }
    fclose(f);
    return rc;
}

int config_load(const char *file, char **err)
{
    defaults();
    if (!file) file = getenv("SPOTCHECK_CONFIG");
    if (file && *file && load_file(file, err) != 0) return -1;
    static const char *const env_keys[][2] = {
        {"SPOTCHECK_DB", "db_path"}, {"SPOTCHECK_LISTEN", "listen"}, {"SPOTCHECK_THREADS", "threads"},
        {"SPOTCHECK_RULES_DIR", "rules_dir"}, {"SPOTCHECK_WEB_DIR", "web_dir"},
        {"SPOTCHECK_EXPORT_DIR", "export_dir"}, {"SPOTCHECK_SECURE_COOKIE", "secure_cookie"},
        {"SPOTCHECK_LUA_INSTRUCTIONS", "lua_instructions"}, {"SPOTCHECK_LUA_MILLIS", "lua_millis"},
        {"SPOTCHECK_LUA_MEMORY", "lua_memory"}, {"SPOTCHECK_BODY_MAX", "body_max"},
        {"SPOTCHECK_UPLOAD_MAX", "upload_max"}, {"SPOTCHECK_TRUSTED_PROXIES", "trusted_proxies"},
    };
    for (size_t i = 0; i < sizeof env_keys / sizeof env_keys[0]; i++) {
        const char *v = getenv(env_keys[i][0]);
        if (!v) continue;
        char *sub = NULL;
        if (config_set(env_keys[i][1], v, &sub) != 0) {
            *err = xprintf("environment %s: %s", env_keys[i][0], sub);
            free(sub);
            return -1;
        }
    }
    return 0;
}
