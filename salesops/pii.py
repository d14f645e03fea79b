"""Personal data in free text: find it, mask it, and refuse to publish it (SPEC §5 "Chat signals").

Phone numbers, e-mail addresses, WeChat IDs, ID-card and bank-card numbers are replaced by a
typed placeholder — ``[手机号]``, ``[座机]``, ``[邮箱]``, ``[微信号]``, ``[身份证]``,
``[银行卡]`` — and nothing of the value is kept (not even its last 4 digits: together with a
name they still identify a person, and no metric needs them). The words around it stay, so
``对公转账卡号 6222…`` still reads as a bank-transfer remark.

Detectors, each with its false-positive guard:

- **mobile** ``[手机号]``: 1[3-9] + 9 digits, optionally after +86 / 0086 / 86 (with or without
  parentheses), digits grouped by spaces or dashes (3-4-4 groups may also use dots). It must
  stand alone: not followed by a letter or digit (an 18-digit number, or a hash or token
  that merely starts with 11 digits like ``13812345678a9f0…``, is not a phone), nor preceded
  by one (order codes like ``SO13812345678``) unless that is the word ``tel``/``vx``/``wx``
  itself (``vx13812345678``, not ``ABVX13812345678``). Amounts with thousands commas
  (``13,812,345,678``) and decimals are not phones.
- **landline** ``[座机]``: a real area-code shape (010, 02x, 0[3-9]xx; or +86 without the 0),
  separated from a 7–8-digit local number by a dash/space or written in parentheses, with an
  optional extension (转 / ext / # / -). Without a separator only after 电话/座机/固话/tel.
  Not glued to more letters or digits (a UUID's ``-0755-1234-5678-…`` groups are not a
  phone). Dates (2026-10-31) and timestamps never have the area-code shape.
- **email** ``[邮箱]``: ``local@domain.tld`` (also the full-width ``＠``); the obfuscations
  ``(at)`` / ``[at]`` / ``【at】`` / ``艾特`` with any domain, and ``#`` only with a known mail
  provider (``abc#qq.com``). A bare `` at `` is not taken (``look at baidu.com`` is a URL).
- **wechat** ``[微信号]``: ``wxid_…`` anywhere; otherwise only after 微信/微信号/vx/wx/WeChat/
  v信/威信/薇信 (with 是 / : / = between): a letter then 5–19 letters, digits, ``_`` or ``-``.
  An all-letter word is taken only after an explicit ``:``/``=``/是/为 (``WeChat group`` is
  not an ID). A latin keyword (vx/wx/wechat/weixin) must be a word of its own: not glued to
  a letter or digit before it, and followed by a separator (space, ``:``, ``=``, 是, 为, 号),
  so the first letters of a record code (``VX3K9QZT``, ``wxA81K2Q``) are no keyword. A phone
  number given as the WeChat ID is masked as a phone.
- **id_card** ``[身份证]``: 18 characters — 6-digit region (first digit 1–9), a real birth date
  1800–2099, 3 digits, and the ISO 7064 MOD 11-2 check character — so order numbers and
  random 18-digit strings (10 in 11 fail the check) stay. After 身份证/证件号, any 18-character
  (17 digits + digit/X) or 15-digit number is masked: a mistyped ID is still an ID.
- **bank_card** ``[银行卡]``: 16–19 digits (ungrouped, or in groups of 4 split by spaces or
  dashes) starting with 3–6 (card-issuer ranges), Luhn-valid, not followed by a letter. After
  卡号/银行卡/账号/账户/card, any 12–25-digit number (corporate accounts are not Luhn numbers).

Identifier columns are not free text: :func:`scan_database` skips them altogether (the
contract's key columns, every ``*_id`` column, and the columns a caller declares not personal).

QQ numbers (5–11 digits) are not masked: without a QQ keyword they cannot be told from
counts and amounts, and the SPEC does not list them.

Matching runs on a copy of the text where full-width digits, letters and separators
(``０-９``, ``＋－．（）＠：＿``, the ideographic space) are mapped one-to-one to ASCII, so every
detector is written once and offsets map back onto the original text.

Speed: :data:`PREFILTER` (one RE2/Python-compatible expression) selects texts that could
hold anything — at least :data:`MIN_DIGITS` digits, an ``@``, an at-obfuscation, a WeChat
keyword. :func:`mask_arrow` runs it vectorised (pyarrow compute, RE2) and calls the Python
detectors only on the hits; :func:`scan_database` runs the same expression in DuckDB SQL
before Python. Both take the one definition below.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from salesops import contract

PLACEHOLDERS: dict[str, str] = {
    "mobile": "[手机号]",
    "landline": "[座机]",
    "email": "[邮箱]",
    "wechat": "[微信号]",
    "id_card": "[身份证]",
    "bank_card": "[银行卡]",
}
KINDS: tuple[str, ...] = tuple(PLACEHOLDERS)
DESCRIPTIONS: dict[str, str] = {
    "mobile": "a mobile number",
    "landline": "a landline number",
    "email": "an e-mail address",
    "wechat": "a WeChat ID",
    "id_card": "an ID-card number",
    "bank_card": "a bank-card number",
}
"""Each kind in words, for messages (``… holds a mobile number in 3 rows``)."""

MIN_DIGITS = 10
"""The fewest digits any digit-based detector needs (a landline: 3-digit area code + 7)."""

WECHAT_KEYWORDS: tuple[str, ...] = ("微信", "weixin", "wechat", "vx", "wx", "v信", "威信", "薇信")
MAIL_PROVIDERS: tuple[str, ...] = (
    "qq.com",
    "foxmail.com",
    "163.com",
    "126.com",
    "yeah.net",
    "sina.com",
    "sina.cn",
    "sohu.com",
    "139.com",
    "aliyun.com",
    "gmail.com",
    "outlook.com",
    "hotmail.com",
)
_AT_OBFUSCATIONS = r"[(\[{<（【]\s*at\s*[)\]}>）】]|艾特"

PREFILTER = (
    rf"(?:[0-9０-９][^0-9０-９]*){{{MIN_DIGITS}}}|[@＠]|(?i:{_AT_OBFUSCATIONS})|"
    rf"(?i:{'|'.join(WECHAT_KEYWORDS)})|#(?i:{'|'.join(re.escape(p) for p in MAIL_PROVIDERS)})"
)
"""A text with no match holds no PII. Valid in Python ``re`` and RE2 (DuckDB, pyarrow)."""

# One-to-one (same length) mapping of full-width forms to ASCII, so offsets stay valid:
# ！..～ → !..~ (digits, letters, ＠＋－．（）：＿), the ideographic space, dashes, 【】.
_FULLWIDTH = {0xFF01 + i: 0x21 + i for i in range(0x5E)}
_FULLWIDTH.update({0x3000: 0x20, 0x2010: 0x2D, 0x2011: 0x2D, 0x2013: 0x2D, 0x2014: 0x2D})
_FULLWIDTH.update({0x3010: ord("["), 0x3011: ord("]")})  # 【 】


def normalise(text: str) -> str:
    """Full-width digits, letters and separators as ASCII; same length as ``text``."""
    return text.translate(_FULLWIDTH)


# ---------------------------------------------------------------- detectors


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.ASCII)


_SP = r"[ \t]"
_GAP = rf"(?:{_SP}{{1,2}}|{_SP}?-{_SP}?)"  # between any two digits: spaces, or one dash
_GROUP_SEP = rf"(?:{_SP}{{0,2}}[-.·]{_SP}{{0,2}}|{_SP}{{1,2}})"  # between 3-4-4 groups: also dots
_BEFORE_NUMBER = r"(?<![0-9A-Za-z_])"
_AFTER_NUMBER = r"(?![0-9])"
_STANDS_ALONE = r"(?![0-9A-Za-z])"  # not the start of a longer token (a hash, a record code)
_COUNTRY = rf"(?:\(?(?:\+|00)?{_SP}?86\)?{_SP}{{0,2}}-?{_SP}{{0,2}})"
_MOBILE_BODY = (
    rf"(?:1[3-9]\d{_GROUP_SEP}\d{{4}}{_GROUP_SEP}\d{{4}}"  # 138.1234.5678, 138 - 1234 - 5678
    rf"|1{_GAP}?[3-9](?:{_GAP}?\d){{9}})"  # 13812345678, 1 3 8 1 2 …, 1381234-5678
)
_MOBILE = _re(
    r"(?=[(+018])"  # cheap first-character test before the look-behinds
    rf"(?:(?<=tel)|(?<=TEL)|(?<=Tel)|(?<=vx)|(?<=VX)|(?<=wx)|(?<=WX)|{_BEFORE_NUMBER})"
    rf"(?:{_COUNTRY}\(?{_MOBILE_BODY}\)?|\({_MOBILE_BODY}\)|{_MOBILE_BODY}){_STANDS_ALONE}"
)
_AREA = r"(?:10|2\d|[3-9]\d{2})"
_LOCAL = r"\d{3,4}[ -]?\d{4}"
_EXTENSION = r"[ ]?(?:转|ext\.?|x|#|-)[ ]?\d{1,6}(?![0-9A-Za-z])"
# After the local number: an extension, or nothing glued on (``-`` + more letters or digits
# is the rest of a UUID or code, not a phone).
_LANDLINE_END = rf"{_AFTER_NUMBER}(?:{_EXTENSION}|(?![A-Za-z]|-[0-9A-Za-z]))"
_LANDLINE = _re(
    rf"{_BEFORE_NUMBER}(?:"
    rf"(?:\+|00)86[ -]?\(?{_AREA}\)?[ -]?"  # +86 21 1234 5678, 0086-755-…
    rf"|\(0?{_AREA}\)[ -]?"  # (021)1234 5678, （0755）…
    rf"|0{_AREA}(?:[ ]{{1,2}}|[ ]?-[ ]?)"  # 021-12345678, 0755 1234567
    rf"){_LOCAL}{_LANDLINE_END}"
)
_LANDLINE_AFTER_KEYWORD = _re(
    rf"(?i:电话|座机|固话|tel)[ :=是为]{{0,3}}(0{_AREA}\d{{7,8}}){_LANDLINE_END}"
)
_EMAIL_LOCAL = r"[A-Za-z0-9][A-Za-z0-9._%+-]*"
_DOMAIN = r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,10}(?![A-Za-z0-9])"
_EMAIL = _re(
    rf"(?<![A-Za-z0-9._%+-]){_EMAIL_LOCAL}(?:\s*@\s*|\s*(?i:{_AT_OBFUSCATIONS})\s*){_DOMAIN}"
    rf"|(?<![A-Za-z0-9._%+-]){_EMAIL_LOCAL}#(?i:{'|'.join(re.escape(p) for p in MAIL_PROVIDERS)})(?![A-Za-z0-9.])"
)
_WECHAT_ID = r"[A-Za-z][A-Za-z0-9_-]{5,19}(?![A-Za-z0-9_-])"
_WXID = _re(r"(?<![A-Za-z0-9])wxid_[A-Za-z0-9_-]{4,30}(?![A-Za-z0-9_-])")
_LATIN_WECHAT_KEYWORDS = tuple(k for k in WECHAT_KEYWORDS if k.isascii())
_WECHAT_AFTER_KEYWORD = _re(
    rf"(?<![A-Za-z0-9])(?P<keyword>(?i:{'|'.join(WECHAT_KEYWORDS)}))(?P<suffix>(?:[ ]?(?i:号码|号|id))?)"
    rf"(?P<filler>[ :=是为]{{0,4}})(?P<id>{_WECHAT_ID})"
)
_ID18 = r"[1-9]\d{5}[ ]?(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[ ]?\d{3}[0-9Xx]"
_ID_CARD = _re(rf"{_BEFORE_NUMBER}{_ID18}(?![0-9A-Za-z])")
_ID_AFTER_KEYWORD = _re(
    r"(?:身份证|证件|(?i:id card|id no\.?))(?:号码|号|码)?[ :=是为]{0,4}"
    r"(\d{6}[ ]?\d{8}[ ]?\d{3}[0-9Xx]|\d{15})(?![0-9A-Za-z])"
)
_BANK = _re(rf"{_BEFORE_NUMBER}[3-6]\d{{3}}(?:[ -]?\d{{4}}){{3}}(?:[ -]?\d{{1,3}})?{_STANDS_ALONE}")
_BANK_AFTER_KEYWORD = _re(
    r"(?:银行卡|卡号|账号|帐号|账户|帐户|(?i:card|account)(?: no\.?)?)[ :=是为]{0,4}"
    r"(\d(?:[ -]?\d){11,24})(?![0-9A-Za-z])"
)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_ok(number: str) -> bool:
    """An 18-character mainland ID: real birth date and ISO 7064 MOD 11-2 check character."""
    n = number.replace(" ", "").upper()
    if len(n) != 18 or not n[:17].isdigit():
        return False
    try:
        dt.date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        return False
    return (
        _ID_CHECK[sum(int(c) * w for c, w in zip(n[:17], _ID_WEIGHTS, strict=True)) % 11] == n[17]
    )


def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _wechat_ok(m: re.Match) -> bool:
    value = m["id"]
    if m["keyword"].lower() in _LATIN_WECHAT_KEYWORDS and not (
        m["filler"] or m["suffix"].lstrip().startswith("号")
    ):
        return False  # ``VX3K9QZT``, ``wxA81K2Q``: the first letters of a code, not a keyword
    return bool(re.search(r"[0-9_-]", value)) or bool(re.search(r"[:=是为]", m["filler"]))


_PHONE_PREFIX_WORDS = frozenset({"tel", "vx", "wx"})
_WORD_BEFORE = _re(r"[A-Za-z0-9_]*$")


def _mobile_ok(m: re.Match) -> bool:
    """Glued on the left only to the word tel/vx/wx itself (``vx138…``, not ``ABVX138…``)."""
    before = _WORD_BEFORE.search(m.string, max(0, m.start() - 8), m.start())[0]
    return not before or before.lower() in _PHONE_PREFIX_WORDS


# (kind, pattern, group holding the value, validator, gate); earlier detectors claim first,
# so the phone inside 13812345678@163.com is part of the e-mail and an ID is not read as a
# bank card. A detector runs only when its gate (computed once per text) is open.
_DETECTORS: tuple[tuple[str, re.Pattern[str], int | str, object, str], ...] = (
    ("email", _EMAIL, 0, None, "at"),
    ("wechat", _WXID, 0, None, "wechat"),
    ("id_card", _ID_AFTER_KEYWORD, 1, None, "digits"),
    ("id_card", _ID_CARD, 0, lambda m: id_check_ok(m[0]), "digits"),
    ("bank_card", _BANK_AFTER_KEYWORD, 1, None, "digits"),
    ("bank_card", _BANK, 0, lambda m: luhn_ok(m[0]), "digits"),
    ("landline", _LANDLINE_AFTER_KEYWORD, 1, None, "digits"),
    ("landline", _LANDLINE, 0, None, "digits"),
    ("mobile", _MOBILE, 0, _mobile_ok, "digits"),
    ("wechat", _WECHAT_AFTER_KEYWORD, "id", _wechat_ok, "wechat"),
)
_DIGITS = _re(rf"(?:[0-9][^0-9]*){{{MIN_DIGITS}}}")


def _gates(norm: str) -> dict[str, bool]:
    low = norm.lower()
    return {
        "digits": _DIGITS.search(norm) is not None,
        "at": "@" in norm or "#" in norm or "艾特" in norm or "at" in low,
        "wechat": any(k in low for k in WECHAT_KEYWORDS),
    }


_PREFILTER_RE = _re(PREFILTER)


@dataclass(frozen=True)
class Match:
    kind: str
    start: int
    end: int
    value: str


def may_contain_pii(text: str) -> bool:
    return bool(text) and _PREFILTER_RE.search(text) is not None


def find_pii(text: str | None) -> list[Match]:
    """Every PII value in ``text``, left to right, non-overlapping."""
    if not text or not _PREFILTER_RE.search(text):
        return []
    norm = normalise(text)
    gates = _gates(norm)
    claimed: list[Match] = []
    for kind, pattern, group, valid, gate in _DETECTORS:
        if not gates[gate]:
            continue
        for m in pattern.finditer(norm):
            start, end = m.span(group)
            if start < 0 or (valid is not None and not valid(m)):
                continue
            if any(start < c.end and c.start < end for c in claimed):
                continue
            claimed.append(Match(kind, start, end, text[start:end]))
    return sorted(claimed, key=lambda c: c.start)


def mask_text(text: str | None) -> str | None:
    """``text`` with every PII value replaced by its placeholder (None stays None)."""
    found = find_pii(text)
    if not found:
        return text
    out, last = [], 0
    for m in found:
        out.append(text[last : m.start])
        out.append(PLACEHOLDERS[m.kind])
        last = m.end
    out.append(text[last:])
    return "".join(out)


def mask_arrow(values):
    """Vectorised :func:`mask_text` over a pyarrow string array (a DuckDB ``type="arrow"`` UDF)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    hits = pc.fill_null(pc.match_substring_regex(values, PREFILTER), False)
    if not pc.any(hits).as_py():
        return values
    candidates = pc.filter(values, hits).to_pylist()
    masked = pa.array([mask_text(t) for t in candidates], type=values.type)
    return pc.replace_with_mask(values, hits, masked)


MASK_FUNCTION = "pii_mask"


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Make ``pii_mask(varchar) -> varchar`` available in SQL on ``con``."""
    # already registered on `con`, or on its database by another cursor (salesops.duck)
    with contextlib.suppress(duckdb.NotImplementedException, duckdb.CatalogException):
        con.create_function(
            MASK_FUNCTION,
            mask_arrow,
            [duckdb.sqltypes.VARCHAR],
            duckdb.sqltypes.VARCHAR,
            type="arrow",
        )


# ---------------------------------------------------------------- scanning a database


@dataclass(frozen=True)
class Finding:
    schema: str
    table: str
    column: str
    kind: str
    rows: int
    """Rows of this column holding at least one value of this kind."""
    sample: str
    """One such value in context, itself masked."""

    def __str__(self) -> str:
        return f"{self.schema}.{self.table}.{self.column}: {self.kind} in {self.rows} row(s), e.g. {self.sample!r}"


def _context(text: str, kind: str, width: int = 12) -> str:
    """A window around the first ``kind`` placeholder of the masked text (never a cut-off value)."""
    masked = mask_text(text) or ""
    at = masked.find(PLACEHOLDERS[kind])
    return masked[max(0, at - width) : at + len(PLACEHOLDERS[kind]) + width]


def _qi(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def is_identifier_column(name: str, not_personal: Iterable[str] = ()) -> bool:
    """Columns holding opaque keys, never personal data: exempt from :func:`scan_database`.

    The landing contract's key columns, any ``id`` / ``*_id`` column (record ids, hashes and
    codes look like phone or WeChat numbers), and the columns in ``not_personal`` (a mapping
    profile's ``not_personal:``). Case-insensitive.
    """
    low = name.lower()
    return (
        low == "id"
        or low.endswith("_id")
        or name in contract.key_column_names()
        or low in {n.lower() for n in not_personal}
    )


def scan_database(
    con: duckdb.DuckDBPyConnection,
    schemas: Iterable[str] | None = None,
    skip: Iterable[tuple[str, str]] = (),
    not_personal: Iterable[str] = (),
) -> list[Finding]:
    """PII left in any VARCHAR column of any table or view of ``con``'s current database.

    Identifier columns (:func:`is_identifier_column`; ``not_personal`` adds column names) are
    not scanned: they hold opaque keys, not text. SQL keeps only the values the
    :data:`PREFILTER` matches (distinct, with their row count); the Python detectors judge those.
    """
    skip = set(skip)
    not_personal = tuple(not_personal)
    columns = con.execute(
        "select c.schema_name, c.table_name, c.column_name, v.view_name is not null from duckdb_columns() c "
        "left join duckdb_views() v on v.database_name = c.database_name and v.schema_name = c.schema_name "
        "and v.view_name = c.table_name "
        "where c.database_name = current_database() and c.data_type in ('VARCHAR', 'JSON', 'VARCHAR[]') "
        "and not c.internal and c.schema_name not in ('information_schema', 'pg_catalog') "
        "order by all"
    ).fetchall()
    wanted = set(schemas) if schemas is not None else None
    findings: list[Finding] = []
    prefilter = "'" + PREFILTER.replace("'", "''") + "'"
    for schema, table, column, is_view in columns:
        if (wanted is not None and schema not in wanted) or (schema, table) in skip:
            continue
        if is_identifier_column(column, not_personal):
            continue
        col = f"cast({_qi(column)} as varchar)"
        sql = (
            f"select {col}, count(*) from {_qi(schema)}.{_qi(table)} "
            f"where regexp_matches({col}, {prefilter}) group by all"
        )
        try:
            rows = con.execute(sql).fetchall()
        except duckdb.Error:
            if not is_view:
                raise
            continue  # a view that cannot be read (its files are gone) shows nobody anything
        per_kind: dict[str, list] = {}
        for text, n in rows:
            for kind in {m.kind for m in find_pii(text)}:
                if kind not in per_kind:
                    per_kind[kind] = [0, _context(text, kind)]
                per_kind[kind][0] += n
        for kind, (n, sample) in sorted(per_kind.items()):
            findings.append(Finding(schema, table, column, kind, n, sample))
    return findings
