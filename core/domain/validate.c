/* validate.c: GB 32100 / GB 11714 / GB 11643 checks, code lists, field normalisation and the
 * industry set read from the categories rule. */
#include "validate.h"
#include "clock.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct v_choice V_RISK[] = {
    {"red", "重大", "重大风险"}, {"orange", "较大", "较大风险"}, {"yellow", "一般", "一般风险"},
    {"blue", "低", "低风险"}, {NULL, NULL, NULL}};
const struct v_choice V_CREDIT[] = {
    {"good", "守信", NULL}, {"normal", "一般", NULL}, {"dishonest", "失信", NULL}, {NULL, NULL, NULL}};
const struct v_choice V_UNIT_STATUS[] = {
    {"active", "正常", "存续"}, {"closed", "注销", NULL}, {NULL, NULL, NULL}};
const struct v_choice V_PERSON_STATUS[] = {
    {"active", "在职", NULL}, {"inactive", "离岗", NULL}, {NULL, NULL, NULL}};
const struct v_choice V_LEVEL[] = {
    {"county", "县", "县级"}, {"township", "乡", "乡级"}, {NULL, NULL, NULL}};
const struct v_choice V_GENDER[] = {
    {"male", "男", "m"}, {"female", "女", "f"}, {NULL, NULL, NULL}};

const char *v_choice_code(const struct v_choice *c, const char *s)
{
    if (!s) return NULL;
    for (; c->code; c++)
        if (!strcasecmp(s, c->code) || !strcmp(s, c->label) || (c->alt && !strcasecmp(s, c->alt)))
            return c->code;
    return NULL;
}

const char *v_choice_label(const struct v_choice *c, const char *code)
{
    for (; c->code; c++)
        if (code && !strcmp(code, c->code)) return c->label;
    return code ? code : "";
}

int v_bool(const char *s, int *out)
{
    static const char *const yes[] = {"是", "true", "1", "yes", "y", "有", NULL};
    static const char *const no[] = {"否", "false", "0", "no", "n", "无", NULL};
    if (!s) return -1;
    for (int i = 0; yes[i]; i++)
        if (!strcasecmp(s, yes[i])) { *out = 1; return 0; }
    for (int i = 0; no[i]; i++)
        if (!strcasecmp(s, no[i])) { *out = 0; return 0; }
    return -1;
}

/* GB 32100 character set: 0-9 and upper-case letters without I, O, S, V, Z; value = index. */
static const char USCC_CHARS[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static int uscc_value(char c)
{
    if (!c) return -1;
    const char *p = strchr(USCC_CHARS, c);
    return p ? (int)(p - USCC_CHARS) : -1;
}

char uscc_check_char(const char *s17)
{
    static const int w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        int v = uscc_value(s17[i]);
        if (v < 0) return 0;
        sum += v * w[i];
    }
    int c = 31 - sum % 31;
    return USCC_CHARS[c == 31 ? 0 : c];
}

char orgcode_check_char(const char *s8)
{
    static const int w[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 8; i++) {
        char c = s8[i];
        int v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'A' && c <= 'Z') v = c - 'A' + 10;
        else return 0;
        sum += v * w[i];
    }
    int c = 11 - sum % 11;
    return c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c);
}

int uscc_check(const char *s, char norm[19], const char **why)
{
    size_t n = s ? strlen(s) : 0;
    if (n != 18) {
        *why = "统一社会信用代码应为 18 位";
        return 0;
    }
    for (size_t i = 0; i < 18; i++) {
        char c = (char)toupper((unsigned char)s[i]);
        if (uscc_value(c) < 0) {
            *why = "统一社会信用代码含有不允许的字符（只能是数字和除 I、O、S、V、Z 以外的大写字母）";
            return 0;
        }
        norm[i] = c;
    }
    norm[18] = 0;
    /* Registration authorities of GB 32100 (1 编制, 2 外交, 3 司法行政, 4 文化, 5 民政, 6 旅游,
     * 7 宗教, 8 工会, 9 工商/市场监管, A 中央军委改革和编制办公室, N 农业, Y 其他). */
    if (!strchr("123456789ANY", norm[0])) {
        *why = "统一社会信用代码第 1 位（登记管理部门代码）无效";
        return 0;
    }
    for (int i = 2; i < 8; i++)
        if (norm[i] < '0' || norm[i] > '9') {
            *why = "统一社会信用代码第 3–8 位（登记管理机关行政区划码）应为数字";
            return 0;
        }
    if (uscc_check_char(norm) != norm[17]) {
        *why = "统一社会信用代码校验码错误";
        return 0;
    }
    return 1;
}

char idno_check_char(const char *s17)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char map[] = "10X98765432";
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (s17[i] < '0' || s17[i] > '9') return 0;
        sum += (s17[i] - '0') * w[i];
    }
    return map[sum % 11];
}

int idno_check(const char *s, const char *today, char norm[19], const char **why)
{
    size_t n = s ? strlen(s) : 0;
    if (n != 18) {
        *why = "身份证号应为 18 位";
        return 0;
    }
    for (int i = 0; i < 17; i++)
        if (s[i] < '0' || s[i] > '9') {
            *why = "身份证号前 17 位应为数字";
            return 0;
        }
    char last = (char)toupper((unsigned char)s[17]);
    if (!((last >= '0' && last <= '9') || last == 'X')) {
        *why = "身份证号第 18 位应为数字或 X";
        return 0;
    }
    if (s[0] == '0') {
        *why = "身份证号地址码无效";
        return 0;
    }
    char date[11];
    snprintf(date, sizeof date, "%.4s-%.2s-%.2s", s + 6, s + 10, s + 12);
    char now[11];
    if (!today) {
        clock_today(now);
        today = now;
    }
    if (!clock_valid_date(date)) {
        *why = "身份证号中的出生日期不是有效日期";
        return 0;
    }
    if (strcmp(date, today) > 0) {
        *why = "身份证号中的出生日期晚于今天";
        return 0;
    }
    if (idno_check_char(s) != last) {
        *why = "身份证号校验码错误";
        return 0;
    }
    memcpy(norm, s, 17);
    norm[17] = last;
    norm[18] = 0;
    return 1;
}

void idno_mask(const char *id, char out[19])
{
    size_t n = id ? strlen(id) : 0;
    if (n != 18) {
        snprintf(out, 19, "%s", n ? "******" : "");
        return;
    }
    memcpy(out, id, 6);
    memset(out + 6, '*', 8);
    memcpy(out + 14, id + 14, 4);
    out[18] = 0;
}

void phone_mask(const char *phone, char out[V_PHONE_MASKED])
{
    size_t n = phone ? strlen(phone) : 0;
    if (n < 8 || n > 32) {
        snprintf(out, V_PHONE_MASKED, "%s", n ? "****" : "");
        return;
    }
    /* first 3 and last 4 characters (a phone is ASCII: vf_normalize allows digits, + - ( ) and space) */
    snprintf(out, V_PHONE_MASKED, "%.3s****%s", phone, phone + n - 4);
}

int utf8_valid(const void *buf, size_t len)
{
    const unsigned char *s = buf, *e = s + len;
    while (s < e) {
        /* fast path over ASCII, 8 bytes at a time */
        while (s + 8 <= e) {
            unsigned long long w;
            memcpy(&w, s, 8);
            if (w & 0x8080808080808080ULL) break;
            s += 8;
        }
        if (s >= e) break;
        unsigned c = *s;
        if (c < 0x80) { s++; continue; }
        int n;
        unsigned min;
        if ((c & 0xE0) == 0xC0) { n = 1; min = 0x80; c &= 0x1F; }
        else if ((c & 0xF0) == 0xE0) { n = 2; min = 0x800; c &= 0x0F; }
        else if ((c & 0xF8) == 0xF0) { n = 3; min = 0x10000; c &= 0x07; }
        else return 0;
        if (e - s <= n) return 0;
        for (int i = 1; i <= n; i++) {
            if ((s[i] & 0xC0) != 0x80) return 0;
            c = (c << 6) | (s[i] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
        s += n + 1;
    }
    return 1;
}

/* ---- industries ---------------------------------------------------------------------------------- */

/* Index of category code in set, adding it when new; -1 when the table is full. */
static int category_index(industry_set *set, const char *code)
{
    for (int i = 0; i < set->ncat; i++)
        if (!strcmp(set->cat_code[i], code)) return i;
    if (set->ncat == V_MAX_CATEGORIES) return -1;
    snprintf(set->cat_code[set->ncat], sizeof set->cat_code[0], "%s", code);
    set->cat_label[set->ncat][0] = 0;
    return set->ncat++;
}

static int name_index(const industry_set *set, const char *s)
{
    for (int i = 0; i < set->n; i++)
        if (!strcmp(set->name[i], s)) return i;
    return -1;
}

/* Asks the rule's canonical(s) and remembers the answer as an alias. Returns the index into
 * set->name, or -1. */
static int ask_canonical(industry_set *set, const char *s)
{
    if (!set->lua || strlen(s) >= sizeof set->alias[0]) return -1;
    int to = -1;
    json_t *args = json_pack("[s]", s), *ret = NULL;
    char *err = NULL;
    if (args && lh_call(set->lua, "categories", "canonical", args, &ret, &err) == 0) {
        const char *name = json_string_value(json_array_get(ret, 0));
        if (name) to = name_index(set, name);
    }
    free(err);
    json_decref(args);
    json_decref(ret);
    if (set->nalias < V_MAX_INDUSTRIES) {
        snprintf(set->alias[set->nalias], sizeof set->alias[0], "%s", s);
        set->alias_to[set->nalias++] = to;
    }
    return to;
}

int industries_load(lh_state *lua, industry_set *set, char **err)
{
    memset(set, 0, sizeof *set);
    set->lua = lua;
    int out = -1;
    /* The list, each industry's category, the labels and the aliases all come from the rule. */
    json_t *args = json_array(), *ret = NULL, *labels = NULL;
    if (lh_call(lua, "categories", "industries", args, &ret, err) != 0) goto done;
    size_t i;
    json_t *e;
    json_array_foreach(json_array_get(ret, 0), i, e) {
        const char *name = json_string_value(json_object_get(e, "name"));
        const char *cat = json_string_value(json_object_get(e, "category"));
        if (set->n == V_MAX_INDUSTRIES || !name || !cat || strlen(name) >= 64 || strlen(cat) >= 16) continue;
        if (category_index(set, cat) < 0) continue;
        snprintf(set->name[set->n], 64, "%s", name);
        snprintf(set->category[set->n], 16, "%s", cat);
        set->n++;
    }
    if (set->n == 0) {
        if (err) *err = strdup("规则 categories.lua 没有给出行业列表");
        goto done;
    }
    if (lh_call(lua, "categories", "category_labels", args, &labels, err) != 0) goto done;
    const char *code;
    json_t *lab;
    json_object_foreach(json_array_get(labels, 0), code, lab) {
        for (int c = 0; c < set->ncat; c++)
            if (!strcmp(set->cat_code[c], code) && json_is_string(lab))
                snprintf(set->cat_label[c], sizeof set->cat_label[0], "%s", json_string_value(lab));
    }
    out = 0;
done:
    json_decref(args);
    json_decref(ret);
    json_decref(labels);
    return out;
}

int industry_set_detach(industry_set *set, char **err)
{
    json_t *args = json_array(), *aliases = NULL;
    int rc = set->lua ? lh_call(set->lua, "categories", "aliases", args, &aliases, err) : 0;
    json_decref(args);
    if (rc != 0) return -1;
    /* every alias the rule lists, resolved by canonical() now, on the owning thread */
    const char *alias;
    json_t *v;
    json_object_foreach(json_array_get(aliases, 0), alias, v) {
        if (name_index(set, alias) < 0) industry_canonical(set, alias);
    }
    json_decref(aliases);
    set->lua = NULL;
    return 0;
}

const char *industry_canonical(industry_set *set, const char *s)
{
    int i = name_index(set, s);
    if (i >= 0) return set->name[i];
    for (int a = 0; a < set->nalias; a++)
        if (!strcmp(set->alias[a], s)) return set->alias_to[a] >= 0 ? set->name[set->alias_to[a]] : NULL;
    int to = ask_canonical(set, s);
    return to >= 0 ? set->name[to] : NULL;
}

const char *industry_category(const industry_set *set, const char *name)
{
    int i = name ? name_index(set, name) : -1;
    return i >= 0 ? set->category[i] : NULL;
}

const char *industry_category_code(const industry_set *set, const char *s)
{
    for (int c = 0; s && c < set->ncat; c++)
        if (!strcmp(set->cat_code[c], s) || (set->cat_label[c][0] && !strcmp(set->cat_label[c], s)))
            return set->cat_code[c];
    return NULL;
}

const char *industry_category_label(const industry_set *set, const char *code)
{
    for (int c = 0; code && c < set->ncat; c++)
        if (!strcmp(set->cat_code[c], code)) return set->cat_label[c];
    return NULL;
}

/* ---- fields ---------------------------------------------------------------------------------------- */

const vfield *vf_find(const vfield *fields, const char *name)
{
    for (; fields->name; fields++)
        if (!strcmp(fields->name, name)) return fields;
    return NULL;
}

/* Copies s without leading/trailing ASCII white space (and U+3000) into out. */
static size_t trim_copy(const char *s, char *out, size_t cap)
{
    size_t n = strlen(s);
    for (;;) {
        if (n && isspace((unsigned char)*s)) { s++; n--; }
        else if (n >= 3 && !memcmp(s, "\xE3\x80\x80", 3)) { s += 3; n -= 3; }
        else break;
    }
    for (;;) {
        if (n && isspace((unsigned char)s[n - 1])) n--;
        else if (n >= 3 && !memcmp(s + n - 3, "\xE3\x80\x80", 3)) n -= 3;
        else break;
    }
    if (n >= cap) n = cap - 1;
    memcpy(out, s, n);
    out[n] = 0;
    return n;
}

static int has_control(const char *s, int allow_newline)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 && !(allow_newline && (c == '\n' || c == '\r' || c == '\t'))) return 1;
        if (c == 0x7f) return 1;
    }
    return 0;
}

/* Appends tag to the JSON array text in out (cap) unless already there. */
static int tags_add(char *out, size_t cap, size_t *len, const char *tag, size_t tlen)
{
    if (!tlen) return 0;
    /* already present? compare against each "…" element */
    char quoted[256];
    if (tlen + 3 > sizeof quoted) return -1;
    quoted[0] = '"';
    memcpy(quoted + 1, tag, tlen);
    quoted[tlen + 1] = '"';
    quoted[tlen + 2] = 0;
    for (const char *p = strstr(out, quoted); p; p = strstr(p + 1, quoted))
        if ((p[-1] == '[' || p[-1] == ',') && (p[tlen + 2] == ']' || p[tlen + 2] == ',')) return 0;
    if (*len + tlen + 4 >= cap) return -1;
    out[*len - 1] = 0; /* drop ']' */
    *len -= 1;
    if (out[*len - 1] != '[') out[(*len)++] = ',';
    memcpy(out + *len, quoted, tlen + 2);
    *len += tlen + 2;
    out[(*len)++] = ']';
    out[*len] = 0;
    return 0;
}

static int normalize_short(const vfield *f, const char *s, size_t n, char *out, size_t cap, industry_set *ind,
                           const char *today, char *why, size_t whycap);

int vf_normalize(const vfield *f, const char *in, char *out, size_t cap, industry_set *ind,
                 const char *today, char *why, size_t whycap)
{
    const char *s = in ? in : "";
    return vf_normalize_n(f, s, strlen(s), out, cap, NULL, ind, today, why, whycap);
}

static int is_ascii_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

int vf_normalize_n(const vfield *f, const char *in, size_t full, char *out, size_t cap, size_t *outlen,
                   industry_set *ind, const char *today, char *why, size_t whycap)
{
    /* trim ASCII white space and U+3000 at both ends (as trim_copy does), without copying */
    const char *s = in;
    size_t n = full;
    for (;;) {
        if (n && is_ascii_space((unsigned char)*s)) { s++; n--; }
        else if (n >= 3 && !memcmp(s, "\xE3\x80\x80", 3)) { s += 3; n -= 3; }
        else break;
    }
    for (;;) {
        if (n && is_ascii_space((unsigned char)s[n - 1])) n--;
        else if (n >= 3 && !memcmp(s + n - 3, "\xE3\x80\x80", 3)) n -= 3;
        else break;
    }
    size_t dummy;
    if (!outlen) outlen = &dummy;
    if (full >= 4096 && f->type != VF_TEXT) {
        snprintf(why, whycap, "过长");
        return -1;
    }
    if (!n) {
        if (f->required) {
            snprintf(why, whycap, "不能为空");
            return -1;
        }
        if (f->type == VF_TAGS) snprintf(out, cap, "[]");
        else out[0] = 0;
        *outlen = strlen(out);
        return 0;
    }
    if (f->type == VF_TEXT) {
        /* the hot path of imports: checked in place, copied once */
        int max = f->maxlen ? f->maxlen : 200;
        if ((int)n > max || full >= 4096) {
            snprintf(why, whycap, "过长（最多 %d 字节）", max);
            return -1;
        }
        int allow_nl = max > 200;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            if ((c < 0x20 && !(allow_nl && (c == '\n' || c == '\r' || c == '\t'))) || c == 0x7f) {
                snprintf(why, whycap, "含有控制字符");
                return -1;
            }
        }
        if (n >= cap) n = cap - 1;
        memcpy(out, s, n);
        out[n] = 0;
        *outlen = n;
        return 0;
    }
    if (f->type == VF_BOOL && cap >= 2) {
        /* the usual spellings first; v_bool below decides everything else */
        if (n == 3 && (!memcmp(s, "是", 3) || !memcmp(s, "否", 3))) {
            out[0] = memcmp(s, "是", 3) ? '0' : '1';
            out[1] = 0;
            *outlen = 1;
            return 0;
        }
    }
    int r = normalize_short(f, s, n, out, cap, ind, today, why, whycap);
    if (r == 0) *outlen = strlen(out);
    return r;
}

/* The non-text types: the trimmed value (n bytes, n < 4096) copied into a terminated buffer. */
static int normalize_short(const vfield *f, const char *s, size_t n, char *out, size_t cap, industry_set *ind,
                           const char *today, char *why, size_t whycap)
{
    char buf[4096];
    const char *reason = NULL;
    memcpy(buf, s, n);
    buf[n] = 0;
    switch (f->type) {
    case VF_USCC:
        if (!uscc_check(buf, out, &reason)) {
            snprintf(why, whycap, "%s（%.40s）", reason, buf);
            return -1;
        }
        return 0;
    case VF_IDNO:
        if (!idno_check(buf, today, out, &reason)) {
            snprintf(why, whycap, "%s", reason); /* the number itself is personal data: not echoed */
            return -1;
        }
        return 0;
    case VF_CHOICE: {
        const char *code = v_choice_code(f->choices, buf);
        if (!code) {
            char list[256] = "";
            size_t l = 0;
            for (const struct v_choice *c = f->choices; c->code && l < sizeof list - 40; c++)
                l += (size_t)snprintf(list + l, sizeof list - l, "%s%s/%s", l ? "、" : "", c->code, c->label);
            snprintf(why, whycap, "无效取值“%.60s”（可选 %s）", buf, list);
            return -1;
        }
        size_t cl = strlen(code);
        if (cl >= cap) return -1;
        memcpy(out, code, cl + 1);
        return 0;
    }
    case VF_BOOL: {
        int b;
        if (v_bool(buf, &b) != 0) {
            snprintf(why, whycap, "无效取值“%.60s”（应为 是/否、true/false 或 1/0）", buf);
            return -1;
        }
        if (cap < 2) return -1;
        out[0] = (char)('0' + b);
        out[1] = 0;
        return 0;
    }
    case VF_COUNT: {
        if (n > 9) goto bad_count;
        for (size_t i = 0; i < n; i++)
            if (buf[i] < '0' || buf[i] > '9') goto bad_count;
        {
            size_t z = 0;
            while (z + 1 < n && buf[z] == '0') z++;   /* no leading zeros */
            if (n - z >= cap) return -1;
            memcpy(out, buf + z, n - z + 1);
        }
        return 0;
    bad_count:
        snprintf(why, whycap, "应为非负整数（“%.40s”）", buf);
        return -1;
    }
    case VF_INDUSTRY: {
        const char *canon = ind ? industry_canonical(ind, buf) : NULL;
        if (!canon) {
            snprintf(why, whycap, "未知行业“%.60s”（不在规则 categories.lua 的行业列表中）", buf);
            return -1;
        }
        size_t cl = strlen(canon);
        if (cl >= cap) return -1;
        memcpy(out, canon, cl + 1);
        return 0;
    }
    case VF_DATE:
        if (!clock_valid_date(buf)) {
            snprintf(why, whycap, "日期无效“%.40s”（应为 YYYY-MM-DD）", buf);
            return -1;
        }
        snprintf(out, cap, "%s", buf);
        return 0;
    case VF_TAGS: {
        if (cap < 3) return -1;
        size_t len = 2;
        strcpy(out, "[]");
        /* split on ；(U+FF1B), ';', '，' and ',' */
        const char *p = buf;
        while (*p) {
            const char *q = p;
            size_t sep = 0;
            while (*q) {
                if (*q == ';' || *q == ',') { sep = 1; break; }
                if (!strncmp(q, "；", 3) || !strncmp(q, "，", 3) || !strncmp(q, "、", 3)) { sep = 3; break; }
                q++;
            }
            char tag[200];
            char raw[200];
            size_t rl = (size_t)(q - p);
            if (rl >= sizeof raw) {
                snprintf(why, whycap, "单个标签过长");
                return -1;
            }
            memcpy(raw, p, rl);
            raw[rl] = 0;
            size_t tl = trim_copy(raw, tag, sizeof tag);
            if (strchr(tag, '"') || strchr(tag, '\\') || has_control(tag, 0)) {
                snprintf(why, whycap, "标签含有不允许的字符");
                return -1;
            }
            if (tags_add(out, cap, &len, tag, tl) != 0) {
                snprintf(why, whycap, "标签过多或过长");
                return -1;
            }
            p = *q ? q + sep : q;
        }
        return 0;
    }
    case VF_PHONE:
        if (n > 32) goto bad_phone;
        for (size_t i = 0; i < n; i++)
            if (!isdigit((unsigned char)buf[i]) && !strchr(" +-()", buf[i])) goto bad_phone;
        snprintf(out, cap, "%s", buf);
        return 0;
    bad_phone:
        snprintf(why, whycap, "联系方式格式无效（只允许数字、空格和 + - ( )）");
        return -1;
    }
    snprintf(why, whycap, "未知字段类型");
    return -1;
}

int vf_json_text(json_t *v, char *out, size_t cap)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        if (json_string_length(v) >= cap || strlen(json_string_value(v)) != json_string_length(v)) return -1;
        snprintf(out, cap, "%s", json_string_value(v));
        return 0;
    case JSON_INTEGER: snprintf(out, cap, "%lld", (long long)json_integer_value(v)); return 0;
    case JSON_TRUE: snprintf(out, cap, "1"); return 0;
    case JSON_FALSE: snprintf(out, cap, "0"); return 0;
    case JSON_NULL: out[0] = 0; return 0;
    case JSON_ARRAY: {
        size_t len = 0, i;
        json_t *e;
        out[0] = 0;
        json_array_foreach(v, i, e) {
            if (!json_is_string(e)) return -1;
            int w = snprintf(out + len, cap - len, "%s%s", i ? ";" : "", json_string_value(e));
            if (w < 0 || (size_t)w >= cap - len) return -1;
            len += (size_t)w;
        }
        return 0;
    }
    default: return -1;
    }
}

void vf_display(const vfield *f, const char *stored, char *out, size_t cap)
{
    if (!stored) stored = "";
    switch (f->type) {
    case VF_CHOICE: snprintf(out, cap, "%s", *stored ? v_choice_label(f->choices, stored) : ""); return;
    case VF_BOOL: snprintf(out, cap, "%s", !strcmp(stored, "1") ? "是" : "否"); return;
    case VF_TAGS: {
        json_t *a = json_loads(stored, 0, NULL);
        size_t len = 0, i;
        json_t *e;
        out[0] = 0;
        json_array_foreach(a, i, e) {
            int w = snprintf(out + len, cap - len, "%s%s", i ? "；" : "", json_string_value(e));
            if (w < 0 || (size_t)w >= cap - len) break;
            len += (size_t)w;
        }
        json_decref(a);
        return;
    }
    default: snprintf(out, cap, "%s", stored); return;
    }
}
