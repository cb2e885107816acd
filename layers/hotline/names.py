"""Person names in complaint text, by context and by surname.

A name is a surname from the list (compound ones first: 欧阳, 司马, 上官 …) and one or two given
characters, found where a complaint puts one: after a word that introduces a person (联系人,
市民, 居民, 来电人, 投诉人, 业主, 姓名：, 我叫, 本人 …), before a verb of reporting (反映, 来电,
投诉, 称), before an honorific (王先生, 欧阳女士, 李师傅) or as 老王 / 小李. After 姓名： any two to
four characters are a name, listed surname or not. A word that reads as a place or a group
(金泽镇, 周边居民) is not a name.
"""

from __future__ import annotations

import re

Span = tuple[str, int, int]

_COMPOUND = ("欧阳司马上官诸葛东方皇甫尉迟公孙慕容令狐夏侯长孙宇文司徒轩辕端木独孤南宫西门"
             "百里呼延万俟闻人澹台公冶宗政濮阳太史申屠钟离赫连第五仲孙单于司空东郭左丘"
             "拓跋谷梁段干公羊淳于梁丘乐正鲜于闾丘")
COMPOUND_SURNAMES = frozenset(_COMPOUND[i:i + 2] for i in range(0, len(_COMPOUND), 2))
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺"
    "顾毛郝龚邵万钱严覃武戴莫孔向汤常葛倪殷柏施闵钮盛俞诸费康伍余易欧阳乔赖文牛宁洪季柳翟章"
    "鲍包庞樊兰殷施陶洪翁解聂耿单艾储车梅舒尤童祝凌蒙邢申阎屈焦蓝温池卜安甘党霍岳丛晏娄翁"
    "鲁芦滕戚管卫项麦宫穆苗佘谈邬寇齐左饶骆曲简葛魏柯祁路瞿米阮荣查"
)
# Single surnames that are also common words where 老/小 and the reporting verbs sit
# (小区, 小时, 老路, 老师): not read as names there.
_NEVER_NICKNAME = frozenset("区时车师路")  # 小区, 两个小时, 小车, 老师, 老路
_AMBIGUOUS = frozenset("区时路师车于单万安文包方石白金成高龙马江池卫")
# Words that begin with a surname's character but name no one (居民严重不满, 业主方面, 周末投诉).
_WORDS_TEXT = (
    "方面高度高兴高温周末周边周围周日周一万一于是马上马路白天"
    "黄金金额安全安静文明和平关于程度时间任何单位车辆毛病许多"
    "向来宁可龙头石头江边钱款费用夏天冬天严重严格施工卫生管理"
    "管道余额路过路面路灯路口路边包括连续经常常年常常项目齐全"
    "都是曾经易燃司机温度房屋邻居叶子花费苗木牛奶谢谢申请申报"
    "焦虑田间乔迁祝福梅雨童车艾草雷声雷雨洪水董事顾客顾及孔洞"
    "向上向下付款付费方便方向方式方案白色孙子毛坯程序段时段落"
    "钟点钟头武装万元万多简直简单查看查处查询解决解释左右左边"
    "黎明包装柏油"
)
_WORDS = frozenset(_WORDS_TEXT[i:i + 2] for i in range(0, len(_WORDS_TEXT), 2))
_CUE_BEFORE = re.compile(
    r"(?:联系人|市民|居民|村民|住户|来电人|来电者|投诉人|求助人|举报人|反映人|报件人|当事人|业主|户主|房东|"
    r"租户|邻居|我叫|名叫|叫做|本人|我是|姓名|找)[\s:：是为]{0,2}")
_CUE_AFTER = ("反映", "来电", "投诉", "称", "致电", "举报", "求助", "表示", "说")
_HONORIFICS = ("先生", "女士", "小姐", "阿姨", "师傅", "老师", "大爷", "大妈", "阿婆", "老伯",
               "同志", "经理", "老板", "奶奶", "爷爷", "叔叔", "医生", "律师")
_FIELD = re.compile(r"(?:姓名|联系人|来电人|投诉人|求助人)\s*[:：]\s*([\u4e00-\u9fff·]{2,4})")
_SURNAME_ONLY = re.compile(r"(?<![百])姓([" + "".join(sorted(SURNAMES)) + "])"
                           r"(?=[^\u4e00-\u9fff]|的|先生|女士|$)")
# A given name stops before these; a place or group suffix in or after it means it was not one.
_STOP = frozenset("的在住反投来说要是电先女阿师老称向对从于被把将也都还就已又次多再直没不很太"
                  "更最只每各该此其这那们"
                  "，。,、；;：:！!？? \t\n0123456789")
# 皇甫家丽, 夏侯和: a given name may begin with these, but 张三家门口 ends before 家.
_STOP_LATER = frozenset("家和与")
_NOT_IN_NAME = frozenset("镇村路区街道港浜泾桥弄号巷湾苑宅塘浦居户们员部处局站委会"
                         "队厂店场所院校楼室栋")
_NOT_NAME_AFTER = _NOT_IN_NAME | frozenset("民园城庄湖山")
_BOUNDARY = frozenset("，。,、；;：:！!？?（）() \t\n\"“”'‘’【】[]天日午上晚早点时有据由经同位名")


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def surname_at(text: str, pos: int) -> int:
    """Length of the surname that starts at ``pos`` (0: none)."""
    if text[pos:pos + 2] in COMPOUND_SURNAMES:
        return 2
    return 1 if text[pos:pos + 1] in SURNAMES else 0


def _given_end(text: str, pos: int, most: int = 2) -> int:
    """End of the given name that starts at ``pos`` (== pos: none)."""
    end = pos
    while end < len(text) and end - pos < most and _is_cjk(text[end]) \
            and text[end] not in _STOP and not _verb_at(text, end) \
            and not (end > pos and _ends_before(text, end)):
        if text[end] in _NOT_IN_NAME:
            return pos
        end += 1
    if text[end:end + 1] in _NOT_NAME_AFTER and end > pos:
        return pos
    return end


def _ends_before(text: str, pos: int) -> bool:
    """张三家门口: the name ends before 家; 叶中家， and 闫飞家投诉: 家 is part of it."""
    if text[pos] not in _STOP_LATER:
        return False
    after = text[pos + 1:pos + 2]
    return bool(after) and _is_cjk(after) and not _verb_at(text, pos + 1)


def _verb_at(text: str, pos: int) -> bool:
    return any(text.startswith(word, pos) for word in _CUE_AFTER + _HONORIFICS)


def name_at(text: str, pos: int) -> Span | None:
    """A surname-and-given name starting at ``pos``; the span covers the given name only."""
    n = surname_at(text, pos)
    if not n or text[pos:pos + 2] in _WORDS:
        return None
    end = _given_end(text, pos + n)
    return ("name", pos + n, end) if end > pos + n else None


def _after_cues(text: str) -> list[Span]:
    found = []
    for m in _CUE_BEFORE.finditer(text):
        span = name_at(text, m.end())
        if span:
            found.append(span)
    for m in _FIELD.finditer(text):
        start, end = m.start(1), _given_end(text, m.start(1), 4)
        if end - start >= 2:
            found.append(("name", start + (surname_at(text, start) or 1), end))
    found += [("name", m.start(1), m.end(1)) for m in _SURNAME_ONLY.finditer(text)]
    return found


def _before_cues(text: str) -> list[Span]:
    found: list[Span] = []
    for word in _CUE_AFTER:
        for m in re.finditer(word, text):
            found += _name_ending_at(text, m.start())
    return found


def _name_ending_at(text: str, end: int) -> list[Span]:
    """张建国反映 / 欧阳明来电: a name of two to four characters just before ``end``."""
    for length in (3, 2, 4):
        start = end - length
        if start < 0 or (start > 0 and text[start - 1] not in _BOUNDARY):
            continue
        span = name_at(text, start)
        if span and span[2] == end:
            return [span]
    return []


def _honorifics(text: str) -> list[Span]:
    """王先生, 欧阳女士: the surname itself is masked."""
    found: list[Span] = []
    for word in _HONORIFICS:
        for m in re.finditer(word, text):
            for n in (2, 1):
                start = m.start() - n
                if start >= 0 and surname_at(text, start) == n and not (
                        n == 1 and text[start] in _AMBIGUOUS and start > 0
                        and text[start - 1] not in _BOUNDARY):
                    found.append(("name", start, m.start()))
                    break
    return found


def _nicknames(text: str) -> list[Span]:
    """老王, 小李: the surname after 老/小 when a word boundary or a reporting verb follows."""
    found: list[Span] = []
    for m in re.finditer(r"[老小]", text):
        pos = m.end()
        if text[pos:pos + 1] not in SURNAMES or text[pos] in _NEVER_NICKNAME:
            continue
        after = text[pos + 1:pos + 2]
        if text[pos] in _AMBIGUOUS and (after == "" or _is_cjk(after)):
            continue  # 老方，is a name; 小高层 is not
        if after == "" or not _is_cjk(after) or _verb_at(text, pos + 1) or after in "家的说在":
            found.append(("name", pos, pos + 1))
    return found


def find_names(text: str) -> list[Span]:
    """Spans of person names in ``text`` (overlapping ones are merged by the caller)."""
    return _after_cues(text) + _before_cues(text) + _honorifics(text) + _nicknames(text)
