#!/usr/bin/env python3
"""Writes the small CSV fixtures of tests/http/test_import.py (run once; the outputs are checked in).
Also importable: uscc(n) and idno(...) build valid codes (GB 32100, GB 11643)."""
import os

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def uscc_check(s17):
    c = 31 - sum(USCC_CHARS.index(ch) * w for ch, w in zip(s17, USCC_W)) % 31
    return USCC_CHARS[0 if c == 31 else c]


def org_check(s8):
    w = [3, 7, 9, 10, 5, 8, 4, 2]
    v = lambda ch: int(ch) if ch.isdigit() else ord(ch) - 55
    c = 11 - sum(v(ch) * x for ch, x in zip(s8, w)) % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def uscc(n, region="370322"):
    body = "MA" + "".join(USCC_CHARS[(n // 31 ** i) % 31] for i in range(5, -1, -1))
    s17 = "91" + region + body + org_check(body)
    return s17 + uscc_check(s17)


def idno(birth, seq, region="370322"):
    s17 = f"{region}{birth}{seq:03d}"
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return s17 + "10X98765432"[sum(int(c) * x for c, x in zip(s17, w)) % 11]


def bad_check(code):
    last = code[-1]
    alt = "0" if last != "0" else "1"
    return code[:-1] + alt


HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, text, encoding="utf-8", bom=False):
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def main():
    H = "单位名称,统一社会信用代码,行政区划,行业类别,风险等级,信用等级,重点关注,失信记录,严重违法记录,重大危险源,投诉举报次数,状态,经营范围\n"
    rows = [
        # line 2: good
        f"高青县鑫源化工有限公司,{uscc(1)},青城镇,化工,重大,一般,是,否,否,是,2,正常,化工产品生产\n",
        # line 3: bad USCC check character
        f"高青县坏码一有限公司,{bad_check(uscc(2))},青城镇,机械,低,一般,否,否,否,否,0,正常,\n",
        # line 4: a character outside the GB 32100 set (I)
        f"高青县坏码二有限公司,{uscc(3)[:10]}I{uscc(3)[11:]},高城镇,机械,低,一般,否,否,否,否,0,正常,\n",
        # line 5: bad enumeration value
        f"高青县枚举有限公司,{uscc(4)},高城镇,建材,紫色,一般,否,否,否,否,0,正常,\n",
        # line 6: unknown industry
        f"高青县养殖有限公司,{uscc(5)},唐坊镇,养殖,低,一般,否,否,否,否,0,正常,\n",
        # line 7: missing required name
        f",{uscc(6)},唐坊镇,商贸,低,一般,否,否,否,否,0,正常,\n",
        # lines 8-9: good, quoted field with a comma and a newline
        f"\"高青县\"\"引号\"\",逗号商贸有限公司\",{uscc(7)},芦湖街道,商贸,一般,守信,否,否,否,否,0,正常,\"日用百货,五金\n建材批发\"\n",
        # line 10: duplicate of line 2
        f"高青县重复化工有限公司,{uscc(1)},青城镇,化工,较大,一般,否,否,否,否,0,正常,\n",
        # line 11: good, labels
        f"高青县注销纺织有限公司,{uscc(8)},花沟镇,纺织,低,守信,否,是,是,否,5,注销,\n",
        # line 12: bad boolean
        f"高青县布尔有限公司,{uscc(9)},花沟镇,纺织,低,守信,也许,否,否,否,0,正常,\n",
        # line 13: good, codes and an industry alias
        f"高青县有色金属有限公司,{uscc(10)},高青经济开发区,有色金属,orange,dishonest,true,false,0,1,0,active,\n",
        # line 14: bad complaint count
        f"高青县计数有限公司,{uscc(11)},木李镇,轻工,低,守信,否,否,否,否,-3,正常,\n",
    ]
    write("enterprises_mixed.csv", H + "".join(rows), bom=True)

    # the same company as line 2 with changes, plus one new row: re-import updates with history
    write("enterprises_update.csv",
          "uscc,name,region,industry,risk_level,complaints\n"
          f"{uscc(1)},高青县鑫源化工股份有限公司,青城镇,化工,yellow,3\n"
          f"{uscc(12)},高青县新增机械有限公司,常家镇,机械,blue,0\n")

    # GB18030, no BOM
    write("enterprises_gb18030.csv",
          "统一社会信用代码,单位名称,行政区划,行业类别\n"
          f"{uscc(20)},高青县国标编码一有限公司,黑里寨镇,烟花爆竹\n"
          f"{uscc(21)},高青县国标编码二有限公司,常家镇,冶金\n", encoding="gb18030")

    # unknown header: whole file refused
    write("enterprises_bad_header.csv", "统一社会信用代码,单位名称,行政区划,行业类别,老板电话\n"
          f"{uscc(30)},高青县表头有限公司,青城镇,机械,123\n")
    # missing required header (行业类别)
    write("enterprises_missing_header.csv", "统一社会信用代码,单位名称,行政区划\n"
          f"{uscc(31)},高青县缺列有限公司,青城镇\n")
    # a good row and then a CHECK violation the validator cannot see is impossible by design; use
    # a file whose last row is a database-level clash instead (see test_import.py for the kill test)

    IH = "id_number,name,gender,phone,unit,title,cert_no,cert_valid_until,expertise,level,is_expert,status\n"
    irows = [
        # 2 good
        f"{idno('19800101', 123)},王伟,男,13800000001,高青县应急管理局,科员,37032299001,2028-12-31,化工；危险化学品,县,否,在职\n",
        # 3 bad ID check digit
        f"{bad_check(idno('19800102', 124))},李娜,女,13800000002,高青县应急管理局,科员,37032299002,2028-12-31,机械,县,否,在职\n",
        # 4 bad birth date 19990230
        f"{idno('19990230', 125)},张强,男,13800000003,青城镇应急管理办公室,科员,37032299003,2028-12-31,商贸,乡,否,在职\n",
        # 5 birth date in the future
        f"{idno('20990101', 126)},刘洋,男,13800000004,青城镇应急管理办公室,科员,37032299004,2028-12-31,商贸,乡,否,在职\n",
        # 6 bad certificate date
        f"{idno('19850505', 127)},陈静,女,13800000005,高城镇应急管理办公室,科员,37032299005,2028-13-01,轻工,乡,否,在职\n",
        # 7 duplicate ID number of line 2
        f"{idno('19800101', 123)},王伟伟,男,13800000006,高青县应急管理局,科员,37032299006,2028-12-31,化工,县,否,在职\n",
        # 8 good, expert, English codes, several tags
        f"{idno('19750815', 128)},赵敏,female,13800000007,高青县应急管理局,高级工程师,37032299007,2027-06-30,化工;冶金;化工,county,1,active\n",
        # 9 duplicate certificate number (line 8's) under another person
        f"{idno('19790304', 129)},孙杰,男,13800000008,高青县应急管理局,科员,37032299007,2027-06-30,机械,县,否,在职\n",
        # 10 bad level
        f"{idno('19790305', 130)},周涛,男,13800000009,高青县应急管理局,科员,37032299010,2027-06-30,机械,省,否,在职\n",
    ]
    write("inspectors_mixed.csv", IH + "".join(irows))


if __name__ == "__main__":
    main()
