"""Normalisation shared by every stage: the same-length matching key and the source line.

Matching runs on a same-length "key" copy of each line: full-width ASCII made half-width,
〔〕【】 made [], traditional characters made simplified. Slices of the key therefore map back
to the original one to one, so extracted text is always returned as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TRADITIONAL = (
    "牽牵頭头單单門门處处責责負负辦办協协參参與与聯联會会時时間间號号編编務务點点體体讀读"
    "關关於于發发給给們们現现將将開开動动計计劃划見见員员廳厅隊队組组區区縣县鎮镇級级項项"
    "內内實实進进類类規规範范報报應应領领導导總总備备註注說说歸归貳贰陸陆長长續续態态當当"
    "於于為为這这爲为題题構构層层屬属據据標标準准週周廣广傳传響响話话專专屆届黨党環环節节"
)
KEY_MAP = {0xFF01 + i: 0x21 + i for i in range(94)}  # full-width ASCII → ASCII
KEY_MAP.update({0x3000: " ", 0x00A0: " ", 0x3014: "[", 0x3015: "]", 0x3010: "[", 0x3011: "]",
                 0xFE5D: "[", 0xFE5E: "]",
                 # small-form punctuation ("1﹒全省生产总值…"): the ordinary marks
                 0xFE50: ",", 0xFE51: "、", 0xFE52: ".", 0xFE54: ";", 0xFE55: ":"})
KEY_MAP.update({ord(_TRADITIONAL[i]): _TRADITIONAL[i + 1] for i in range(0, len(_TRADITIONAL), 2)})
FINANCIAL = str.maketrans("壹贰叁参肆伍陆柒捌玖拾", "一二三三四五六七八九十")
_traditional_loaded = False


def _load_traditional() -> None:
    """Every traditional character → its simplified form, one for one, from OpenCC's character
    table (opencc-python-reimplemented ships it as data): the hand-made table above covers only
    the words the rules match, while a traditional plan's unit names and role words
    (按職責分工負責) use many more. Phrase conversion is not used: the key must keep its length."""
    global _traditional_loaded
    _traditional_loaded = True
    try:
        from importlib.resources import files

        table = files("opencc").joinpath("dictionary", "TSCharacters.txt").read_text(encoding="utf-8")
    except (ImportError, OSError):  # the hand-made table still covers the rules' own words
        return
    for row in table.splitlines():
        traditional, _, simplified = row.partition("\t")
        simplified = simplified.split(" ")[0]
        if len(traditional) == 1 and len(simplified) == 1 and traditional != simplified:
            KEY_MAP.setdefault(ord(traditional), simplified)


def match_key(text: str) -> str:
    """The same-length matching copy of `text` (see the module docstring)."""
    if not _traditional_loaded:
        _load_traditional()
    return text.translate(KEY_MAP)


@dataclass
class Line:
    no: int  # 1-based line number in the source text
    text: str  # stripped, as written
    key: str  # same length as text, for matching
    raw: str = ""  # stripped of spaces but not of tabs: a table row keeps its empty edge cells


# "? ?二、重点任务": question marks standing for characters a mis-encoded copy lost (the full-width
# spaces that indented the line), before the line's first word or bracket: indentation, not text.
_LOST_INDENT = re.compile(r"^[ \t\u3000\xa0]*(?:[?\ufffd][ \u3000\xa0]*)+(?=[\u4e00-\u9fff(（])")


# "…配合） <p style=\"margin: 0cm 0cm 0p</body> 附件下载": an HTML tag (whole or cut off) left in a
# page's text is markup, not words. A block tag ends the line, so what follows (the page's chrome)
# is a line of its own; an inline tag (<span>, <a>) is dropped. Only tag names of HTML, so
# "《关于印发<2020年工作要点>的通知》" stays text.
_TAG_END = r"(?=[\s>/]|$)[^<>\n]*>?"
_BLOCK_MARKUP = re.compile(r"[ \t\u3000]*</?(?:p|div|body|html|head|br|hr|table|tbody|thead|tr|td|th|ul|ol|li|h[1-6]"
                           r"|section|article|script|style|meta|link|o:p)" + _TAG_END)
_INLINE_MARKUP = re.compile(r"</?(?:span|font|a|img|strong|b|em|i|u|sup|sub)" + _TAG_END)


def drop_markup(text: str) -> str:
    if "<" not in text:
        return text
    return _INLINE_MARKUP.sub("", _BLOCK_MARKUP.sub("\n", text))


def split_lines(text: str) -> list[Line]:
    raw = re.split(r"\r\n|\r|\n|\u2028|\u2029|\x0c|\x0b|\x85", text)
    result = []
    for number, row in enumerate(raw, start=1):
        row = _LOST_INDENT.sub("", row)
        stripped = row.strip()
        if stripped:
            result.append(Line(number, stripped, match_key(stripped), row.strip(" \u3000\xa0")))
    return result



# --- text whose line breaks were collapsed into spaces ---------------------------------------
# Some crawls and copies keep a whole article on one line, the line breaks turned into spaces
# (or dropped). Such a line is unfolded: a space between two Chinese characters (or a digit) was
# a line break, and a heading written inline (…公开（一）做好… / …。2.做好…) starts a line.

FOLDED_LINE = 300  # a line this long with headings inside it is a folded article
# "到 2025 年，…": a number set off by spaces inside a sentence (a year, a count, a percentage
# with its measure word after it) breaks no line.
_MEASURE = "[年月日号%％万亿个家所项次余多元吨]"
_FOLD_SPACE = re.compile(rf"(?<=[^\x00-\x7f\d]) +(?=[^\x00-\x7f\s])|(?<=[^\x00-\x7f]) +(?=\d)(?!\d+(?:\.\d+)? +{_MEASURE})"
                         rf"|(?<=\d) +(?=[^\x00-\x7f])(?!{_MEASURE})"
                         r"|(?<=[)\]]) +(?=[^\x00-\x7f\s]|\d)"  # "…(A牵头,B配合) 2.…": a half-width note's end
                         # "…阳光透明 (一)加强…": a half-width item heading after a space
                         r"|(?<=[)\]\u0080-\uffff]) +(?=\([一二三四五六七八九十]{1,3}\)[^\x00-\x7f])"
                         # "…政法综治处）　四、…": a full-width space before a heading
                         r"|(?<=\S)\u3000+(?=[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[）)])")
_INLINE_HEADING = re.compile(
    r"(?<=[^\s一二三四五六七八九十第(（统唯逐之万周其初不])(?=[一二三四五六七八九十]{1,3}、)"  # not 统一、/不一、
    r"|(?<=\S)(?=[（(][一二三四五六七八九十]{1,3}[）)])"
    r"|(?:(?<=[。；;）)〉\u4e00-\u9fff])|(?<=[:：])(?<!附件[:：]))(?=\d{1,2}[.、．](?!\d) ?[\u4e00-\u9fff“《])"
    # "…顺利开展。联系人：张三联系电话：…": the plan's contact lines after its last sentence
    r"|(?<=[。；;])(?=联系人\s*:)")


# "工 作 任 务": a word typeset with a space between its characters (a table header) is one word,
# not four folded lines.
# "。联 系 人：": a spaced label right after a sentence is one word too.
_LETTER_SPACED = re.compile(r"(?<![\u4e00-\u9fff])[\u4e00-\u9fff](?: [\u4e00-\u9fff](?![\u4e00-\u9fff])){2,}")


def join_letter_spaced(row: str) -> str:
    return _LETTER_SPACED.sub(lambda m: m[0].replace(" ", ""), row)


_QUOTE_MAX = 60  # a longer "quotation" is an unclosed quote mark, not a quoted name


def _quoted(row: str) -> list[bool]:
    """Which characters of `row` are inside a quotation “…” (a programme's or a slogan's name)."""
    inside = [False] * len(row)
    for m in re.finditer(rf"“[^“”\n]{{1,{_QUOTE_MAX}}}”", row):
        inside[m.start() + 1:m.end() - 1] = [True] * (m.end() - m.start() - 2)
    return inside


def _running_numbers(key: str, cuts: list[int]) -> list[int]:
    """The inline cuts without the task numbers of a list inside a paragraph: between two
    section/item headings, "1." cuts whose numbers start again after a colon ("一是…：1.…；2.…
    二是…：1.…；2.…") enumerate points inside one paragraph, not tasks."""
    kept: list[int] = []
    span: list[tuple[int, int]] = []  # (cut, number) of the digit cuts since the last heading

    def close() -> None:
        numbers = [n for _, n in span]
        listed = span and _COLON_LIST.search(key, span[0][0] - 40 if span[0][0] > 40 else 0, span[-1][0])
        if not listed or all(a < b for a, b in zip(numbers, numbers[1:], strict=False)):
            kept.extend(c for c, _ in span)
        span.clear()

    headings = [m.start() + 1 for m in _HEADING_AFTER_BREAK.finditer(key)]
    for cut in sorted({*cuts, *headings}):
        if cut in headings and cut not in cuts:
            close()  # a heading on a line of its own already
        elif key[cut].isdigit():
            span.append((cut, int(re.match(r"\d+", key[cut:])[0])))
        else:
            close()
            kept.append(cut)
    close()
    return sorted(kept)


_ITEM_NUMBER = re.compile(r"[（(]([一二三四五六七八九十]{1,3})[）)]")


def _follows_its_item(key: str, cut: int) -> bool:
    """An inline "（十一）" is an item only after an item "（十）" ("…刑法修正案(十一)要求…" is not)."""
    from tracker.domain.deadlines import chinese_number, chinese_numeral

    m = _ITEM_NUMBER.match(key, cut)
    if not m or (number := chinese_number(m[1])) is None or number <= 1:
        return True
    previous = chinese_numeral(number - 1)
    return f"({previous})" in key[:cut] or f"（{previous}）" in key[:cut]


_COLON_LIST = re.compile(r":\s*1\s*[.、]")
_HEADING_AFTER_BREAK = re.compile(r"\n(?=[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[）)])")


def unfold(text: str) -> str:
    """Break folded lines (see above); other lines are returned unchanged. A space or a heading
    inside a quotation (“庆百年华诞 扬青年风采”, “…标准不一、运作不规范”) breaks nothing."""
    if not any(len(row) > FOLDED_LINE for row in text.splitlines()):
        return text
    rows = []
    for row in text.splitlines():
        if len(row) > FOLDED_LINE:
            row = join_letter_spaced(row)
        quoted = _quoted(row) if len(row) > FOLDED_LINE else []
        unfolded = _FOLD_SPACE.sub(lambda m, quoted=quoted: m[0] if quoted and quoted[m.start()] else "\n", row)
        key = match_key(unfolded)
        if "\t" in row:  # a table row (a recovered run-together table among them) stays whole
            rows.append(row)
            continue
        cuts = [m.start() for m in _INLINE_HEADING.finditer(key)] if len(row) > FOLDED_LINE else []
        if cuts:
            inside = _quoted(unfolded)
            cuts = _running_numbers(key, [c for c in cuts if not inside[c] and _follows_its_item(key, c)])
        # three breaks, or two headings of different levels ("…如下：一、…1.…": a section and
        # its first point; two （一）（二） of one level may be an enumeration inside a paragraph)
        levels = {"(" if key[c] in "(（" else "1" if key[c].isdigit() else "一" for c in cuts}
        if len(row) > FOLDED_LINE and (len(cuts) + key.count("\n") >= 3 or len(cuts) == 2 and len(levels) == 2):
            row = unfolded
            pieces, start = [], 0
            for cut in cuts:
                pieces.append(row[start:cut])
                start = cut
            pieces.append(row[start:])
            row = "\n".join(p for p in pieces)
        rows.append(row)
    return "\n".join(rows)
