/* demo.c: the deterministic 高青县 demo data set: the orgs (SPEC §10: 高青县应急管理局 with its
 * divisions, the townships' offices, 市场监管局 and 生态环境分局), ~3,000 units with valid USCCs
 * (GB 32100 with a GB 11714 organisation code), ~60 inspectors with valid ID numbers (GB 11643) in
 * those orgs, staff accounts of every kind of org, and a starter item list. A fixed-seed splitmix64 generator makes every run identical. Industries come from the rules
 * (rules_dir files, the same ones init has just installed). */
#include "demo.h"
#include "audit.h"
#include "auth.h"
#include "config.h"
#include "db.h"
#include "items.h"
#include "luahost.h"
#include "rules.h"
#include "validate.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEMO_UNITS 3000
#define DEMO_INSPECTORS 50
#define DEMO_DEPT_INSPECTORS 6    /* per other department, after the bureau's and the townships' */
#define DEMO_BUREAU "高青县应急管理局"

/* The other county departments of the demo (SPEC §10 kind department). */
static const char *const DEPARTMENTS[] = {"高青县市场监督管理局", "淄博市生态环境局高青分局"};
/* The bureau's divisions (内设股室). */
static const char *const DIVISIONS[] = {"危险化学品安全监督管理股", "工贸行业安全监督管理股", "应急管理综合行政执法大队"};

static uint64_t rng_state;

static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int pick(int n) { return (int)(rng() % (uint64_t)n); }
static int chance(int percent) { return pick(100) < percent; }
#define PICK(a) ((a)[pick((int)(sizeof(a) / sizeof((a)[0])))])

/* 高青县's two streets, seven towns and the development zone. */
static const char *const TOWNS[] = {"田镇街道", "芦湖街道", "青城镇", "高城镇", "黑里寨镇",
                                    "唐坊镇", "常家镇", "花沟镇", "木李镇", "高青经济开发区"};
static const char *const TRADE[] = {
    "鑫源", "恒泰", "华鲁", "齐丰", "黄河", "瑞康", "金诚", "宏达", "永盛", "博源", "海润", "天成", "汇丰",
    "正阳", "盛通", "嘉禾", "利民", "中信", "鲁青", "千乘", "福润", "信德", "隆昌", "凯瑞", "泰和", "明远",
    "润丰", "祥瑞", "东岳", "宝利", "佳和", "兴旺", "广源", "新华", "大地", "惠民", "安泰", "同兴", "百川",
    "聚丰", "远航", "华安", "鼎盛", "合力", "万通", "旭日", "青禾", "蓝海", "金阳", "德润", "绿源", "清河"};
static const char *const ROADS[] = {"青城路", "高苑路", "黄河路", "千乘大道", "芦湖路", "花沟路", "唐坊大街",
                                    "常家路", "木李路", "高城路", "纬二路", "经五路", "开发区大道", "民生路"};
static const char *const SURNAMES[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
                                       "马", "朱", "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "宋", "韩",
                                       "唐", "冯", "于", "董", "萧", "程", "曹", "袁", "邓", "许", "傅", "崔"};
static const char *const GIVEN[] = {"伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰",
                                    "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "建国", "志强", "海燕",
                                    "立新", "玉兰", "文博", "晓东", "红梅", "春生", "国庆", "丽华", "振华"};
static const char *const SUPERVISION[] = {"日常监管", "重点监管", "分类分级监管"};

/* Flavour by industry name (demo only; the list itself comes from the rule). */
static const struct {
    const char *industry;
    int weight;
    const char *word;       /* after the trade name */
    const char *scope;
} FLAVOUR[] = {
    {"非煤矿山", 3, "矿业", "建筑用石料开采、加工、销售"},
    {"化工", 10, "化工", "化工产品（不含危险化学品）生产、销售；化工技术开发"},
    {"医药", 3, "药业", "原料药、医药中间体生产、销售"},
    {"危险化学品", 8, "化学品", "危险化学品经营（按许可证核定范围）；仓储服务"},
    {"烟花爆竹", 2, "烟花爆竹", "烟花爆竹零售（按许可证核定范围）"},
    {"冶金", 3, "钢铁", "钢材冶炼、轧制、销售"},
    {"有色", 3, "铝业", "有色金属压延加工、销售"},
    {"建材", 12, "建材", "水泥制品、商品混凝土生产、销售"},
    {"机械", 14, "机械", "农业机械、通用设备制造、销售"},
    {"轻工", 12, "食品", "食品、塑料制品、纸制品生产、销售"},
    {"纺织", 9, "纺织", "棉纱、坯布纺织加工、销售"},
    {"烟草", 1, "烟草", "卷烟零售、烟草制品仓储"},
    {"商贸", 20, "商贸", "日用百货、五金交电、建材批发零售；仓储服务"},
};

static int flavour_of(const char *industry)
{
    for (int i = 0; i < (int)(sizeof FLAVOUR / sizeof FLAVOUR[0]); i++)
        if (!strcmp(FLAVOUR[i].industry, industry)) return i;
    return -1;
}

/* A USCC: 9 (市场监管) 1 (企业) or 2 (个体工商户), region 370322, a GB 11714 organisation code
 * ("MA" + 6 characters derived from n, unique for n < 31^6) and the check character. */
static void make_uscc(int n, int individual, char out[19])
{
    static const char chars[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    char body[9];
    uint64_t v = ((uint64_t)n * 7919u + 104729u) % 887503681u; /* 31^6 */
    body[0] = 'M';
    body[1] = 'A';
    for (int i = 7; i >= 2; i--) {
        body[i] = chars[v % 31];
        v /= 31;
    }
    body[8] = 0;
    snprintf(out, 19, "9%c370322%s%c", individual ? '2' : '1', body, orgcode_check_char(body));
    out[17] = uscc_check_char(out);
    out[18] = 0;
}

static void make_idno(int n, char out[19])
{
    int year = 1965 + pick(34), month = 1 + pick(12), day = 1 + pick(28);
    int seq = 100 + n * 7 % 800;
    if (((seq % 10) % 2 == 1) != (n % 3 != 0)) seq++; /* odd: male (two thirds) */
    char tmp[64];
    snprintf(tmp, sizeof tmp, "370322%04d%02d%02d%03d", year, month, day, seq % 1000);
    memcpy(out, tmp, 17);
    out[17] = idno_check_char(out);
    out[18] = 0;
}

static void person_name(char *out, size_t cap)
{
    snprintf(out, cap, "%s%s%s", PICK(SURNAMES), PICK(GIVEN), chance(50) ? PICK(GIVEN) : "");
}

static int insert_units(sqlite3 *db, const industry_set *ind, char **err)
{
    int weights[V_MAX_INDUSTRIES], total = 0;
    for (int i = 0; i < ind->n; i++) {
        int f = flavour_of(ind->name[i]);
        weights[i] = f >= 0 ? FLAVOUR[f].weight : 3;
        total += weights[i];
    }
    sqlite3_stmt *st = db_prepare(db, err,
        "INSERT INTO enterprises(uscc, name, unit_type, legal_rep, address, business_scope, region, industry, "
        "supervision_type, risk_level, credit_level, complaints, watchlist, dishonest, serious_violation, "
        "major_hazard, status, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
        "'2026-01-05T01:00:00Z','2026-01-05T01:00:00Z')", "");
    if (!st) return -1;
    int rc = 0;
    for (int n = 0; n < DEMO_UNITS && rc == 0; n++) {
        int w = pick(total), i = 0;
        while (w >= weights[i]) w -= weights[i++];
        const char *industry = ind->name[i];
        int f = flavour_of(industry);
        int key = !strcmp(ind->category[i], "key");
        const char *town = PICK(TOWNS);
        int individual = !key && chance(8);
        char uscc[19], name[256], rep[64], addr[256];
        make_uscc(n, individual, uscc);
        const char *word = f >= 0 ? FLAVOUR[f].word : industry;
        const char *trade = TRADE[(n * 17 + n / 52) % (int)(sizeof TRADE / sizeof TRADE[0])];
        const char *form = individual ? "经营部" : chance(15) ? "股份有限公司" : chance(30) ? "有限责任公司" : "有限公司";
        if (chance(50)) snprintf(name, sizeof name, "高青县%s%s%s", trade, word, form);
        else snprintf(name, sizeof name, "高青%s%s%s%s", trade, word, n % 7 ? "" : "科技", form);
        /* keep names distinct: the number only where a name would repeat */
        if (db_int(db, NULL, 0, "SELECT 1 FROM enterprises WHERE name = ?", "s", name)) {
            char with_town[512];
            snprintf(with_town, sizeof with_town, "%s（%s%d分厂）", name, town, n % 97 + 1);
            snprintf(name, sizeof name, "%.250s", with_town);
        }
        person_name(rep, sizeof rep);
        snprintf(addr, sizeof addr, "山东省淄博市高青县%s%s%d号", town, PICK(ROADS), 1 + pick(300));
        int r = pick(100);
        const char *risk = key ? (r < 10 ? "red" : r < 35 ? "orange" : r < 80 ? "yellow" : "blue")
                               : (r < 1 ? "red" : r < 8 ? "orange" : r < 45 ? "yellow" : "blue");
        int dishonest = chance(4);
        const char *credit = dishonest ? "dishonest" : chance(30) ? "good" : "normal";
        int complaints = chance(85) ? 0 : 1 + pick(key ? 6 : 3);
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, uscc, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, individual ? "个体工商户" : strstr(form, "股份") ? "股份有限公司" : "有限责任公司",
                          -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, rep, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 5, addr, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 6, f >= 0 ? FLAVOUR[f].scope : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, town, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 8, industry, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 9, key && chance(40) ? "重点监管" : PICK(SUPERVISION), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 10, risk, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 11, credit, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 12, complaints);
        sqlite3_bind_int64(st, 13, chance(key ? 8 : 2));
        sqlite3_bind_int64(st, 14, dishonest);
        sqlite3_bind_int64(st, 15, chance(2));
        sqlite3_bind_int64(st, 16, key && chance(20));
        sqlite3_bind_text(st, 17, chance(2) ? "closed" : "active", -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            *err = xprintf("demo unit %s: %s", uscc, sqlite3_errmsg(db));
            rc = -1;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

static int insert_inspectors(sqlite3 *db, const industry_set *ind, char **err)
{
    static const char *const TITLES[] = {"科员", "副科长", "科长", "执法大队队员", "执法中队长", "工程师",
                                         "高级工程师", "安全监管员"};
    sqlite3_stmt *st = db_prepare(db, err,
        "INSERT INTO inspectors(id_number, name, gender, phone, unit, title, cert_no, cert_valid_until, "
        "expertise, level, is_expert, status, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,"
        "'2026-01-05T01:00:00Z','2026-01-05T01:00:00Z')", "");
    if (!st) return -1;
    int rc = 0;
    for (int n = 0; n < DEMO_INSPECTORS && rc == 0; n++) {
        char id[19], name[64], phone[48], unit[128], cert[48], valid[48], tags[512];
        make_idno(n, id);
        person_name(name, sizeof name);
        snprintf(phone, sizeof phone, "13%d%08d", 3 + pick(7), (int)(rng() % 100000000));
        int county = n < 22;
        if (county) snprintf(unit, sizeof unit, "高青县应急管理局");
        else snprintf(unit, sizeof unit, "%s应急管理办公室", TOWNS[n % 10]);
        snprintf(cert, sizeof cert, "370322%05d", 101 + n * 3);
        if (n % 12 == 5) snprintf(valid, sizeof valid, "2025-%02d-%02d", 1 + pick(12), 1 + pick(28)); /* expired */
        else snprintf(valid, sizeof valid, "%d-%02d-%02d", 2027 + pick(3), 1 + pick(12), 1 + pick(28));
        int ntags = 1 + pick(3);
        size_t tl = (size_t)snprintf(tags, sizeof tags, "[");
        int used[V_MAX_INDUSTRIES] = {0};
        for (int t = 0; t < ntags; t++) {
            int i = pick(ind->n);
            if (used[i]) continue;
            used[i] = 1;
            tl += (size_t)snprintf(tags + tl, sizeof tags - tl, "%s\"%s\"", tl > 1 ? "," : "", ind->name[i]);
        }
        snprintf(tags + tl, sizeof tags - tl, "]");
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, (id[16] - '0') % 2 ? "male" : "female", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, phone, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 5, unit, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 6, PICK(TITLES), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, cert, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 8, valid, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 9, tags, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 10, county ? "county" : "township", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 11, n % 8 == 3);
        sqlite3_bind_text(st, 12, n == 17 || n == 41 ? "inactive" : "active", -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            *err = xprintf("demo inspector %s: %s", cert, sqlite3_errmsg(db));
            rc = -1;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

static const struct {
    const char *name, *target, *category, *method, *basis;
    const char *checkpoints[6];
} ITEMS[] = {
    {"危险化学品生产经营单位安全生产检查", "危险化学品生产、经营、储存单位", "重点", "现场检查、资料查阅",
     "《中华人民共和国安全生产法》《危险化学品安全管理条例》《危险化学品经营许可证管理办法》",
     {"安全生产许可证、经营许可证是否在有效期内", "重大危险源辨识、评估、备案及监控措施落实情况",
      "特种作业人员持证上岗情况", "危险化学品储存场所及安全距离是否符合要求", "应急预案编制、备案及演练情况", NULL}},
    {"非煤矿山企业安全生产检查", "非煤矿山（含地质勘探）企业", "重点", "现场检查、资料查阅",
     "《中华人民共和国安全生产法》《非煤矿矿山企业安全生产许可证实施办法》《金属非金属矿山安全规程》",
     {"安全生产许可证是否有效", "采场边坡、台阶参数是否符合设计", "爆破作业安全管理情况", "安全设施“三同时”落实情况", NULL}},
    {"烟花爆竹经营单位安全检查", "烟花爆竹批发、零售经营单位", "重点", "现场检查",
     "《烟花爆竹安全管理条例》《烟花爆竹经营许可实施办法》",
     {"经营许可证是否有效、是否超范围经营", "储存场所、限量存放是否符合规定", "是否存在非法储存、销售违禁产品", NULL}},
    {"冶金有色企业安全生产检查", "冶金、有色金属企业", "重点", "现场检查、资料查阅",
     "《冶金企业和有色金属企业安全生产规定》",
     {"煤气、高温熔融金属等重点部位安全管理", "安全生产责任制及管理机构设置", "隐患排查治理台账", NULL}},
    {"工贸企业粉尘防爆安全检查", "存在可燃性粉尘作业的机械、轻工、纺织等工贸企业", "一般", "现场检查",
     "《工贸企业粉尘防爆安全规定》",
     {"除尘系统设置是否符合规定", "粉尘清理制度及记录", "防火防爆、防静电措施落实情况", NULL}},
    {"工贸企业有限空间作业安全检查", "存在有限空间作业的工贸企业", "一般", "现场检查、资料查阅",
     "《工贸企业有限空间作业安全规定》",
     {"有限空间辨识及台账建立", "作业审批、检测、监护制度落实", "应急救援装备配备情况", NULL}},
    {"生产经营单位安全生产培训情况检查", "工矿商贸生产经营单位", "一般", "资料查阅、现场询问",
     "《生产经营单位安全培训规定》",
     {"主要负责人、安全管理人员培训考核情况", "从业人员三级安全教育记录", "特种作业人员持证情况", NULL}},
    {"生产安全事故应急预案管理检查", "工矿商贸生产经营单位", "一般", "资料查阅",
     "《生产安全事故应急预案管理办法》",
     {"应急预案编制、评审、公布情况", "应急预案备案情况", "应急演练及评估记录", NULL}},
};

static int insert_items(sqlite3 *db, char **err)
{
    for (size_t i = 0; i < sizeof ITEMS / sizeof ITEMS[0]; i++) {
        json_t *cps = json_array();
        for (int c = 0; ITEMS[i].checkpoints[c]; c++) json_array_append_new(cps, json_string(ITEMS[i].checkpoints[c]));
        json_t *o = json_pack("{ss ss ss ss ss ss ss so ss}", "name", ITEMS[i].name, "target", ITEMS[i].target,
                              "category", ITEMS[i].category, "method", ITEMS[i].method, "department",
                              DEMO_BUREAU, "level", "县级", "basis", ITEMS[i].basis, "checkpoints", cps,
                              "reason", "公布年度抽查事项清单");
        spot_err e;
        long long id = items_create(db, "system", o, &e);
        json_decref(o);
        if (id < 0) {
            *err = xprintf("%s", e.message);
            return -1;
        }
    }
    return 0;
}

/* The orgs: the bureau (created by the migration) renamed to DEMO_BUREAU unless init named it, its
 * divisions, an office per town of TOWNS, the DEPARTMENTS. */
static int insert_orgs(sqlite3 *db, char **err)
{
    if (db_run(db, err, "UPDATE orgs SET name = ? WHERE kind = 'bureau' AND name = '本局'", "s", DEMO_BUREAU) < 0)
        return -1;
    long long bureau = db_int(db, err, -1, "SELECT id FROM orgs WHERE kind = 'bureau'", "");
    static const char sql[] = "INSERT INTO orgs(name, kind, parent_id, level, created_at, updated_at) "
                              "VALUES (?, ?, ?, ?, '2026-01-05T01:00:00Z', '2026-01-05T01:00:00Z')";
    for (size_t i = 0; i < sizeof DIVISIONS / sizeof DIVISIONS[0]; i++)
        if (db_run(db, err, sql, "ssis", DIVISIONS[i], "division", bureau, "county") < 0) return -1;
    for (size_t i = 0; i < sizeof TOWNS / sizeof TOWNS[0]; i++) {
        char name[128];
        snprintf(name, sizeof name, "%s应急管理办公室", TOWNS[i]);
        if (db_run(db, err, sql, "ssis", name, "township", bureau, "township") < 0) return -1;
    }
    for (size_t i = 0; i < sizeof DEPARTMENTS / sizeof DEPARTMENTS[0]; i++)
        if (db_run(db, err, sql, "sss" "s", DEPARTMENTS[i], "department", NULL, "county") < 0) return -1;
    return 0;
}

/* Staff accounts in several orgs, with real names; password: the one every demo account starts
 * with (to be changed at the first login). */
static int insert_staff(sqlite3 *db, const char *password, char **err)
{
    static const struct {
        const char *username, *real_name, *role, *org;
    } STAFF[] = {
        {"孙立新", "孙立新", "planner", DEMO_BUREAU},
        {"李卫东", "李卫东", "head", DEMO_BUREAU},
        {"陈晓东", "陈晓东", "auditor", DEMO_BUREAU},
        {"赵敏", "赵敏", "planner", "高青县市场监督管理局"},
        {"周海燕", "周海燕", "head", "高青县市场监督管理局"},
        {"钱振华", "钱振华", "planner", "淄博市生态环境局高青分局"},
        {"吴志强", "吴志强", "head", "淄博市生态环境局高青分局"},
        {"郑春生", "郑春生", "head", "青城镇应急管理办公室"},
    };
    for (size_t i = 0; i < sizeof STAFF / sizeof STAFF[0]; i++) {
        /* 0: the bureau, whatever init named it */
        long long org = strcmp(STAFF[i].org, DEMO_BUREAU) ? db_int(db, err, -1, "SELECT id FROM orgs WHERE name = ?",
                                                                   "s", STAFF[i].org) : 0;
        if (org < 0) {
            *err = xprintf("demo account %s: no org %s", STAFF[i].username, STAFF[i].org);
            return -1;
        }
        spot_err e;
        if (auth_create_user(db, "system", STAFF[i].username, password, STAFF[i].role, NULL, org, STAFF[i].real_name, 1,
                             &e) < 0) {
            *err = xprintf("demo account %s: %s", STAFF[i].username, e.message);
            return -1;
        }
    }
    return 0;
}

/* DEMO_DEPT_INSPECTORS inspectors of each of DEPARTMENTS, numbered after the first
 * DEMO_INSPECTORS. */
static int insert_dept_inspectors(sqlite3 *db, const industry_set *ind, char **err)
{
    sqlite3_stmt *st = db_prepare(db, err,
        "INSERT INTO inspectors(id_number, name, gender, phone, unit, title, cert_no, cert_valid_until, "
        "expertise, level, is_expert, status, created_at, updated_at) VALUES (?,?,?,?,?,'执法人员',?,?,?,'county',0,"
        "'active','2026-01-05T01:00:00Z','2026-01-05T01:00:00Z')", "");
    if (!st) return -1;
    int rc = 0;
    int total = DEMO_DEPT_INSPECTORS * (int)(sizeof DEPARTMENTS / sizeof DEPARTMENTS[0]);
    for (int k = 0; k < total && rc == 0; k++) {
        int n = DEMO_INSPECTORS + k;
        char id[19], name[64], phone[48], cert[48], valid[48], tags[128];
        make_idno(n, id);
        person_name(name, sizeof name);
        snprintf(phone, sizeof phone, "13%d%08d", 3 + pick(7), (int)(rng() % 100000000));
        snprintf(cert, sizeof cert, "370322%05d", 101 + n * 3);
        snprintf(valid, sizeof valid, "%d-%02d-%02d", 2027 + pick(3), 1 + pick(12), 1 + pick(28));
        snprintf(tags, sizeof tags, "[\"%s\"]", ind->name[pick(ind->n)]);
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, (id[16] - '0') % 2 ? "male" : "female", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, phone, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 5, DEPARTMENTS[k / DEMO_DEPT_INSPECTORS], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, cert, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 7, valid, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 8, tags, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE) {
            *err = xprintf("demo inspector %s: %s", cert, sqlite3_errmsg(db));
            rc = -1;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* The work on record (SPEC §10, §11): an item of 市场监管局, this year's plan (draft) with a joint
 * task of the bureau and 市场监管局 (draft, fireworks units, one visit with both orgs' items); three
 * 4.3 inspections of units (one case still open, so that unit is not drawn at random) and an
 * incident at a unit inspected three months before it (10.2). */
static int insert_work(sqlite3 *db, char **err)
{
    static const char *const cps[] = {"产品合格证明和进货查验记录", "烟花爆竹产品标识、警示语是否符合国家标准",
                                      "是否销售超标、违禁烟花爆竹产品", NULL};
    json_t *jc = json_array();
    for (int i = 0; cps[i]; i++) json_array_append_new(jc, json_string(cps[i]));
    json_t *o = json_pack("{ss ss ss ss ss ss ss so ss}", "name", "烟花爆竹产品质量监督检查", "target", "烟花爆竹经营单位",
                          "category", "一般", "method", "现场检查、资料查阅", "department", DEPARTMENTS[0], "level", "县级",
                          "basis", "《中华人民共和国产品质量法》《烟花爆竹安全管理条例》", "checkpoints", jc,
                          "reason", "联合抽查事项");
    spot_err e;
    long long market_item = items_create(db, "system", o, &e);
    json_decref(o);
    if (market_item < 0) {
        *err = xprintf("%s", e.message);
        return -1;
    }
    long long bureau_item = db_int(db, err, -1, "SELECT id FROM items WHERE name LIKE '%烟花爆竹%' AND id <> ? ORDER BY id LIMIT 1",
                                   "i", market_item);
    long long bureau = db_int(db, err, -1, "SELECT id FROM orgs WHERE kind = 'bureau'", "");
    long long market = db_int(db, err, -1, "SELECT id FROM orgs WHERE name = ?", "s", DEPARTMENTS[0]);
    if (*err || bureau_item < 0 || bureau < 0 || market < 0) {
        if (!*err) *err = xprintf("demo: the fireworks item or the orgs are missing");
        return -1;
    }
    static const char at[] = "2026-01-05T01:00:00Z";
    if (db_run(db, err, "INSERT INTO plans(year, name, scope, ratios, schedule, estimated_count, tasks, author, created_at, "
                        "updated_at) VALUES (CAST(strftime('%Y', 'now') AS INTEGER), strftime('%Y', 'now') || '年度安全生产双随机抽查计划', "
                        "'全县工矿商贸企业', '{\"key_high\":0.3,\"key_other\":0.1,\"key_low\":0.05,\"general_high\":0.15,\"general_other\":0.05}', "
                        "'[\"二季度\",\"四季度\"]', 300, json_array(json_object('name', '烟花爆竹经营单位联合抽查', 'joint', json('true'), "
                        "'start_date', strftime('%Y', 'now') || '-12-14', 'end_date', strftime('%Y', 'now') || '-12-28')), "
                        "'system', ?, ?)", "ss", at, at) < 0)
        return -1;
    long long plan = sqlite3_last_insert_rowid(db);
    if (db_run(db, err, "INSERT INTO tasks(plan_id, year, name, item_ids, mode, filters, directed, lead_unit, joint_units, "
                        "lead_org_id, joint_org_ids, start_date, end_date, options, author, created_at, updated_at) "
                        "VALUES (?, CAST(strftime('%Y', 'now') AS INTEGER), '烟花爆竹经营单位联合抽查', json_array(?, ?), 'targeted', "
                        "'{\"industry\":[\"烟花爆竹\"]}', 0, ?, json_array(?), ?, json_array(?), strftime('%Y', 'now') || '-12-14', "
                        "strftime('%Y', 'now') || '-12-28', '{}', 'system', ?, ?)",
               "iiissiiss", plan, bureau_item, market_item, DEMO_BUREAU, DEPARTMENTS[0], bureau, market, at, at) < 0)
        return -1;
    /* 4.3 cases: a (closed), b (closed), c (still open); an incident at the first unit */
    static const char *const cases[][4] = {
        {"a", "-100 days", "-95 days", "市应急管理局2026年危险化学品专项检查部署"},
        {"b", "-60 days", "-58 days", "12345热线投诉（编号 GQ-0417）"},
        {"c", "-20 days", NULL, "县安委办交办督办事项（高安委办〔2026〕12号）"},
    };
    for (int i = 0; i < 3; i++) {
        if (db_run(db, err, "INSERT INTO inspections(enterprise_id, uscc, case_code, basis, date, closed, inspectors, summary, "
                            "created_by, created_at) SELECT id, uscc, ?, ?, date('now', ?), CASE WHEN ? IS NULL THEN NULL "
                            "ELSE date('now', ?) END, json_array((SELECT cert_no FROM inspectors ORDER BY id LIMIT 1 OFFSET ?)), "
                            "'按第4.3条开展的检查', 'system', ? FROM enterprises WHERE status = 'active' ORDER BY id "
                            "LIMIT 1 OFFSET ?", "sssssisi", cases[i][0], cases[i][3], cases[i][1], cases[i][2], cases[i][2],
                   (long long)i, at, (long long)(10 + i)) != 1)
            return *err ? -1 : (*err = xprintf("demo: inspection %d not stored", i), -1);
    }
    if (db_run(db, err, "INSERT INTO incidents(enterprise_id, uscc, date, description, created_by, created_at) "
                        "SELECT id, uscc, date('now', '-10 days'), '储罐区发生一起泄漏事件，无人员伤亡', 'system', ? "
                        "FROM enterprises WHERE status = 'active' ORDER BY id LIMIT 1 OFFSET 10", "s", at) != 1)
        return *err ? -1 : (*err = xprintf("demo: incident not stored"), -1);
    return 0;
}

int demo_populate(sqlite3 *db, const char *staff_password, char **err)
{
    rng_state = 0x5EED0370322ULL; /* fixed: every demo database is the same */
    industry_set *ind = malloc(sizeof *ind);
    lh_state *h = lh_new(&spot_config.lua, err);
    int rc = -1;
    if (!ind || !h) goto done;
    if (rules_load_dir(h, spot_config.rules_dir, err) != 0) goto done;
    if (industries_load(h, ind, err) != 0) goto done;
    if (insert_orgs(db, err) != 0 || insert_units(db, ind, err) != 0 || insert_inspectors(db, ind, err) != 0 ||
        insert_items(db, err) != 0 || insert_dept_inspectors(db, ind, err) != 0 ||
        insert_staff(db, staff_password, err) != 0 || insert_work(db, err) != 0)
        goto done;
    json_t *d = json_pack("{si si si}", "enterprises", DEMO_UNITS, "inspectors",
                          DEMO_INSPECTORS + DEMO_DEPT_INSPECTORS * (int)(sizeof DEPARTMENTS / sizeof DEPARTMENTS[0]),
                          "items", (int)(sizeof ITEMS / sizeof ITEMS[0]));
    rc = audit_log(db, "system", "demo.populate", "demo:高青县", d, err);
    json_decref(d);
done:
    lh_free(h);
    free(ind);
    return rc;
}
