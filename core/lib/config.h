/* config.h: run-time settings: defaults, then the configuration file (key = value lines), then
 * SPOTCHECK_* environment variables, then command-line flags. Used by main.c and the server. */
#ifndef SPOT_CONFIG_H
#define SPOT_CONFIG_H

#include <stddef.h>
#include "luahost.h"

/* One IP address in binary form. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are stored as IPv4. */
typedef struct spot_ip {
    int family;                /* AF_INET or AF_INET6 */
    unsigned char addr[16];    /* network order; 4 bytes used for AF_INET */
} spot_ip;

#define SPOT_MAX_TRUSTED_PROXIES 32

typedef struct config {
    char db_path[1024];        /* db_path, SPOTCHECK_DB, --db; default ./spotcheck.db */
    char listen_addr[64];      /* listen host, default 127.0.0.1 */
    int listen_port;           /* default 8080 */
    int threads;               /* worker threads, default 4 */
    char rules_dir[1024];      /* shipped rule files; default: source tree or data dir */
    char web_dir[1024];        /* static pages */
    char export_dir[1024];     /* where console CSV exports may be written */
    size_t body_max;           /* request body cap in bytes, default 16 MiB */
    size_t upload_max;         /* attachment cap in bytes, default 64 MiB */
    int session_idle;          /* seconds, default 1800 */
    int session_max;           /* seconds, default 43200 */
    int conn_timeout;          /* seconds, default 30 */
    int per_ip_limit;          /* connections per IP, default 64 */
    int secure_cookie;         /* 1 behind a TLS proxy */
    /* trusted_proxies, SPOTCHECK_TRUSTED_PROXIES: peers whose X-Forwarded-For is believed; default none */
    spot_ip trusted_proxies[SPOT_MAX_TRUSTED_PROXIES];
    int n_trusted_proxies;
    lh_limits lua;             /* lua_instructions, lua_millis, lua_memory */
} config;

/* The process-wide configuration, filled by config_load. */
extern config spot_config;

/* Fills spot_config from defaults, the file (NULL: SPOTCHECK_CONFIG or none), environment.
 * Returns 0, or -1 with *err naming the key. */
int config_load(const char *file, char **err);

/* Sets one key from text (file line, environment or flag). Returns 0 or -1 with *err. */
int config_set(const char *key, const char *value, char **err);

/* Parses len bytes of text (no port, no zone, no surrounding spaces) as an IPv4 or IPv6 address
 * with inet_pton into *out. Returns 0, or -1 if it is not exactly one address. */
int spot_ip_parse(const char *text, size_t len, spot_ip *out);

/* Writes the canonical text of *ip (inet_ntop; IPv4-mapped shown as IPv4) into buf of cap bytes
 * (at least INET6_ADDRSTRLEN). Returns buf. */
char *spot_ip_format(const spot_ip *ip, char *buf, size_t cap);

/* Returns 1 if *ip is listed in spot_config.trusted_proxies, else 0. */
int config_trusted_proxy(const spot_ip *ip);

#endif
