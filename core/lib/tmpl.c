/* tmpl.c: see tmpl.h. */
#include "tmpl.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TMPL_DEPTH 16

typedef struct buf {
    char *p;
    size_t len, cap;
    int oom;
} buf;

typedef struct run {
    const char *src;
    size_t len;
    json_t *stack[TMPL_DEPTH + 1]; /* borrowed contexts, innermost last */
    int depth;
    int nest;                      /* sections open, pushed or not */
    buf out;
    char *err;
} run;

static void put(buf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void put_escaped(buf *b, const char *s, size_t n)
{
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: continue;
        }
        put(b, s + from, i - from);
        put(b, rep, strlen(rep));
        from = i + 1;
    }
    put(b, s + from, n - from);
}

static int fail(run *r, size_t at, const char *fmt, ...)
{
    if (r->err) return -1;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t n = strlen(msg) + 48;
    r->err = malloc(n);
    if (r->err) snprintf(r->err, n, "template offset %zu: %s", at, msg);
    return -1;
}

/* One tag starting at i ("{{"): its kind ('#', '^', '/', '!' or 0), its trimmed name [*ns, *ne) and
 * the offset just past "}}" in *end. Returns 0, or -1 when the tag is not closed. */
static int tag_at(const char *s, size_t len, size_t i, char *kind, size_t *ns, size_t *ne, size_t *end)
{
    size_t j = i + 2;
    *kind = 0;
    if (j < len && strchr("#^/!", s[j])) *kind = s[j++];
    const char *close = NULL;
    for (size_t k = j; k + 1 < len; k++)
        if (s[k] == '}' && s[k + 1] == '}') {
            close = s + k;
            break;
        }
    if (!close) return -1;
    size_t a = j, b = (size_t)(close - s);
    while (a < b && (s[a] == ' ' || s[a] == '\t')) a++;
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) b--;
    *ns = a;
    *ne = b;
    *end = (size_t)(close - s) + 2;
    return 0;
}

/* The value named [ns, ne) (dotted path, or "." for the current context), looked up from the
 * innermost context outwards. Borrowed, or NULL. */
static json_t *lookup(run *r, size_t ns, size_t ne)
{
    const char *s = r->src;
    if (ne - ns == 1 && s[ns] == '.') return r->stack[r->depth];
    for (int d = r->depth; d >= 0; d--) {
        json_t *v = r->stack[d];
        size_t a = ns;
        int first = 1;
        while (a < ne) {
            size_t b = a;
            while (b < ne && s[b] != '.') b++;
            if (!json_is_object(v)) {
                v = NULL;
                break;
            }
            v = json_object_getn(v, s + a, b - a);
            if (first && !v) break;
            first = 0;
            a = b + 1;
        }
        if (v || !first) return v;
    }
    return NULL;
}

static int truthy(json_t *v)
{
    if (!v || json_is_null(v) || json_is_false(v)) return 0;
    if (json_is_array(v)) return json_array_size(v) > 0;
    if (json_is_string(v)) return json_string_length(v) > 0;
    if (json_is_integer(v)) return json_integer_value(v) != 0;
    if (json_is_real(v)) return json_real_value(v) != 0.0;
    return 1;
}

/* Finds the {{/name}} closing the section whose name is [ns, ne), searching from i; sets *cs (start
 * of the closing tag) and *ce (past it). Returns 0 or -1. */
static int find_close(run *r, size_t i, size_t end, size_t ns, size_t ne, size_t *cs, size_t *ce)
{
    const char *s = r->src;
    int nest = 0;
    while (i + 1 < end) {
        if (s[i] == '{' && s[i + 1] == '{') {
            char kind = 0;
            size_t a = 0, b = 0, after = 0;
            if (tag_at(s, end, i, &kind, &a, &b, &after) != 0) return fail(r, i, "unclosed tag");
            int same = b - a == ne - ns && memcmp(s + a, s + ns, ne - ns) == 0;
            if ((kind == '#' || kind == '^') && same) nest++;
            if (kind == '/' && same) {
                if (nest == 0) {
                    *cs = i;
                    *ce = after;
                    return 0;
                }
                nest--;
            }
            i = after;
        } else {
            i++;
        }
    }
    return fail(r, ns, "section '%.*s' is not closed", (int)(ne - ns), s + ns);
}

static int render(run *r, size_t i, size_t end);
static int section(run *r, json_t *v, size_t bs, size_t be, int inverted);

static int section_in(run *r, json_t *v, size_t bs, size_t be, int inverted)
{
    if (inverted) return truthy(v) ? 0 : render(r, bs, be);
    if (!truthy(v)) return 0;
    if (json_is_array(v)) {
        size_t k;
        json_t *el;
        json_array_foreach(v, k, el) {
            r->stack[++r->depth] = el;
            int rc = render(r, bs, be);
            r->depth--;
            if (rc) return rc;
        }
        return 0;
    }
    if (json_is_object(v)) {
        r->stack[++r->depth] = v;
        int rc = render(r, bs, be);
        r->depth--;
        return rc;
    }
    return render(r, bs, be);
}

/* A section's body [bs, be) for value v (borrowed): nesting is bounded whether or not it pushes a
 * context. */
static int section(run *r, json_t *v, size_t bs, size_t be, int inverted)
{
    if (r->nest >= TMPL_DEPTH) return fail(r, bs, "sections nested deeper than %d", TMPL_DEPTH);
    r->nest++;
    int rc = section_in(r, v, bs, be, inverted);
    r->nest--;
    return rc;
}

static int render(run *r, size_t i, size_t end)
{
    const char *s = r->src;
    size_t text = i;
    while (i + 1 < end) {
        if (!(s[i] == '{' && s[i + 1] == '{')) {
            i++;
            continue;
        }
        put(&r->out, s + text, i - text);
        char kind = 0;
        size_t ns = 0, ne = 0, after = 0;
        if (tag_at(s, end, i, &kind, &ns, &ne, &after) != 0) return fail(r, i, "unclosed tag");
        if (kind != '!' && ns == ne) return fail(r, i, "empty tag");
        if (kind == '/') return fail(r, i, "'%.*s' closes no open section", (int)(ne - ns), s + ns);
        if (kind == '#' || kind == '^') {
            size_t cs = 0, ce = 0;
            if (find_close(r, after, end, ns, ne, &cs, &ce) != 0) return -1;
            if (section(r, lookup(r, ns, ne), after, cs, kind == '^') != 0) return -1;
            after = ce;
        } else if (kind == 0) {
            json_t *v = lookup(r, ns, ne);
            if (json_is_string(v)) {
                put_escaped(&r->out, json_string_value(v), json_string_length(v));
            } else if (json_is_integer(v)) {
                char n[32];
                snprintf(n, sizeof n, "%lld", (long long)json_integer_value(v));
                put(&r->out, n, strlen(n));
            } else if (json_is_real(v)) {
                char n[64];
                snprintf(n, sizeof n, "%g", json_real_value(v));
                put(&r->out, n, strlen(n));
            }
        }
        i = text = after;
    }
    put(&r->out, s + text, end - text);
    return 0;
}

char *tmpl_render(const char *src, size_t len, json_t *data, size_t *out_len, char **err)
{
    run r = {.src = src, .len = len, .depth = 0};
    r.stack[0] = data;
    put(&r.out, "", 0);
    if (render(&r, 0, len) != 0 || r.out.oom) {
        free(r.out.p);
        if (err) *err = r.err ? r.err : strdup("out of memory");
        else free(r.err);
        return NULL;
    }
    if (out_len) *out_len = r.out.len;
    return r.out.p;
}

char *tmpl_directive(const char *src, size_t len, const char *key)
{
    size_t klen = strlen(key);
    for (size_t i = 0; i + 1 < len; i++) {
        if (!(src[i] == '{' && src[i + 1] == '{')) continue;
        char kind = 0;
        size_t ns = 0, ne = 0, after = 0;
        if (tag_at(src, len, i, &kind, &ns, &ne, &after) != 0) return NULL;
        if (kind == '!' && ne - ns > klen && memcmp(src + ns, key, klen) == 0 && src[ns + klen] == ':') {
            size_t a = ns + klen + 1;
            while (a < ne && src[a] == ' ') a++;
            return strndup(src + a, ne - a);
        }
        i = after - 1;
    }
    return NULL;
}

int tmpl_check(const char *src, size_t len, char **err)
{
    run r = {.src = src, .len = len};
    size_t open_at[TMPL_DEPTH], ns_of[TMPL_DEPTH], ne_of[TMPL_DEPTH];
    int n = 0;
    for (size_t i = 0; i + 1 < len;) {
        if (!(src[i] == '{' && src[i + 1] == '{')) {
            i++;
            continue;
        }
        char kind = 0;
        size_t ns = 0, ne = 0, after = 0;
        if (tag_at(src, len, i, &kind, &ns, &ne, &after) != 0) {
            fail(&r, i, "unclosed tag");
            goto bad;
        }
        if (kind != '!' && ns == ne) {
            fail(&r, i, "empty tag");
            goto bad;
        }
        if (kind == '#' || kind == '^') {
            if (n == TMPL_DEPTH) {
                fail(&r, i, "sections nested deeper than %d", TMPL_DEPTH);
                goto bad;
            }
            open_at[n] = i;
            ns_of[n] = ns;
            ne_of[n++] = ne;
        } else if (kind == '/') {
            if (n == 0 || ne - ns != ne_of[n - 1] - ns_of[n - 1] || memcmp(src + ns, src + ns_of[n - 1], ne - ns)) {
                if (n) fail(&r, ns_of[n - 1], "section '%.*s' is not closed", (int)(ne_of[n - 1] - ns_of[n - 1]), src + ns_of[n - 1]);
                else fail(&r, i, "'%.*s' closes no open section", (int)(ne - ns), src + ns);
                goto bad;
            }
            n--;
        }
        i = after;
    }
    if (n) {
        fail(&r, open_at[n - 1], "section '%.*s' is not closed", (int)(ne_of[n - 1] - ns_of[n - 1]), src + ns_of[n - 1]);
        goto bad;
    }
    return 0;
bad:
    if (err) *err = r.err ? r.err : strdup("out of memory");
    else free(r.err);
    return -1;
}
