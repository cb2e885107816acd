"""A seeded generator of complaint sentences with planted personal data (for hotline_privacy.py).

    .venv/bin/python bench/hotline_pii_set.py [--seed 12345] [--per-kind 80] > planted.jsonl

Each sentence reads like a 12345 complaint (a place, a time, the problem, sometimes an amount)
and carries one planted item of personal data in one of its written forms; the place, date,
time and amount are listed too, as text that must stay readable. Every item is
``{"kind", "value", "mask"}``: ``mask`` is the part of ``value`` that has to come out masked
(the given name of 张建国, the serial of 沪A12345, the local part of an e-mail).
Nothing here comes from the tests' texts.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from typing import Any

from stdnum import luhn
from stdnum.cn import ric

KINDS = ("mobile", "landline", "id_card", "bank_card", "email", "wechat", "qq", "plate", "name")
ROADS = ("华志路", "盈港东路", "外青松公路", "城中北路", "公园路", "青安路", "崧泽大道", "漕盈路",
         "沪青平公路", "胜利路", "华浦路", "朱枫公路", "练塘镇章练塘路", "赵巷镇业辉路",
         "徐泾镇明珠路", "白鹤镇鹤吉路", "金泽镇金溪路", "重固镇北青公路",
         "香花桥街道天辰路", "夏阳街道淀山湖大道")
PROBLEMS = ("门口垃圾堆放多日无人清运", "楼上装修噪音扰民", "小区路灯坏了", "下水道堵塞污水外溢",
            "商铺油烟直排", "窨井盖缺失", "共享单车乱停放", "工地夜间施工", "小区内违章搭建",
            "楼道堆物存在消防隐患", "路面破损积水", "绿化带被占用停车", "广场舞音响声音太大",
            "出租屋群租", "外墙瓷砖脱落", "电梯经常故障", "自来水发黄", "菜场占道经营")
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建国文志海春梅林斌宇浩凯鹏辉飞亮" \
        "波宁欣怡佳琳晨婷雪颖倩慧嘉俊子梓涵轩雨思博晓德福荣金民山一小永庆荣淑珍凤云秋菊" \
        "才忠义礼智信仁和顺长利生发财宝贵兴旺家瑞祥泽天正中东南方光新友全青卫安乐成龙之元立如心雅梦美诗"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡杜叶" \
           "程苏魏吕丁沈姚卢姜崔钟谭陆汪范廖贾夏韦傅方邹孟熊秦邱江尹薛闫段雷侯史陶顾毛郝龚邵钱严戴倪"
COMPOUND = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "慕容", "令狐", "夏侯", "司徒", "端木",
            "公孙", "尉迟", "长孙")
AREA_CODES = ("021", "0512", "0571", "010", "025", "0574", "0513", "020", "0755")
PROVINCES = "沪苏浙皖京粤鲁豫川鄂"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
CN_DIGITS = "零一二三四五六七八九"
WIDE = {str(i): chr(0xFF10 + i) for i in range(10)}


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _spoken(number: str, rng: random.Random) -> str:
    out = [CN_DIGITS[int(d)] for d in number]
    return "".join("幺" if d == "一" and rng.random() < 0.6 else "两" if d == "二" and rng.random()
                   < 0.3 else d for d in out)


def mobile(rng: random.Random) -> tuple[str, str]:
    n = rng.choice("3456789") + _digits(rng, 9)
    n = "1" + n
    forms = [n, f"{n[:3]} {n[3:7]} {n[7:]}", f"{n[:3]}-{n[3:7]}-{n[7:]}",
             f"{n[:3]}.{n[3:7]}.{n[7:]}", f"+86 {n}", f"+86-{n}", f"0086{n}",
             "".join(WIDE[d] for d in n), " ".join(n),
             _spoken(n, rng), f"{n[:3]} {n[3:]}"]
    v = rng.choice(forms)
    return v, v


def landline(rng: random.Random) -> tuple[str, str]:
    area = rng.choice(AREA_CODES)
    local = rng.choice("2356789") + _digits(rng, 7 if len(area) == 3 else rng.choice((6, 7)))
    ext = _digits(rng, rng.choice((3, 4)))
    forms = [f"{area}-{local}", f"({area}){local}", f"{area} {local[:4]} {local[4:]}",
             f"{area}-{local}转{ext}", f"{area}-{local}-{ext}", f"（{area}）{local}",
             "".join(WIDE.get(c, c) for c in f"{area}-{local}"), f"{area}{local}"]
    v = rng.choice(forms)
    return v, v


def _id18(rng: random.Random) -> str:
    body = rng.choice(("310118", "310229", "320583", "330106", "110105", "420106", "510104"))
    year = rng.randint(1950, 2005)
    body += f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{_digits(rng, 3)}"
    return body + ric.calc_check_digit(body)


def id_card(rng: random.Random) -> tuple[str, str]:
    n = _id18(rng)
    old = n[:6] + n[8:14] + n[14:17]
    forms = [n, f"{n[:6]} {n[6:14]} {n[14:]}", "".join(WIDE.get(c, c) for c in n), old,
             n.lower() if n.endswith("X") else n, f"{n[:6]}-{n[6:14]}-{n[14:]}"]
    v = rng.choice(forms)
    return v, v


def bank_card(rng: random.Random) -> tuple[str, str]:
    body = rng.choice(("622202", "621700", "622848", "623052", "456351", "622588"))
    body += _digits(rng, rng.choice((9, 12)))
    n = body + luhn.calc_check_digit(body)
    forms = [n, " ".join(n[i:i + 4] for i in range(0, len(n), 4)),
             "-".join(n[i:i + 4] for i in range(0, len(n), 4))]
    v = rng.choice(forms)
    return v, v


def email(rng: random.Random) -> tuple[str, str]:
    name = rng.choice(("zhang", "li", "wang", "chen", "liu", "xiaoyu", "sunny", "tom", "hz"))
    local = name + rng.choice(("", ".", "_")) + _digits(rng, rng.randint(0, 5))
    host = rng.choice(("163.com", "qq.com", "126.com", "sina.com", "gmail.com", "outlook.com",
                       "foxmail.com", "sh.gov.cn", "yeah.net"))
    return f"{local}@{host}", local


def wechat(rng: random.Random) -> tuple[str, str]:
    ident = rng.choice("abcdefghjkmnpqrstwxyz") + "".join(
        rng.choice("abcdefghijkmnpqrstuvwxyz0123456789_") for _ in range(rng.randint(5, 14)))
    cue = rng.choice(("微信号", "微信", "微信：", "vx:", "VX ", "wx：", "微信号是", "加微信 "))
    return cue + ident, ident


def qq(rng: random.Random) -> tuple[str, str]:
    n = rng.choice("123456789") + _digits(rng, rng.randint(4, 10))
    cue = rng.choice(("QQ", "QQ号", "qq：", "QQ号码是", "扣扣", "QQ "))
    return cue + n, n


def plate(rng: random.Random) -> tuple[str, str]:
    head = rng.choice(PROVINCES) + rng.choice(PLATE_LETTERS)
    serial = rng.choice((
        lambda: _digits(rng, 5),
        lambda: rng.choice(PLATE_LETTERS) + _digits(rng, 4),
        lambda: _digits(rng, 3) + rng.choice(PLATE_LETTERS) + _digits(rng, 1),
        lambda: rng.choice("DF") + _digits(rng, 5),
        lambda: _digits(rng, 5) + rng.choice("DF"),
    ))()
    sep = rng.choice(("", "", "·"))
    return head + sep + serial, serial


def _person(rng: random.Random) -> tuple[str, str]:
    surname = rng.choice(COMPOUND) if rng.random() < 0.2 else rng.choice(SURNAMES)
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return surname, given


def name(rng: random.Random) -> tuple[str, str]:
    """A full template: the planted value is the whole phrase, ``mask`` what must go."""
    surname, given = _person(rng)
    after = ("联系人", "联系人：", "市民", "居民", "来电人", "来电者", "投诉人", "求助人", "业主",
             "姓名：", "我叫", "本人")
    before = ("反映", "来电", "投诉", "称")
    honor = ("先生", "女士", "阿姨", "师傅", "老师")
    form = rng.random()
    if form < 0.5:
        return f"{rng.choice(after)}{surname}{given}", given
    if form < 0.75:
        return f"{surname}{given}{rng.choice(before)}", given
    if form < 0.92:
        return f"{surname}{rng.choice(honor)}", surname
    single = rng.choice(SURNAMES)
    return f"{rng.choice('老小')}{single}", single


GENERATORS: dict[str, Callable[[random.Random], tuple[str, str]]] = {
    "mobile": mobile, "landline": landline, "id_card": id_card, "bank_card": bank_card,
    "email": email, "wechat": wechat, "qq": qq, "plate": plate, "name": name}
LEADS = {"mobile": ("联系电话", "手机", "电话：", "回电", "手机号", "请打"),
         "landline": ("座机", "联系电话", "单位电话", "电话", "固话"),
         "id_card": ("身份证号", "身份证", "证件号码：", "身份证号码是"),
         "bank_card": ("银行卡号", "卡号", "工资卡", "退款到银行卡"),
         "email": ("邮箱", "电子邮件", "回复发到", "email："), "wechat": ("", "可以加"),
         "qq": ("", "联系"), "plate": ("车牌", "车牌号", "一辆", "牌照"), "name": ("",)}


def door(rng: random.Random) -> str:
    n = rng.randint(1, 3000)
    return rng.choice((f"{n}号", f"{n}弄{rng.randint(1, 120)}号",
                       f"{n}号{rng.randint(101, 2803)}室",
                       f"{rng.randint(1, 40)}号楼{rng.randint(1, 6)}单元{rng.randint(101, 2803)}室",
                       f"{n}弄{rng.randint(1, 99)}号{rng.randint(101, 1803)}室",
                       f"{rng.randint(1, 30)}栋{rng.randint(101, 2803)}"))


def when(rng: random.Random) -> tuple[str, str]:
    y, m, d = rng.randint(2023, 2026), rng.randint(1, 12), rng.randint(1, 28)
    day = rng.choice((f"{y}年{m}月{d}日", f"{y}-{m:02d}-{d:02d}", f"{m}月{d}日", f"{y}/{m}/{d}",
                      f"{y}.{m:02d}.{d:02d}", f"{y}{m:02d}{d:02d}", f"{m}月{d}号"))
    h, mi = rng.randint(0, 23), rng.choice((0, 5, 10, 15, 20, 30, 40, 45, 50))
    time = rng.choice((f"{h}:{mi:02d}", f"{h}点{mi}分", f"晚上{rng.randint(7, 11)}点",
                       f"{h:02d}:{mi:02d}", f"{h}时{mi}分", f"凌晨{rng.randint(1, 5)}点多",
                       f"{h}:{mi:02d}:{rng.randint(0, 59):02d}"))
    return day, time


def amount(rng: random.Random) -> str:
    n = rng.choice((rng.randint(5, 999), rng.randint(1000, 99999), rng.randint(100000, 5000000)))
    return rng.choice((f"{n}元", f"¥{n:,}", f"{n}.00元", f"{rng.randint(1, 50)}万元", f"{n}块",
                       f"人民币{n}元", f"￥{n}"))


def sentence(rng: random.Random, kind: str) -> dict[str, Any]:
    value, masked = GENERATORS[kind](rng)
    road, place = rng.choice(ROADS), door(rng)
    day, time = when(rng)
    money = amount(rng) if rng.random() < 0.5 else ""
    lead = rng.choice(LEADS[kind])
    contact = f"{lead}{value}"
    cost = f"，已经花了{money}" if money else ""
    text = rng.choice((
        f"{day}{time}起{road}{place}{rng.choice(PROBLEMS)}{cost}，{contact}，请尽快处理。",
        f"{contact}，{road}{place}{rng.choice(PROBLEMS)}，从{day}{time}开始{cost}",
        f"{road}{place}居民来电：{rng.choice(PROBLEMS)}，{day} {time}又发生，{contact}{cost}。",
        f"{contact}，住{road}{place}，{day}{time}{rng.choice(PROBLEMS)}，希望有关部门管一管{cost}",
    ))
    readable = [{"kind": "door", "value": f"{road}{place}"}, {"kind": "date", "value": day},
                {"kind": "time", "value": time}, {"kind": "road", "value": road}]
    if money:
        readable.append({"kind": "amount", "value": money})
    return {"text": text, "planted": {"kind": kind, "value": value, "mask": masked},
            "readable": readable}


def planted_set(seed: int, per_kind: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = [sentence(rng, kind) for kind in KINDS for _ in range(per_kind)]
    rng.shuffle(rows)
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--per-kind", type=int, default=80)
    args = ap.parse_args(argv)
    for row in planted_set(args.seed, args.per_kind):
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
