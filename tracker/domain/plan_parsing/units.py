"""Units and deadlines written in a task's text: notes, labels and prose."""

from __future__ import annotations

import re

from tracker.domain.plan_parsing.text import match_key

# A unit label is a role word and the kind of body it names: 牵头单位 / 责任科室 / 配合股室 (a
# county bureau's 股), so any office's own word for its sub-units reads the same way.
_UNIT_KINDS = "(?:单位|部门|处室|科室|股室|机构)(?:\\((?:单位|部门|处室|科室)\\))?"  # 配合处室（单位）
_LEAD_LABELS = f"(?:牵头|主责|主办|牵头责任|主要责任){_UNIT_KINDS}|牵头"
_RESP_LABELS = (f"(?:责任|负责|承办|实施){_UNIT_KINDS}|责任主体|责任对象"  # 实施单位: lead unless a 牵头单位 is named
                "|(?:部门|责任|任务|职责)分工")  # "部门分工：A牵头，各地、各部门配合": the roles are in the value
_COOP_LABELS = f"(?:配合|协办|参与|协同|参加)(?:责任)?{_UNIT_KINDS}"  # 协同责任单位
_OTHER_LABELS = "完成时限|完成时间|时间要求|时限要求|完成期限|时间节点|活动时间|时限"
# Any other role a note names a unit for (数据提供单位, 督办单位, 支持部门): it takes part, so beside a
# 牵头/责任 label it cooperates; it starts a field (after the note's start or a separator).
_SIDE_LABELS = (rf"(?<![\u4e00-\u9fff])(?![\u4e00-\u9fff]{{0,3}}(?:牵头|主责|主办|主要|责任|负责|承办|实施|配合|协办|参与|协同|参加))"
                rf"[\u4e00-\u9fff]{{2,4}}?{_UNIT_KINDS}")
_LABEL_RE = re.compile(
    rf"(?:(?P<lead>{_LEAD_LABELS})|(?P<resp>{_RESP_LABELS})|(?P<coop>{_COOP_LABELS})"
    rf"|(?P<other>{_OTHER_LABELS})|(?P<side>{_SIDE_LABELS}))\s*:\s*"
)
# "牵头处室:财务处" as a unit cell: the cell's own caption; the table's column gives the role.
CELL_LABEL = re.compile(rf"\s*(?:{_LEAD_LABELS}|{_RESP_LABELS}|{_COOP_LABELS})\s*:\s*(?=\S)")
_NOTE_RE = re.compile(r"\(((?:[^()]|\([^()]{0,30}\)){1,200})\)")  # one level of nesting: (A(B)牵头)
# A labelled unit list ends at the sentence or note end; a short bracket naming a unit right
# after a name is part of the name ("智慧岛服务管理中心（区数字办）"), unlike a remark ("（统筹）").
_VALUE_STOP = re.compile(r"[。()]")
_NAME_BRACKET = re.compile(r"\(([^()\s][^()]{0,11})\)")
# "各县(市、区)政府": a bracket of levels of government inside a name.
_PLACE_LEVELS = re.compile(r"(?:特区|[市区县乡镇街道办州旗]){1,3}(?:、(?:特区|[市区县乡镇街道办州旗]){1,3}){0,3}")
# "各街办(新区)", "各街道(功能区)": a bracket naming the areas a unit also covers.
_AREA = re.compile(r"[\u4e00-\u9fff]{0,5}区")
# "湘西經(jīng)開區(qū)管委會": a mirror's pinyin reading after a character is part of the name.
_PINYIN = re.compile(r"[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,8}")


def _value_end(key: str, start: int, end: int) -> int:
    """Where a labelled unit list that starts at key[start] ends (see _VALUE_STOP)."""
    pos = start
    while (stop := _VALUE_STOP.search(key, pos, end)) is not None:
        bracket = _NAME_BRACKET.match(key, stop.start(), end) if key[stop.start()] == "(" else None
        if bracket and stop.start() > start and (_UNIT_END.fullmatch(bracket[1]) or _PLACE_LEVELS.fullmatch(bracket[1])
                                                 or _AREA.fullmatch(bracket[1]) or _PINYIN.fullmatch(bracket[1])):
            pos = bracket.end()
            continue
        return stop.start()
    return end


# "按职责分工", "按照职责分工", "按照职能", then "分别"/"共同": how units share a role, no unit.
_DUTY = r"(?:(?:按照?|根据)职[责能](?:分工)?|分工)?(?:分别|共同|具体)?"
_UNIT_WORDS = re.compile(rf"{_LEAD_LABELS}|{_RESP_LABELS}|{_COOP_LABELS}|负责|配合|参与|协办|协助"
                         r"|按照?职[责能](?:分工)?(?:分别)?落实")  # "（A、B按职责分工落实）", 按照职能分别落实
_NOTE_LEAD = re.compile(
    rf"由?(.+?){_DUTY}"
    r"(牵头组织实施|牵头负责|牵头落实|牵头办理|负责牵头|牵头|负责组织实施|负责落实|组织实施|负责|落实|主办|主责|办理)")
# Roles that lead only when no other unit of the note leads already ("A牵头，B负责组织实施").
_WORK_ROLES = ("负责", "负责落实", "落实", "组织实施", "负责组织实施", "办理")  # "A牵头,会同B办理"
# "宣传处会办公室", "市发改委会同市财政局": the first unit leads, the others work with it.
# "A牵头会B、C负责": 牵头 before 会 marks the lead itself (会 = 会同/会办).
_NOTE_JOINT = re.compile(r"(.+?)(?P<led>牵头)?(会同|会商|会)(?!议|计|展|上|后)(.+)")
# "A会同有关部门负责": with the two-character 会同/会商 the note may still end in its role word.
_JOINT_ROLE = re.compile(rf"{_DUTY}(?:牵头负责|负责落实|负责|落实|办理)$")
_NOTE_COOP = re.compile(rf"由?(.+?){_DUTY}(配合|参与|协办|协助|协同)")
_NOTE_BY_REFERENCE = re.compile(r"由?(.+?)参照(?:落实|执行|办理|实施)?")
# "区司法局牵头区级文件集中公开工作": a unit, its role, then the work it does (a unit cell written
# as sentences); the unit is the name before the role word.
_ROLE_SENTENCE = re.compile(rf"由?([^,;。:()、]{{2,25}}?){_DUTY}"
                            r"(牵头负责|牵头落实|牵头|负责落实|负责|落实|配合|参与|协助)(?=.)")
# not 负责人 / 负责同志 (the person in charge: "成员由A、B等部门负责同志组成")
_PROSE_LEAD = re.compile(r"由(?!于)([^,;。:()由]{1,40}?)(牵头负责|牵头|负责(?!人|同志)|主办)")
_PROSE_WITH = re.compile(r"(?:联合|会同|协同|协调)([^,;。:()]{1,60})")
_PROSE_COOP = re.compile(r"[,;]([^,;。:()]{1,40}?)(?:共同)?(配合|参与|协助)")
UNIT_SPLIT = re.compile(r"[、，,；;/／\n]")
# "…等" / "…等有关处室（单位）" / "…等相关区直部门": the rest of a list named by its kind, not a unit.
_UNIT_TAIL = re.compile(r"等(?:相关|有关|其他)?(?:[\u4e00-\u9fff]{0,12}?(?:单位|部门|处室|科室))?"  # 等公共企事业单位行业主管部门
                        r"(?:\((?:单位|部门|处室|科室)\))?$|(?:牵头|负责|配合)$")
_UNIT_END = re.compile(
    r".*(?:部门|单位|处室|办公室|中心|分局|委员会|政府|公司|集团|街道|主体|局|委|办|厅|处|室|科|所|院|站|队|部|署|会|组|镇|乡|司)"
)
_VERB_RE = re.compile(
    r"解读|开展|做好|推进|组织|共同|进行|制定|建立|完善|落实|加强|研究|编制|发布|公开|举办|召开|实施|围绕|针对|通过"
)
# Remarks that share a unit list but name no unit: "以下均需各县市区落实", "不再逐一列出".
_NOT_A_UNIT = re.compile(r"以下|不再|均需|逐一|列出|[^责]落实$|详见|同上|下同")
MARKED_LEAD = re.compile(r"\(\s*牵头\s*\)|牵头$")


_SQUARE_TO_ROUND = str.maketrans("[]〈〉", "()()")


def note_key(text: str) -> str:
    """The matching key with square brackets read as round ones: a note may be written
    〔A牵头，B配合〕 or 【牵头单位：A】 as well as （A牵头）, or closed with a look-alike 〉."""
    return match_key(text).translate(_SQUARE_TO_ROUND)


# "规章由A牵头、规范性文件由B牵头": what a unit is responsible for, written before 由.
_FOR_WHAT = re.compile(r"(?:[\u4e00-\u9fff]{0,8}(?<![自理缘经]))?由(?![于此])")


_PLACE_CHARS = "省市区县乡镇村"
# "公路局和公安部门", "安监局及保险公司": 和/及 between two whole unit names (each ending in a
# unit word) parts them; "住房和城乡建设局" (住房 is no unit) and "各有关部门和单位" (a bare kind
# word after it) stay whole.
_BARE_KIND = re.compile(r"(?:有关|相关|其他)?(?:单位|部门|处室|科室|机构)")


def _joins_two_units(before: str, after: str) -> bool:
    before = re.split(r"[、,;/\n]", before)[-1].strip()
    after = re.split(r"[、,;/\n和及(]", re.sub(r"\([^()]*\)", "", after))[0].strip()  # 各县(市、区)政府
    return (len(before) >= 3 and len(after) >= 3 and _UNIT_END.fullmatch(before) is not None
            and _UNIT_END.fullmatch(after) is not None and not _BARE_KIND.fullmatch(after)
            and not _VERB_RE.search(before + after))


# "各州、市人民政府", "各乡镇、街道", "各市〔州〕、县〔市、区〕政府": one 各 over two bare levels.
_LEVEL_GLOSS = r"(?:[(\[][^()\[\]]{1,8}[)\]])?"
_EACH_LEVEL = re.compile(rf"各(?:有关|相关)?(?:区|县|市|州|乡镇|镇|乡|街道){_LEVEL_GLOSS}")
_LEVEL_GOVERNMENT = re.compile(rf"(?:县级市|县|区|市|州|乡镇|镇|乡|街道){_LEVEL_GLOSS}(?:人民政府|政府)?")


def split_outside_brackets(text: str) -> list[str]:
    """Split a unit list at 、，；/ but not inside brackets: "各市、县(市、区)教育局" is one unit."""
    key = match_key(text)
    parts, start, depth = [], 0, 0
    for index, ch in enumerate(key):
        if ch in "([":  # 〔〕 too: "各县〔市、区、特区〕政府"
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif depth == 0 and (UNIT_SPLIT.match(ch) or (ch == "和" and key[index + 1: index + 2] == "各")
                             or (ch in "和及" and _joins_two_units(key[start:index], key[index + 1:]))):
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    # "各市、县(市、区)教育局": a bare place before a bracketed list belongs to the next name;
    # "区、县交通与建设局": a one-character place before a name is one name with it;
    # "各区、县级市(政府)": 各 (各有关) spans two bare levels of government, one unit.
    joined: list[str] = []
    for part in parts:
        place = joined[-1].strip() if joined else ""
        if ((0 < len(place) <= 3 and re.fullmatch(r"[\u4e00-\u9fff]+", place)
                and ("(" in match_key(part) or (len(place) == 1 and place in _PLACE_CHARS and part.strip()))
                and "(" not in match_key(place))
                or (_EACH_LEVEL.fullmatch(match_key(place)) and _LEVEL_GOVERNMENT.fullmatch(match_key(part.strip())))):
            joined[-1] = f"{joined[-1]}、{part}"
        else:
            joined.append(part)
    return joined


def _is_deadline(part: str) -> bool:
    """"全年" / "2025年6月底前" / "每季度" in a unit list is the note's deadline, not a unit."""
    from tracker.domain.deadlines import resolve_deadline_phrase

    key = match_key(part).strip()
    if len(key) > 14 or _UNIT_END.fullmatch(key):
        return False
    return resolve_deadline_phrase(key, 2000)[1] is not None


def split_units(text: str | None) -> list[str]:
    """"局办公室、规划处；宣传部门等" → ["局办公室", "规划处", "宣传部门"] (as written, 等 dropped)."""
    units: list[str] = []
    for part in split_outside_brackets(text or ""):
        part = part.strip(" \t\u3000\"'“”‘’。.")
        if part.startswith("以及"):  # "A、B,以及C、D办理"
            part = part[2:]
        if by := _FOR_WHAT.match(match_key(part)):
            part = part[by.end():]
        tail = _UNIT_TAIL.search(match_key(part))
        if tail and tail.start() > 0:
            part = part[: tail.start()].strip()
        if (part and part not in units and len(part) <= 40 and not _NOT_A_UNIT.search(match_key(part))
                and not _is_deadline(part)):
            units.append(part)
    return units


def _trim_to_unit(text: str) -> str:
    """"宣传部门解读重点政策" → "宣传部门": cut a unit name out of the clause that follows it."""
    key = match_key(text)
    verb = _VERB_RE.search(key, 1)
    if verb:
        text, key = text[: verb.start()], key[: verb.start()]
    m = _UNIT_END.match(key)
    return text[: m.end()] if m else ""


def merge_units(units: list[str], more: list[str]) -> None:
    units.extend(u for u in more if u not in units)


def _labelled_units(text: str, key: str, lead: list[str], coop: list[str]) -> bool:
    """牵头单位：A、B；责任单位：C；配合单位：D. Returns whether any unit label was found."""
    labels = list(_LABEL_RE.finditer(key))
    kinds = [m.lastgroup for m in labels]
    for index, m in enumerate(labels):
        if m.lastgroup == "other" or (m.lastgroup == "side" and not {"lead", "resp"} & set(kinds)):
            continue
        end = labels[index + 1].start() if index + 1 < len(labels) else len(key)
        if field := _FIELD_LABEL.search(key, m.end(), end):  # （负责部门：A；适用范围：…）
            end = field.start()
        value_end = _value_end(key, m.end(), end)
        # 责任单位 is the lead unless a 牵头单位 is named too.
        target = lead if m.lastgroup == "lead" or (m.lastgroup == "resp" and "lead" not in kinds) else coop
        value_key = key[m.end(): value_end]
        if _ROLE_VERB.search(value_key):  # 责任处室：A牵头，B负责落实 / 责任科室：A、B，C配合
            _note_units(text[m.end(): value_end], value_key, lead, coop, plain=target)
        else:
            merge_units(target, split_units(text[m.end(): value_end]))
    return any(kind not in ("other", "side") for kind in kinds)


# Any other field of a note after a unit list ("；适用范围：…", "，备注：…"): the list ends there.
_FIELD_LABEL = re.compile(r"[,;]\s*[\u4e00-\u9fff]{2,6}\s*:")


# A unit list before a role word in a note: long lists of 司局 / 处室 (a pasted page may also
# carry pinyin readings in brackets after some characters) are still one list.
_NOTE_LIST_MAX = 120


def _note_units(text: str, key: str, lead: list[str], coop: list[str],
                plain: list[str] | None = None) -> None:
    """Verb-form notes: "市发改委牵头，市财政局配合", "市发展改革委负责"; units listed before a
    role word without one of their own ("A，B、C负责落实") share that role."""
    pos = 0
    pending: list[str] = []
    led = False  # a unit of this note was marked as leading: unmarked units listed after it cooperate
    working: list[str] = []  # units this note gives a working role (负责/落实/组织实施), not 牵头
    # "A牵头、B配合": a role word ends its part of the list even before a 、
    for segment in re.split(r"([,;]|(?<=牵头)、(?=.{2,60}(?:配合|参与|协办|协助)$))", key):
        start, pos = pos, pos + len(segment)
        seg = segment.strip()
        if not seg or seg in ",;、":
            continue
        original = text[start:pos].strip()
        if (led or lead) and (with_m := re.fullmatch(r"(?:会同|协同)(.+?)(?:共同)?(?:办理|负责|落实|实施)?", seg)):
            # "A牵头,会同B办理": the units A works with
            merge_units(coop, pending + split_units(original[original.find(with_m[1]):][: len(with_m[1])]))
            pending = []
            continue
        joint = _NOTE_JOINT.fullmatch(seg)
        explicit = bool(joint) and (joint[3] != "会" or bool(joint["led"]))
        if (joint and _UNIT_END.fullmatch(joint[1]) and len(seg) <= 60 and (explicit or (
                "、" not in joint[1] and not _ROLE_END.search(joint[4]) and joint[1][-1] not in "委员工协学商联总"))):
            role = _JOINT_ROLE.search(joint[4]) if explicit else None
            merge_units(lead, split_units(original[joint.start(1): joint.end(1)]))
            merge_units(coop, split_units(original[joint.start(4): role.start() + joint.start(4) if role else joint.end(4)]))
            pending = []
            continue
        lead_m, coop_m = _NOTE_LEAD.fullmatch(seg), _NOTE_COOP.fullmatch(seg)
        if (by_reference := _NOTE_BY_REFERENCE.fullmatch(seg)) and len(by_reference[1]) <= _NOTE_LIST_MAX:
            # "A牵头,B配合;各镇(街)参照落实": units following the others' lead take part
            units = pending + split_units(original[by_reference.start(1): by_reference.end(1)])
            (coop if lead or coop else lead).extend(u for u in units if u not in lead and u not in coop)
            pending = []
        elif lead_m and len(lead_m[1]) <= _NOTE_LIST_MAX:
            units = pending + split_units(original[lead_m.start(1): lead_m.end(1)])
            # "A牵头，B负责(落实)": B are the units doing the work alongside the lead.
            new = [u for u in units if u not in lead and u not in coop]
            (coop if lead and lead_m[2] in _WORK_ROLES else lead).extend(new)
            if "牵头" in lead_m[2]:
                led = True
            else:
                working.extend(new)
            pending = []
        elif coop_m and len(coop_m[1]) <= _NOTE_LIST_MAX:
            merge_units(coop, pending + split_units(original[coop_m.start(1): coop_m.end(1)]))
            pending = []
        elif (sentence := _ROLE_SENTENCE.match(seg)) and _UNIT_END.fullmatch(sentence[1]):
            units = pending + split_units(original[sentence.start(1): sentence.end(1)])
            role = sentence[2]
            target = coop if role in ("配合", "参与", "协助") or (
                lead and role in ("负责", "负责落实", "落实")) else lead
            target.extend(u for u in units if u not in lead and u not in coop)
            pending = []
        elif plain is not None:
            # "责任单位：A牵头，B": B works beside the lead (a 责任单位 when a 牵头单位 is named)
            merge_units(coop if led else plain, split_units(original))
        elif len(seg) <= 40:
            pending.extend(split_units(original))
    if pending and (lead or coop) and all(_UNIT_END.fullmatch(re.sub(r"\([^()]*\)$", "", match_key(u).strip()))
                                          and not _VERB_RE.search(u) for u in pending):
        # "A、B按职能分工落实，各镇(街)": unit names after the last role word, with no role of their
        # own, lead beside the others unless the note marks who leads
        merge_units(coop if led else lead, [u for u in pending if u not in lead and u not in coop])
    if led:
        # "各级人民政府负责，A牵头，B配合": where the note marks who leads, a unit it only gives
        # the work to (负责/落实/组织实施), even when listed first, works beside the lead.
        moved = [u for u in working if u in lead]
        lead[:] = [u for u in lead if u not in moved]
        merge_units(coop, moved)


_ROLE_VERB = re.compile(r"牵头|配合|负责|落实|协办|参与|协助|办理")
_ROLE_END = re.compile(r"(?:牵头|负责|落实|配合|参与|协办|协助|办理)$")
_ROLE_MARK = re.compile(r"牵头|配合|负责|落实|协办|参与|协助|协同|会同|主办|主责|办理|[^员]会[^议计展上后]")


# "市有关单位（见附件1，下同）": a bracket pointing elsewhere names no unit and is no part of a name.
_POINTER_GLOSS = re.compile(r"[(（][^()（）]{0,30}?(?:见附件|下同|详见|同上)[^()（）]{0,30}[)）]")


# "市司法局牵 头": a PDF's text layer may break a role word with a space; moving the space in
# front of the word (same length, so slices still match) lets the word read as a role.
_BROKEN_ROLE = re.compile(r"(牵|配|负|落|协)(\s+)(头|合|责|实|办|助)")


def close_broken_role_words(text: str) -> str:
    def close(m: re.Match[str]) -> str:
        word = m[1] + m[3]
        return m[2] + word if word in ("牵头", "配合", "负责", "落实", "协办", "协助") else m[0]
    return _BROKEN_ROLE.sub(close, text or "")


def mask_pointer_glosses(text: str) -> str:
    """The text with its pointer glosses blanked out (same length, so slices still match)."""
    return _POINTER_GLOSS.sub(lambda m: " " * len(m[0]), text or "")


def role_units(text: str) -> tuple[list[str], list[str]] | None:
    """A unit cell that marks roles itself ("办公室牵头,各科室配合", "宣传处会办公室",
    "A、B等按职责分工落实") → (lead, cooperating); None when it marks no role."""
    text = close_broken_role_words(mask_pointer_glosses(text))
    if match_key(text or "").rstrip().endswith("。"):  # "区财政局牵头办理。": the cell's closing stop
        text = (text or "").rstrip()[:-1]
    key = match_key(text or "")
    if not _ROLE_MARK.search(key + " "):
        return None
    lead: list[str] = []
    coop: list[str] = []
    _note_units(text, key, lead, coop)
    if not lead and not coop:
        return None
    return lead, [u for u in coop if u not in lead]


# A stated rule that the first unit of each note leads: "列第一位者为牵头单位，下同",
# "排在第一位的部门为牵头部门", "排名第一的为牵头单位" (in a note or in the document's own words),
# "主要责任单位第一个为牵头单位" (a task table's note on its unit column).
FIRST_LISTED_LEADS = re.compile(
    r"(?:列|排|排在|排名|位列|名列)?(?:第一位|第一个|第一家|第一|首位)(?:者|的)?(?:单位|部门)?(?:为|是)"
    r"(?:牵头|主办|主责)(?:或[\u4e00-\u9fff]{2})?(?:单位|部门)?")  # 为牵头或汇总单位
_FIRST_LISTED_CLAUSE = re.compile(
    rf"[。.,;]?\s*(?:其中[,:]?)?(?:除(?:标注|注明|标明|注有)?“[^”]{{1,10}}”(?:的|者)?外[,;]?)?"
    rf"(?:{FIRST_LISTED_LEADS.pattern})(?:[,;]?\s*下同)?")  # 除标注“分别牵头”外，列第一位为牵头单位


# A note's own rule that its units before the comma lead and those after it cooperate:
# "（责任单位：A、B，C、D。逗号前为牵头单位，多个牵头单位的按职责分别牵头，下同）".
BEFORE_COMMA_LEADS = re.compile(r"逗号(?:之)?前(?:的|者)?(?:单位|部门)?(?:为|是)牵头(?:单位|部门)")


def mask_first_listed_rule(text: str) -> str:
    """The text with a stated first-listed-leads rule blanked out (same length), so the rule's
    words (牵头单位) are not read as a unit label or a unit."""
    key = note_key(text)
    for m in reversed(list(_FIRST_LISTED_CLAUSE.finditer(key))):
        text = text[: m.start()] + " " * (m.end() - m.start()) + text[m.end():]
    return text


# "（即村民民主提事、…和新村民民主参与）" / "（包括…）": a bracket that explains a term of the sentence,
# however its words end, names no unit.
_GLOSS = re.compile(r"\s*(?:即|包括|含|如|指|简称|以下简称|下称)(?![\u4e00-\u9fff]{0,3}(?:牵头|负责|配合))")


# "…作用。此项工作由A(A')负责,B、C配合。": a closing sentence that only says who does the work
# plays the part of a unit note (left out of the task's text, its units read as a note's).
UNIT_SENTENCE = re.compile(
    r"(?:(?<=[。;])|^)\s*(?:此项|该项|本项|这项|上述|以上)(?:工作|任务)由"
    r"((?:[^。()]|\([^()]{0,30}\)){2,200}?(?:牵头负责|负责落实|负责|牵头)"
    r"(?:[,;](?:[^。()]|\([^()]{0,30}\)){2,300}?(?:配合|参与|协助|协办))?)[。;]?\s*$")


def extract_units(text: str) -> tuple[list[str], list[str]]:
    """(lead_units, cooperating_units) written in a task's text; only what is written.

    Reads bracketed notes （牵头单位：A；配合单位：B） / （A牵头，B配合） / （A负责）, the same
    labels outside brackets, and prose "由A牵头，联合B、C解读…" / "由A负责，B配合".
    """
    text = close_broken_role_words(mask_pointer_glosses(mask_first_listed_rule(text)))
    key = note_key(text)
    lead: list[str] = []
    coop: list[str] = []
    if sentence := UNIT_SENTENCE.search(key):
        _note_units(text[sentence.start(1): sentence.end(1)], sentence[1], lead, coop)
        text, key = text[: sentence.start()], key[: sentence.start()]
    for note in _NOTE_RE.finditer(key):
        content, content_key = text[note.start(1): note.end(1)], note[1]
        if not _UNIT_WORDS.search(content_key) or _GLOSS.match(content_key):
            continue
        if not _labelled_units(content, content_key, lead, coop):
            _note_units(content, content_key, lead, coop)
    # Outside notes: mask the notes (same length) so their words are not read twice; a bracket
    # naming no unit stays (配合处室（单位）：A is a label with its kind given twice).
    masked = _NOTE_RE.sub(lambda m: "(" + " " * (len(m[0]) - 2) + ")" if _UNIT_WORDS.search(m[1]) else m[0], key)
    _labelled_units(text, masked, lead, coop)
    noted = bool(lead or coop)  # a bracketed note names the task's units: the prose only describes
    for m in (() if noted else _PROSE_LEAD.finditer(masked)):
        named = split_units(text[m.start(1): m.end(1)])
        if not any(_UNIT_END.fullmatch(match_key(u)) for u in named):
            continue  # "由校长全盘负责": a person and how they answer for it, not a unit
        merge_units(lead, named)
        sentence_end = masked.find("。", m.end())
        sentence_end = len(masked) if sentence_end < 0 else sentence_end
        with_m = _PROSE_WITH.search(masked, m.end(), sentence_end)
        if with_m:
            parts = split_units(text[with_m.start(1): with_m.end(1)])
            if parts:
                parts[-1] = _trim_to_unit(parts[-1])
            merge_units(coop, [p for p in parts if p])
        coop_m = _PROSE_COOP.match(masked, m.end(), sentence_end)
        if coop_m:
            merge_units(coop, split_units(text[coop_m.start(1): coop_m.end(1)]))
    if not lead and not coop:
        _role_clauses(text, masked, lead, coop)
    if not lead and not coop:
        # "…把好检疫关。（区经济发展局农业处）": a trailing note naming only units, no role: they lead
        for note in split_note(text)[1]:
            merge_units(lead, bare_units(note))
    return lead, [u for u in coop if u not in lead]


_ROLE_CLAUSE = re.compile(rf"(.{{2,60}}?){_DUTY}(?:牵头负责|牵头|负责落实|负责|配合|落实|参与)")


def _role_clauses(text: str, masked: str, lead: list[str], coop: list[str]) -> None:
    """Clauses of the prose that are nothing but units and their role, without brackets:
    "…工作。县政府办负责，县直各单位按职责分工落实。" → lead 县政府办, cooperating 县直各单位."""
    from tracker.domain.plan_parsing.tables import looks_like_units

    spans = [(m.start(), m.end()) for m in re.finditer(r"[^,;。]+", masked)]
    runs: list[list[tuple[int, int]]] = []
    previous_end = -2
    for start, end in spans:
        clause = masked[start:end].strip()
        m = _ROLE_CLAUSE.fullmatch(clause)
        if not (m and looks_like_units(m[1])):
            continue
        if runs and masked[previous_end:start].strip() in (",", ";"):
            runs[-1].append((start, end))
        else:
            runs.append([(start, end)])
        previous_end = end
    for run in runs:
        start, end = run[0][0], run[-1][1]
        _note_units(text[start:end], masked[start:end], lead, coop)




# --- notes: the unit/deadline remarks after a task ---------------------------------------------

_DEADLINE_LABEL = re.compile(rf"(?:{_OTHER_LABELS})\s*:")
_TRAILING_PUNCT = re.compile(r"[\s。;,，；.]*")
# A labelled remark after the task's sentence: "…工作。牵头单位：X；完成时限：Y"
# A unit label may also follow the task's last word with no separator ("…习近平法治思想责任单位：A");
# a deadline word needs one ("办理时限：20个工作日" is part of a task).
_TRAILING_LABEL = re.compile(
    rf"(?:(?:^|(?<=[。;.]))\s*(?:{_LEAD_LABELS}|{_RESP_LABELS}|{_COOP_LABELS}|{_OTHER_LABELS})"
    rf"|(?<=[^\x00-\x7f])(?:{_LEAD_LABELS}|{_RESP_LABELS}|{_COOP_LABELS}))\s*:")


# A bare note is nothing but unit names: no number, quotation, title mark, label or sentence.
_NOT_BARE = re.compile(r"[\d“”\"《》<>:。]|简称|以下|包括|含|如")
_BARE_NOTE_MAX = 80


def bare_units(content: str) -> list[str]:
    """The units of a bare note that names only units, "（区经济发展局农业处）" /
    "（区社会事业局、区市场监管局）", with no label or role word; [] for any other remark
    ("（试行）", "（场）", "（省、市、县）")."""
    key = note_key(content).strip()
    if key.endswith("。"):  # "（区金融办、区财政局。）": the list closed by its stop inside the bracket
        content, key = content.strip()[:-1], key[:-1]
    if not key or len(key) > _BARE_NOTE_MAX or _NOT_BARE.search(key):
        return []
    parts = [match_key(p).strip() for p in split_outside_brackets(content)]
    if not parts or any(len(p) < 3 or not _UNIT_END.fullmatch(p) or _VERB_RE.search(p) for p in parts):
        return []
    return split_units(content)


def is_note(content_key: str) -> bool:
    """Whether a bracketed remark names units or a deadline (not an aside such as （试行））."""
    from tracker.domain.deadlines import resolve_deadline_phrase

    if _UNIT_WORDS.search(content_key) or _DEADLINE_LABEL.search(content_key) or bare_units(content_key):
        return True
    if len(content_key) <= 25:
        written, resolved = resolve_deadline_phrase(content_key, 2000)
        return resolved is not None and len(written or "") >= len(content_key.strip()) - 3
    return False


def split_note(text: str) -> tuple[str, list[str]]:
    """A task paragraph → (its text without trailing notes, the notes' contents).

    "做好X。（牵头单位：A；完成时限：6月底前）" → ("做好X。", ["牵头单位：A；完成时限：6月底前"]).
    """
    key = note_key(text)
    end = len(key.rstrip())
    notes: list[str] = []
    while True:
        tail = end
        while tail > 0 and key[tail - 1] in " 。;,，；.":
            tail -= 1
        if tail == 0 or key[tail - 1] != ")":
            break
        depth, start = 0, tail - 1
        while start >= 0:
            depth += {")": 1, "(": -1}.get(key[start], 0)
            if depth == 0:
                break
            start -= 1
        if start <= 0 or not is_note(key[start + 1: tail - 1]):
            break
        notes.insert(0, text[start + 1: tail - 1].strip())
        end = start
    body_end = end
    if sentence := UNIT_SENTENCE.search(key, 0, body_end):
        notes.insert(0, text[sentence.start(1): sentence.end(1)])
        return text[: sentence.start()].rstrip(), notes
    label = _TRAILING_LABEL.search(key, 0, body_end)
    if label:
        start = label.start()
        opened = key.rfind("(", 0, start)
        if opened > key.rfind(")", 0, start) and is_note(key[opened + 1:start] or key[start:body_end]):
            # "…发布。(牵头科室:A。完成时限:长期坚持)3切实…": a note whose bracket closes
            # before text run on after it starts at its bracket
            start = opened
        notes.insert(0, text[start: body_end].strip(" ；;。()（）"))
        body_end = start
    return text[:body_end].rstrip(), notes


def split_clauses(text: str) -> list[str]:
    """A paragraph whose clauses each end with their own unit note → one text per clause
    (up to and including its note); a paragraph with at most one such note stays whole."""
    key = note_key(text)
    cuts = []
    for note in _NOTE_RE.finditer(key):
        if not (_UNIT_WORDS.search(note[1]) or _DEADLINE_LABEL.search(note[1]) or (
                # a bare note closes a clause at its stop ("…名录。（区金融办、区财政局。）"), unlike
                # a bracket inside a name ("区办公室（政策法规处）、区口岸办")
                bare_units(note[1]) and (key[note.start() - 1: note.start()] in ("。", ";")
                                         or key[note.end(): note.end() + 1] in ("。", ";")))):
            continue
        end = _TRAILING_PUNCT.match(key, note.end()).end()
        if end < len(key.rstrip()) and len(key[cuts[-1] if cuts else 0: note.start()].strip()) >= 4:
            cuts.append(end)
    if not cuts:
        return [text]
    bounds = [0, *cuts, len(text)]
    return [text[a:b].strip() for a, b in zip(bounds, bounds[1:], strict=False) if text[a:b].strip()]


def note_deadline(notes: list[str], year: int | None) -> tuple[str | None, str | None]:
    """The deadline stated in a task's notes (the last one wins), or (None, None)."""
    from tracker.domain.deadlines import resolve_deadline

    found: tuple[str | None, str | None] = (None, None)
    for note in notes:
        written, resolved = resolve_deadline(f"（{note}）", year)
        if written:
            found = (written, resolved)
    return found
