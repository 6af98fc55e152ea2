/* meta.c: the policy data of the rules as one cached JSON reply (see meta.h). */
#include "meta.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* What the reply holds: key in the reply <- rule and data field (read with lh_rule_value). The fields
 * are the rules' published data (rules/README.md); their values are policy and stay in rules/. */
static const struct {
    const char *key, *rule, *field;
} META_FIELDS[] = {
    {"industries", "categories", "industries"},             /* [{name, category, clause}] (3.2, 5.1.2) */
    {"industry_aliases", "categories", "aliases"},          /* {alias: name} */
    {"category_labels", "categories", "category_labels"},   /* {key, general} */
    {"result_categories", "categories", "result_categories"}, /* [{code, label, follow_up}] (8.4) */
    {"risk_levels", "categories", "risk_levels"},           /* [{code, label}] (SPEC §8) */
    {"credit_levels", "categories", "credit_levels"},
    {"unit_statuses", "categories", "unit_statuses"},
    {"org_kinds", "categories", "org_kinds"},               /* [{code, label}] (SPEC §10) */
    {"org_levels", "categories", "org_levels"},             /* [{code, label}] */
    {"check_methods", "categories", "check_methods"},       /* [{code, label}] (8.1) */
    {"joint_check_types", "categories", "joint_check_types"}, /* [{code, label}] (8.1) */
    {"strata", "sampling", "strata"},                       /* [{name, category, high, label}] */
    {"special_cases", "eligibility", "special_cases"},      /* [{code, label}] (4.3) */
    {"replacement_reasons", "inspectors", "replacement_reasons"}, /* {code: label} (7.3) */
    {"replacement_other", "inspectors", "other_reason"},    /* {code, label}: other, head's reason (7.3) */
    {"inspector_levels", "inspectors", "level_labels"},     /* {county, township} */
    {"accountability_kinds", "accountability", "kinds"},    /* [{code, label}] (10.1) */
    {"exemption_reasons", "accountability", "exemption_reasons"}, /* [{code, label, clause, applies_to}] */
    {"incident_grounds", "accountability", "incident_grounds"}, /* [{code, label, needs_inspection}] (10.2) */
};
#define META_NFIELDS (sizeof META_FIELDS / sizeof META_FIELDS[0])

/* The cache: the serialized reply of one generation. Guarded by cache_lock. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static long long cache_gen = -1;
static char *cache_text;
static size_t cache_len;

json_t *meta_build(lh_state *h, long long gen, spot_err *e)
{
    json_t *out = json_object();
    for (size_t i = 0; i < META_NFIELDS; i++) {
        json_t *v = NULL;
        char *err = NULL;
        if (lh_rule_value(h, META_FIELDS[i].rule, META_FIELDS[i].field, &v, NULL, &err) != 0) {
            spot_fail_rule(e, err);
            goto fail;
        }
        /* A field the active version of its rule does not define (a database whose rules were
         * installed before the field existed: upgrades keep the administrator's rule versions) is
         * left out, not an error that would take every page's labels with it. */
        if (!v || json_is_null(v)) {
            json_decref(v);
            continue;
        }
        if (!json_is_array(v) && !json_is_object(v)) {
            json_decref(v);
            spot_fail(e, SPOT_E_RULE, "rule_error", "rules/%s.lua：%s 应为列表或表", META_FIELDS[i].rule,
                      META_FIELDS[i].field);
            goto fail;
        }
        json_object_set_new(out, META_FIELDS[i].key, v);
    }
    json_object_set_new(out, "generation", json_integer(gen));
    return out;
fail:
    json_decref(out);
    return NULL;
}

/* A new copy of the cached reply if it is of generation gen, else NULL. */
static char *cache_get(long long gen, size_t *len)
{
    char *copy = NULL;
    pthread_mutex_lock(&cache_lock);
    if (cache_text && cache_gen == gen && (copy = malloc(cache_len + 1))) {
        memcpy(copy, cache_text, cache_len + 1);
        *len = cache_len;
    }
    pthread_mutex_unlock(&cache_lock);
    return copy;
}

/* Keeps a copy of text as the reply of generation gen, unless a newer one is cached. */
static void cache_put(long long gen, const char *text, size_t len)
{
    pthread_mutex_lock(&cache_lock);
    if (gen >= cache_gen) {
        char *copy = malloc(len + 1);
        if (copy) {
            memcpy(copy, text, len + 1);
            free(cache_text);
            cache_text = copy;
            cache_len = len;
            cache_gen = gen;
        }
    }
    pthread_mutex_unlock(&cache_lock);
}

char *meta_reply(spot_ctx *c, size_t *len, spot_err *e)
{
    long long gen = c->w->rules_gen;
    char *text = cache_get(gen, len);
    if (text) return text;
    json_t *m = meta_build(c->w->lua, gen, e);
    if (!m) return NULL;
    text = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    if (!text) {
        spot_fail(e, SPOT_E_DB, "internal", "无法生成规则数据");
        return NULL;
    }
    *len = strlen(text);
    cache_put(gen, text, *len);
    return text;
}
