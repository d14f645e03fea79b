"""Chat exports whose records are not rows of ``chat_messages``: format adapters.

A 企业微信 会话内容存档 (archive) file is one JSON object per *event* — messages of every type,
recalls, corp switches — keyed by chat accounts, not CRM ids; a 钉钉 chat export or a call
transcript sheet names people, not ids. The generic reader turns either into a temp table of
text columns; an adapter here turns that table into rows shaped like the contract table
``chat_messages`` (all text: typing, personal-data masking and quarantine happen afterwards,
in :mod:`salesops.ingest.core`, as for any other file).

Every input row ends up either as an output row or in ``set_aside`` with a kind that the run
summary counts, so ``input rows + input set_aside = output rows + output set_aside``: a
robot's message, a recalled message (its text must never reach chat signals), a non-text
message, a message whose rep cannot be told. A record that is not even a message (no type)
stays a row with empty values, so the quarantine shows it with its line.

Messages are linked to the CRM through bronze tables ingested earlier in the run
(:data:`DEPENDS_ON`): the employee's chat account → ``reps.im_user_id``; the external contact →
``external_contacts`` → ``customers`` (by id, exact name, then a normalised company name) →
the opportunity open when the message was sent. Everything is set-based SQL: an archive has
millions of lines; only the distinct company names pass through Python.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from salesops import contract
from salesops.config import reporting_timezone
from salesops.ingest.errors import IngestError
from salesops.ingest.profile import ReadOptions
from salesops.ingest.reader import RawRows
from salesops.ingest.typing import lit, q, typed

CHAT_COLUMNS: tuple[str, ...] = contract.table("chat_messages").column_names
CHANNELS: tuple[str, ...] = contract.table("chat_messages").column("channel").enum or ()

KIND_ROBOT = "robot message 机器人消息"
KIND_INTERNAL = "internal chat 内部聊天"
KIND_RECALLED = "recalled message 已撤回"
KIND_RECALL_NOTICE = "recall notice 撤回通知"
KIND_SWITCH = "switch record 切换企业"
KIND_NON_TEXT = "non-text message 非文本消息: "
"""Followed by the message type (``image``, ``voice``, …): the run summary counts each type."""
KIND_ROLE_UNKNOWN = "sender role unknown 无法判断发送方"
KIND_AMBIGUOUS_REP = "ambiguous rep name 销售重名"

LIST_IN_NOTES = 5
"""Names or ids quoted in a note; the rest are counted."""


@dataclass(frozen=True)
class AdapterContext:
    bronze: Path
    """Folder of ``<table>.parquet`` ingested earlier in this run (reps, customers, …); any may be missing."""
    source: str
    """The landing file, as the run summary labels it."""
    options: Mapping[str, Any]
    """The profile rule's ``format_options:``."""


# ---------------------------------------------------------------- options

_OPTION_DEFAULTS: dict[str, dict[str, Any]] = {
    "wecom_archive": {
        "customer_prefixes": ("wo", "wm"),
        "robot_prefixes": ("wb",),
        "channel": "wecom",
    },
    "chat_sheet": {
        "time": "时间",
        "sender": "发送人",
        "recipient": "接收人",
        "text": "内容",
        "customer": None,
        "message_id": None,
        "department": None,
        "channel": "dingtalk",
    },
}
_PREFIX_OPTIONS = ("customer_prefixes", "robot_prefixes")


def format_option_keys(fmt: str) -> tuple[str, ...]:
    """The ``format_options:`` keys a format accepts (for profile validation)."""
    if fmt not in _OPTION_DEFAULTS:
        raise ValueError(
            f"unknown chat format {fmt!r}; known: {', '.join(sorted(_OPTION_DEFAULTS))}"
        )
    return tuple(_OPTION_DEFAULTS[fmt])


def _options(fmt: str, given: Mapping[str, Any]) -> dict[str, Any]:
    allowed = format_option_keys(fmt)
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise ValueError(
            f"format_options of {fmt}: unknown key(s) {', '.join(unknown)}; known: {', '.join(allowed)}"
        )
    options = dict(_OPTION_DEFAULTS[fmt])
    for key, value in given.items():
        if key in _PREFIX_OPTIONS:
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list | tuple) or not all(
                isinstance(v, str) and v for v in values
            ):
                raise ValueError(
                    f"format_options of {fmt}: {key} must be a list of id prefixes (e.g. [wo, wm]), not {value!r}"
                )
            options[key] = tuple(values)
        elif value is None and _OPTION_DEFAULTS[fmt][key] is None:
            options[key] = None
        elif not isinstance(value, str) or not value.strip():
            raise ValueError(
                f"format_options of {fmt}: {key} must be a non-empty text, not {value!r}"
            )
        else:
            options[key] = value.strip()
    if options["channel"] not in CHANNELS:
        raise ValueError(
            f"format_options of {fmt}: channel {options['channel']!r} is not one of {', '.join(CHANNELS)}"
        )
    return options


# ---------------------------------------------------------------- company names

_QUALIFIER = re.compile(r"\(([^()\d]{1,12})\)")
"""A short parenthesised qualifier without digits: almost always the city or province, 甲科技（上海）."""
_LATIN_LEGAL_FORM = re.compile(
    r"(?:[\s,.&]*\b(?:co\.?,?\s*ltd|ltd|inc|limited|co|corp|corporation|company|llc)\b\.?)+\s*$"
)
_CJK_LEGAL_FORMS = (
    "集团股份有限公司",
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "有限公司",
    "集团",
    "公司",
)
_PLACE_SUFFIX = re.compile(r"(省|市|自治区)$")


def _compact(name: str) -> str:
    """Case-folded, legal forms stripped, whitespace and punctuation removed."""
    name = _LATIN_LEGAL_FORM.sub("", name)
    name = re.sub(r"[\W_]+", "", name)
    stripped = True
    while stripped:
        stripped = False
        for form in _CJK_LEGAL_FORMS:
            if name.endswith(form) and len(name) > len(form):
                name, stripped = name[: -len(form)], True
    return name


def company_key(name: str) -> str:
    """Company name in a form that ignores how it was typed.

    NFKC (full-width → half-width, （） → ()), case-folded, legal-form suffixes (有限公司,
    Co., Ltd., …) and punctuation removed. A parenthesised qualifier moves to the front:
    甲科技（上海）有限公司 and 上海甲科技有限公司 are the same company, while a 北京 branch is not
    (so the qualifier is not simply dropped; :func:`company_short_key` drops it).
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    qualifiers = [_compact(_PLACE_SUFFIX.sub("", m.strip())) for m in _QUALIFIER.findall(text)]
    body = _compact(_QUALIFIER.sub("", text))
    lead = "".join(qualifiers)
    return body if body.startswith(lead) else lead + body


def company_short_key(name: str) -> str:
    """:func:`company_key` without the parenthesised qualifier: matches a name typed without the city."""
    text = unicodedata.normalize("NFKC", name).casefold()
    return _compact(_QUALIFIER.sub("", text))


_KEY_FUNCTIONS = {
    "salesops_company_key": company_key,
    "salesops_company_short_key": company_short_key,
}


def _vectorised(function: Callable[[str], str]) -> Callable:
    """One Python call per batch of names (Arrow), not one per name."""

    def apply(names):
        import pyarrow as pa

        return pa.array(
            [None if n is None else function(n) for n in names.to_pylist()], type=pa.string()
        )

    return apply


def _register(con: duckdb.DuckDBPyConnection) -> None:
    for name, function in _KEY_FUNCTIONS.items():
        # already registered on `con`, or on its database by another cursor (salesops.duck)
        with contextlib.suppress(duckdb.NotImplementedException, duckdb.CatalogException):
            con.create_function(
                name,
                _vectorised(function),
                [duckdb.sqltypes.VARCHAR],
                duckdb.sqltypes.VARCHAR,
                type="arrow",
            )


# ---------------------------------------------------------------- bronze tables


def _bronze_columns(
    con: duckdb.DuckDBPyConnection, ctx: AdapterContext, table: str
) -> set[str] | None:
    """Columns of bronze/<table>.parquet, or None when this run has no such file."""
    path = Path(ctx.bronze) / f"{table}.parquet"
    if not path.exists():
        return None
    description = con.execute(f"select * from read_parquet({lit(str(path))}) limit 0").description
    return {d[0] for d in description}


def _bronze(
    con: duckdb.DuckDBPyConnection, ctx: AdapterContext, table: str, columns: Mapping[str, str]
) -> str | None:
    """``(select …)`` over bronze/<table>.parquet with ``columns`` (name → DuckDB type; text
    trimmed, empty = NULL; a column the file lacks is NULL), or None when there is no file."""
    have = _bronze_columns(con, ctx, table)
    if have is None:
        return None
    selects = []
    for name, type_ in columns.items():
        if name not in have:
            selects.append(f"cast(null as {type_}) as {q(name)}")
        elif type_ == "VARCHAR":
            selects.append(f"nullif(trim(cast({q(name)} as varchar)), '') as {q(name)}")
        else:
            selects.append(f"try_cast({q(name)} as {type_}) as {q(name)}")
    path = Path(ctx.bronze) / f"{table}.parquet"
    return f"(select {', '.join(selects)} from read_parquet({lit(str(path))}))"


def _first_column(con: duckdb.DuckDBPyConnection, sql: str) -> list:
    return [r[0] for r in con.execute(sql).fetchall()]


def _share(n: int, m: int) -> str:
    return f"{n} of {m} ({n / m:.0%})" if m else "0 of 0"


def _listed(items: Sequence[str]) -> str:
    shown = ", ".join(items[:LIST_IN_NOTES])
    more = len(items) - LIST_IN_NOTES
    return shown + (f" … (+{more})" if more > 0 else "")


class _Scratch:
    """Helper temp tables of one adapter call, dropped at the end (an archive's are large)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, prefix: str) -> None:
        self.con, self.prefix, self.names = con, prefix, []

    def table(self, suffix: str, select_sql: str) -> str:
        name = f"{self.prefix}_{suffix}"
        self.con.execute(f"create or replace temp table {name} as {select_sql}")
        self.names.append(name)
        return name

    def drop(self) -> None:
        for name in reversed(self.names):
            self.con.execute(f"drop table if exists {name}")


# ---------------------------------------------------------------- customers and opportunities


def _match_customers(
    scratch: _Scratch, ctx: AdapterContext, parties_sql: str, what: str
) -> tuple[str, list[str]]:
    """Each party's CRM customer; returns the match table and its notes.

    ``parties_sql`` yields ``party, label, corp_name, given_customer_id`` (one row per party).
    A given customer id wins; else the company name equal to exactly one customer's name;
    else the normalised name (:func:`company_key`, then :func:`company_short_key` when one
    side has no qualifier) equal to exactly one customer's. A name that fits several
    customers matches none: a wrong customer would put chat on someone else's deal.
    """
    con = scratch.con
    _register(con)
    parties = scratch.table("parties", parties_sql)
    customers = _bronze(con, ctx, "customers", {"customer_id": "VARCHAR", "name": "VARCHAR"})
    customers = (
        customers
        or "(select cast(null as varchar) as customer_id, cast(null as varchar) as name where false)"
    )
    names = scratch.table(
        "names",
        f"select name, salesops_company_key(name) as key, salesops_company_short_key(name) as short "
        f"from (select name from {customers} where name is not null "
        f"union select corp_name from {parties} where corp_name is not null)",
    )
    crm = f"(select c.customer_id, c.name, n.key, n.short from {customers} c join {names} n using (name) where c.customer_id is not null)"
    match = scratch.table(
        "match",
        f"""
        with exact as (
            select name, min(customer_id) as customer_id, count(distinct customer_id) as n
            from {crm} group by name
        ),
        by_key as (
            select key, min(customer_id) as customer_id, count(distinct customer_id) as n
            from {crm} where key <> '' group by key
        ),
        -- one side typed without its parenthesised city: 甲科技 vs 甲科技（上海）
        by_short as (
            select party, min(customer_id) as customer_id, count(distinct customer_id) as n
            from (
                select p.party, c.customer_id
                from {parties} p join {names} pn on pn.name = p.corp_name
                join {crm} c on c.key = pn.short
                where pn.key <> pn.short and c.key = c.short and pn.short <> ''
                union all
                select p.party, c.customer_id
                from {parties} p join {names} pn on pn.name = p.corp_name
                join {crm} c on c.short = pn.key
                where pn.key = pn.short and c.key <> c.short and pn.key <> ''
            )
            group by party
        )
        select p.party, p.label,
            case when p.given_customer_id is not null then p.given_customer_id
                 when e.n = 1 then e.customer_id
                 when e.n is null and k.n = 1 then k.customer_id
                 when e.n is null and k.n is null and s.n = 1 then s.customer_id end as customer_id,
            case when p.given_customer_id is not null then 'customer_id'
                 when e.n = 1 then 'exact'
                 when e.n > 1 or k.n > 1 then 'ambiguous'
                 when k.n = 1 then 'normalised'
                 when s.n > 1 then 'ambiguous'
                 when s.n = 1 then 'normalised'
                 else 'unmatched' end as how
        from {parties} p
        left join exact e on e.name = p.corp_name
        left join {names} n on n.name = p.corp_name
        left join by_key k on k.key = n.key
        left join by_short s on s.party = p.party
        """,
    )
    counts = dict(con.execute(f"select how, count(*) from {match} group by how").fetchall())
    total = sum(counts.values())
    matched = total - counts.get("unmatched", 0) - counts.get("ambiguous", 0)
    by = [
        f"{counts.get('exact', 0)} exact 名称一致",
        f"{counts.get('normalised', 0)} by normalised name 名称归一",
    ]
    if counts.get("customer_id"):
        by.insert(0, f"{counts['customer_id']} by customer_id 客户编号")
    note = (
        f"{what} matched to CRM customers 匹配CRM客户: {_share(matched, total)} — {', '.join(by)}"
    )
    unmatched = _first_column(
        con, f"select label from {match} where how = 'unmatched' order by label"
    )
    if unmatched:
        note += f"; unmatched 未匹配: {_listed(unmatched)}"
    notes = [note]
    ambiguous = _first_column(
        con, f"select label from {match} where how = 'ambiguous' order by label"
    )
    if ambiguous:
        notes.append(
            f"{len(ambiguous)} company name(s) fit several CRM customers and were not matched "
            f"企业名称对应多个客户, 未匹配: {_listed(ambiguous)}"
        )
    if not (Path(ctx.bronze) / "customers.parquet").exists():
        notes.append(
            "No bronze customers: company names cannot be matched to the CRM 缺少客户表(customers)"
        )
    return match, notes


def _choose_opportunities(scratch: _Scratch, ctx: AdapterContext, messages_sql: str) -> str:
    """Each message's opportunity: table ``_record, opportunity_id``.

    ``messages_sql`` yields ``_record, customer_id, rep_id, sent_ts`` (naive, reporting zone).
    Among the customer's opportunities, the one open when the message was sent (created by
    then, not closed more than a day before: a thank-you after signing is still about that
    deal), the message's rep's own first, then the latest created; if none was open, the
    latest created before the message. None → NULL.
    """
    opportunities = _bronze(
        scratch.con,
        ctx,
        "opportunities",
        {
            "opportunity_id": "VARCHAR",
            "customer_id": "VARCHAR",
            "owner_rep_id": "VARCHAR",
            "created_at": "TIMESTAMP",
            "closed_at": "TIMESTAMP",
        },
    )
    if opportunities is None:
        return scratch.table(
            "opportunity",
            "select cast(null as bigint) as _record, cast(null as varchar) as opportunity_id where false",
        )
    open_then = "(o.closed_at is null or m.sent_ts <= o.closed_at + interval 1 day)"
    return scratch.table(
        "opportunity",
        f"""
        select _record, opportunity_id from (
            select m._record, o.opportunity_id,
                row_number() over (
                    partition by m._record
                    order by {open_then} desc,
                        (case when {open_then} then coalesce(o.owner_rep_id = m.rep_id, false) end) desc nulls last,
                        o.created_at desc, o.opportunity_id desc
                ) as choice
            from ({messages_sql}) m
            join {opportunities} o on o.customer_id = m.customer_id and o.created_at <= m.sent_ts
            where o.opportunity_id is not null
        ) where choice = 1
        """,
    )


def _linked_note(con: duckdb.DuckDBPyConnection, table: str, what: str) -> str:
    linked, total = con.execute(
        f"select count(opportunity_id), count(*) from {table} where contact_id is not null"
    ).fetchone()
    return f"{what}: {_share(linked, total)}"


def _set_aside(con: duckdb.DuckDBPyConnection, raw: RawRows, base: str) -> list[tuple[int, str]]:
    found = con.execute(
        f"select _line, kind from {base} where kind is not null order by _record"
    ).fetchall()
    return [*raw.set_aside, *((int(line), kind) for line, kind in found)]


def _column(raw: RawRows, name: str) -> str:
    return q(name) if name in raw.header else "cast(null as varchar)"


def _prefixed(expression: str, prefixes: Sequence[str]) -> str:
    if not prefixes:
        return "false"
    return "(" + " or ".join(f"starts_with({expression}, {lit(p)})" for p in prefixes) + ")"


# ---------------------------------------------------------------- 企业微信 archive


def wecom_archive(con: duckdb.DuckDBPyConnection, raw: RawRows, ctx: AdapterContext) -> RawRows:
    """企业微信 会话内容存档 records (one decrypted JSON object per line) → chat messages."""
    options = _options("wecom_archive", ctx.options)
    if not raw.header:
        return raw
    scratch = _Scratch(con, f"{raw.table}_wecom")
    output = f"{raw.table}_chat"
    customer, robot = options["customer_prefixes"], options["robot_prefixes"]
    is_customer = _prefixed("x", customer)
    is_robot = _prefixed("x", robot)
    try:
        # Nested values arrive as JSON text. Exports that flatten them are read too: a text
        # given as a plain string is the content, a bare id a one-person tolist.
        base = scratch.table(
            "base",
            f"""
            with src as (
                select _record, _line,
                    nullif(trim({_column(raw, "msgid")}), '') as msgid,
                    lower(nullif(trim({_column(raw, "action")}), '')) as action,
                    lower(nullif(trim({_column(raw, "msgtype")}), '')) as msgtype,
                    nullif(trim({_column(raw, "from")}), '') as from_id,
                    nullif(trim({_column(raw, "roomid")}), '') as roomid,
                    nullif(trim({_column(raw, "msgtime")}), '') as msgtime_text,
                    try_cast(trim({_column(raw, "msgtime")}) as bigint) as msgtime,
                    {_column(raw, "tolist")} as tolist_text,
                    try_cast({_column(raw, "tolist")} as json) as tolist_json,
                    {_column(raw, "text")} as text_value,
                    try_cast({_column(raw, "text")} as json) as text_json,
                    try_cast({_column(raw, "revoke")} as json) as revoke_json
                from {raw.table}
            ),
            parsed as (
                select * exclude (tolist_text, tolist_json, text_value, text_json, revoke_json),
                    list_filter(
                        case when json_type(tolist_json) = 'ARRAY' then json_extract_string(tolist_json, '$[*]')
                             when tolist_json is null and nullif(trim(tolist_text), '') is not null then [trim(tolist_text)]
                             else [] end,
                        lambda x: nullif(trim(x), '') is not null
                    ) as tolist,
                    case when json_type(text_json) = 'OBJECT' then json_extract_string(text_json, '$.content')
                         else text_value end as content,
                    case when json_type(revoke_json) = 'OBJECT'
                         then nullif(trim(json_extract_string(revoke_json, '$.pre_msgid')), '') end as pre_msgid
                from src
            ),
            roles as (
                select *,
                    case when from_id is null then null
                         when {_prefixed("from_id", customer)} then 'customer'
                         when {_prefixed("from_id", robot)} then 'robot'
                         else 'rep' end as role
                from parsed
            ),
            parties as (
                -- the other side: the first id of the other kind in tolist
                select *,
                    case role when 'rep' then from_id
                        when 'customer' then list_filter(tolist, lambda x: not {is_customer} and not {is_robot})[1]
                    end as employee_uid,
                    case role when 'customer' then from_id
                        when 'rep' then list_filter(tolist, lambda x: {is_customer})[1]
                    end as contact_uid
                from roles
            ),
            recalled as (
                select distinct pre_msgid from parsed
                where (action = 'recall' or msgtype = 'revoke') and pre_msgid is not null
            )
            select p.*,
                case when action = 'switch' then {lit(KIND_SWITCH)}
                     when action = 'recall' or msgtype = 'revoke' then {lit(KIND_RECALL_NOTICE)}
                     when msgid in (select pre_msgid from recalled) then {lit(KIND_RECALLED)}
                     when msgtype is null then null
                     when role = 'robot' then {lit(KIND_ROBOT)}
                     when msgtype <> 'text' then {lit(KIND_NON_TEXT)} || msgtype
                     when role = 'rep' and contact_uid is null then {lit(KIND_INTERNAL)}
                end as kind
            from parties p
            """,
        )
        # Only messages that are kept need CRM links; a record without a type has none.
        loaded = f"(select * from {base} where kind is null and msgtype is not null)"
        reps = _bronze(con, ctx, "reps", {"rep_id": "VARCHAR", "im_user_id": "VARCHAR"})
        reps = (
            reps
            or "(select cast(null as varchar) as rep_id, cast(null as varchar) as im_user_id where false)"
        )
        # A chat account shared by two reps maps to neither: the userid itself is kept.
        staff = scratch.table(
            "staff",
            f"select im_user_id, min(rep_id) as rep_id, count(distinct rep_id) as reps from {reps} "
            "where im_user_id is not null and rep_id is not null group by im_user_id",
        )
        contacts = _bronze(
            con,
            ctx,
            "external_contacts",
            {"contact_id": "VARCHAR", "corp_name": "VARCHAR", "customer_id": "VARCHAR"},
        )
        contacts = (
            contacts
            or "(select cast(null as varchar) as contact_id, cast(null as varchar) as corp_name, cast(null as varchar) as customer_id where false)"
        )
        match, match_notes = _match_customers(
            scratch,
            ctx,
            f"""
            select c.party, e.corp_name, e.customer_id as given_customer_id,
                case when e.contact_id is null then c.party || ' (not in external_contacts 不在外部联系人中)'
                     when e.corp_name is null then c.party || ' (no company name 无企业名称)'
                     else e.corp_name end as label
            from (select distinct contact_uid as party from {loaded} where contact_uid is not null) c
            left join (select * from {contacts} qualify row_number() over (partition by contact_id) = 1) e
                on e.contact_id = c.party
            """,
            "Chat contacts 外部联系人",
        )
        zone = reporting_timezone()
        messages = scratch.table(
            "messages",
            f"""
            select l._record, l._line, l.msgid, l.msgtime, l.msgtime_text, l.roomid, l.content,
                l.role, l.employee_uid, l.contact_uid,
                coalesce(s.rep_id, l.employee_uid) as rep_id,
                -- a userid that is itself a rep_id needs no im_user_id
                s.rep_id is not null or l.employee_uid in (select rep_id from {reps} where rep_id is not null) as in_reps,
                m.customer_id,
                case when l.msgtime between 0 and 253402300799999
                     then timezone({lit(zone)}, timezone('UTC', epoch_ms(l.msgtime))) end as sent_ts
            from {loaded} l
            left join (select * from {staff} where reps = 1) s on s.im_user_id = l.employee_uid
            left join {match} m on m.party = l.contact_uid
            """,
        )
        chosen = _choose_opportunities(
            scratch,
            ctx,
            f"select _record, customer_id, rep_id, sent_ts from {messages} "
            "where customer_id is not null and sent_ts is not null",
        )
        channel = lit(options["channel"])
        empty = "cast(null as varchar)"
        con.execute(
            f"""
            create or replace temp table {output} as
            select row_number() over (order by b._record) as _record, b._line,
                b.msgid as message_id,
                case when b.msgtype is not null then coalesce(
                    b.roomid,
                    least(b.employee_uid, b.contact_uid) || '|' || greatest(b.employee_uid, b.contact_uid)
                ) end as conversation_id,
                {channel} as channel,
                o.opportunity_id,
                case when b.msgtype is not null then m.rep_id end as rep_id,
                case when b.msgtype is not null then b.contact_uid end as contact_id,
                case when b.msgtype is not null then b.role end as sender,
                -- ISO-8601 UTC with its offset: core converts it to the reporting zone
                coalesce(
                    case when b.msgtime between 0 and 253402300799999
                         then strftime(epoch_ms(b.msgtime), '%Y-%m-%dT%H:%M:%S.%g') || '+00:00' end,
                    b.msgtime_text
                ) as sent_at,
                case when b.msgtype is not null then b.content else {empty} end as text
            from {base} b
            left join {messages} m on m._record = b._record
            left join {chosen} o on o._record = b._record
            where b.kind is null
            order by b._record
            """
        )
        notes = _wecom_notes(con, ctx, base, staff, messages, output, options)
        notes += match_notes
        if _bronze_columns(con, ctx, "external_contacts") is None:
            notes.append(
                "No bronze external_contacts: chat contacts cannot be linked to CRM customers "
                "缺少外部联系人表(external_contacts)"
            )
        notes.append(
            _linked_note(
                con,
                output,
                "Customer-conversation messages linked to an opportunity 客户会话消息关联商机",
            )
        )
        set_aside = _set_aside(con, raw, base)
    finally:
        scratch.drop()
    return RawRows(output, raw.rejects, list(CHAT_COLUMNS), set_aside, [*raw.notes, *notes])


def _wecom_notes(
    con: duckdb.DuckDBPyConnection,
    ctx: AdapterContext,
    base: str,
    staff: str,
    messages: str,
    output: str,
    options: Mapping[str, Any],
) -> list[str]:
    records, kept, set_aside = con.execute(
        f"select count(*), count(*) filter (where kind is null), count(*) filter (where kind is not null) from {base}"
    ).fetchone()
    by_sender = dict(
        con.execute(f"select sender, count(*) from {output} group by sender").fetchall()
    )
    notes = [
        f"企业微信 archive {records} records 条记录: {kept} messages kept 保留 "
        f"({by_sender.get('rep', 0)} from reps 销售, {by_sender.get('customer', 0)} from customers 客户), "
        f"{set_aside} set aside 未载入, counted by kind in the run summary 按类别计数"
    ]
    untyped = con.execute(
        f"select count(*) from {base} where kind is null and msgtype is null"
    ).fetchone()[0]
    if untyped:
        notes.append(
            f"{untyped} record(s) have neither msgtype nor a known action: kept empty for the quarantine "
            "无消息类型的记录, 将被隔离"
        )
    orphan_recalls = con.execute(
        f"select count(*) from {base} where kind = {lit(KIND_RECALL_NOTICE)} and pre_msgid is not null "
        f"and pre_msgid not in (select msgid from {base} where msgid is not null)"
    ).fetchone()[0]
    if orphan_recalls:
        notes.append(
            f"{orphan_recalls} recall notice(s) point at a message not in this file (recalled before "
            "the archive window, or in another file) 撤回的消息不在本文件中"
        )
    if "im_user_id" not in (_bronze_columns(con, ctx, "reps") or ()):
        notes.append(
            "reps has no im_user_id (chat account): employees are identified by their chat userid "
            "销售表缺少通讯账号(im_user_id)"
        )
    not_in_reps = con.execute(
        f"select count(*), count(distinct employee_uid), list(distinct employee_uid order by employee_uid) "
        f"from {messages} where employee_uid is not null and not in_reps"
    ).fetchone()
    if not_in_reps[0]:
        notes.append(
            f"{not_in_reps[0]} message(s) of {not_in_reps[1]} chat account(s) not found in reps.im_user_id "
            f"(rep_id = the chat userid) 员工账号不在销售表中: {_listed(not_in_reps[2])} — add im_user_id to reps"
        )
    shared = _first_column(con, f"select im_user_id from {staff} where reps > 1 order by 1")
    if shared:
        notes.append(
            f"Chat account(s) given to several reps, not mapped 多名销售共用账号: {_listed(shared)}"
        )
    prefixes = (*options["customer_prefixes"], *options["robot_prefixes"])
    clashing = _first_column(
        con, f"select im_user_id from {staff} where {_prefixed('im_user_id', prefixes)} order by 1"
    )
    if clashing:
        notes.append(
            f"reps.im_user_id value(s) start with a customer or robot prefix, so their messages are "
            f"read as a customer's or a robot's 员工账号与外部联系人前缀冲突: {_listed(clashing)}"
        )
    return notes


# ---------------------------------------------------------------- 钉钉 chat / transcript sheet


def chat_sheet(con: duckdb.DuckDBPyConnection, raw: RawRows, ctx: AdapterContext) -> RawRows:
    """A sheet of messages (时间, 发送人, 接收人, 内容 …) naming people → chat messages."""
    options = _options("chat_sheet", ctx.options)
    if not raw.header:
        return raw  # an empty sheet: nothing to adapt, and its note says so
    columns = {
        k: options[k]
        for k in ("time", "sender", "recipient", "text", "customer", "message_id", "department")
    }
    missing = [f"{k}: {v!r}" for k, v in columns.items() if v is not None and v not in raw.header]
    if missing:
        raise IngestError(
            ctx.source,
            f"the chat sheet has no column {', '.join(missing)} (found: {', '.join(raw.header)})",
            "Name the sheet's columns under `format_options` (time, sender, recipient, text, customer, …)",
        )
    scratch = _Scratch(con, f"{raw.table}_sheet")
    output = f"{raw.table}_chat"

    def cell(key: str) -> str:
        name = columns[key]
        return f"nullif(trim({q(name)}), '')" if name else "cast(null as varchar)"

    try:
        base = scratch.table(
            "cells",
            f"select _record, _line, {cell('time')} as t, {cell('sender')} as s, {cell('recipient')} as r, "
            f"{q(columns['text'])} as x, {cell('customer')} as cust, {cell('department')} as dept, "
            f"{cell('message_id')} as mid from {raw.table}",
        )
        reps = _bronze(
            con, ctx, "reps", {"rep_id": "VARCHAR", "name": "VARCHAR", "team_id": "VARCHAR"}
        )
        reps = (
            reps
            or "(select cast(null as varchar) as rep_id, cast(null as varchar) as name, cast(null as varchar) as team_id where false)"
        )
        # A party is a rep when its text is a rep's name or rep_id; a name two reps share is
        # settled by the row's department (team_id equal to it or ending with it), if any.
        in_dept = "(p.dept is not null and (r.team_id = p.dept or ends_with(r.team_id, p.dept)))"
        parties = scratch.table(
            "parties",
            f"""
            with parties as (
                select s as party, dept from {base} where s is not null
                union select r, dept from {base} where r is not null
            ),
            candidates as (
                select p.party, p.dept, r.rep_id, {in_dept} as in_dept
                from parties p join {reps} r on r.rep_id = p.party
                union
                select p.party, p.dept, r.rep_id, {in_dept} as in_dept
                from parties p join {reps} r on r.name = p.party
            )
            select party, dept, count(distinct rep_id) as n,
                case when count(distinct rep_id) = 1 then min(rep_id)
                     when count(distinct rep_id) filter (where in_dept) = 1 then min(rep_id) filter (where in_dept)
                end as rep_id,
                string_agg(distinct rep_id, ', ' order by rep_id) as rep_ids
            from candidates where rep_id is not null group by party, dept
            """,
        )
        classified = scratch.table(
            "base",
            f"""
            select b.*, ps.n is not null as s_rep, pr.n is not null as r_rep,
                case when ps.n is not null then ps.rep_id else pr.rep_id end as rep_id,
                case when ps.n is not null then ps.rep_ids else pr.rep_ids end as rep_ids,
                case when (ps.n is not null) = (pr.n is not null) then {lit(KIND_ROLE_UNKNOWN)}
                     when coalesce(ps.n, pr.n) > 1 and coalesce(ps.rep_id, pr.rep_id) is null then {lit(KIND_AMBIGUOUS_REP)}
                end as kind
            from {base} b
            left join {parties} ps on ps.party = b.s and ps.dept is not distinct from b.dept
            left join {parties} pr on pr.party = b.r and pr.dept is not distinct from b.dept
            """,
        )
        loaded = f"(select * from {classified} where kind is null)"
        notes: list[str] = []
        if columns["customer"]:
            match, notes = _match_customers(
                scratch,
                ctx,
                f"select distinct cust as party, cust as corp_name, cast(null as varchar) as given_customer_id, "
                f"cust as label from {loaded} where cust is not null",
                "Customer names 客户名称",
            )
        else:
            match = scratch.table(
                "match",
                "select cast(null as varchar) as party, cast(null as varchar) as customer_id where false",
            )
        sent_ts = typed(
            contract.table("chat_messages").column("sent_at"), "l.t", ReadOptions(), False
        )
        chosen = _choose_opportunities(
            scratch,
            ctx,
            f"select l._record, m.customer_id, l.rep_id, {sent_ts} as sent_ts from {loaded} l "
            f"join {match} m on m.party = l.cust where l.t is not null",
        )
        # Same time, people and text = the same message: a re-export of overlapping days
        # gets the same id, and core's primary-key dedup keeps one.
        content_hash = "'msg-' || left(sha256(concat_ws('|', coalesce(l.t, ''), coalesce(l.s, ''), coalesce(l.r, ''), coalesce(trim(l.x), ''))), 16)"
        con.execute(
            f"""
            create or replace temp table {output} as
            select row_number() over (order by l._record) as _record, l._line,
                coalesce(l.mid, {content_hash}) as message_id,
                least(l.s, l.r) || '|' || greatest(l.s, l.r) as conversation_id,
                {lit(options["channel"])} as channel,
                o.opportunity_id,
                l.rep_id,
                case when l.s_rep then l.r else l.s end as contact_id,
                case when l.s_rep then 'rep' else 'customer' end as sender,
                l.t as sent_at,
                l.x as text
            from {loaded} l
            left join {chosen} o on o._record = l._record
            order by l._record
            """
        )
        notes = _sheet_notes(con, classified, output) + notes
        if columns["customer"]:
            notes.append(
                _linked_note(con, output, "Messages linked to an opportunity 消息关联商机")
            )
        else:
            notes.append(
                "No customer column (format option `customer`): messages are not linked to "
                "opportunities 未指定客户列, 不关联商机"
            )
        set_aside = _set_aside(con, raw, classified)
    finally:
        scratch.drop()
    return RawRows(output, raw.rejects, list(CHAT_COLUMNS), set_aside, [*raw.notes, *notes])


def _sheet_notes(con: duckdb.DuckDBPyConnection, classified: str, output: str) -> list[str]:
    rows, kept = con.execute(
        f"select count(*), (select count(*) from {output}) from {classified}"
    ).fetchone()
    notes = [f"Chat sheet 聊天记录表: {kept} of {rows} messages kept 条消息保留"]
    neither, both, unknown = con.execute(
        f"""
        select count(*) filter (where not s_rep and not r_rep), count(*) filter (where s_rep and r_rep),
            (select list(distinct p order by p) from (
                select s as p from {classified} where kind = {lit(KIND_ROLE_UNKNOWN)} and not s_rep and s is not null
                union select r from {classified} where kind = {lit(KIND_ROLE_UNKNOWN)} and not r_rep and r is not null))
        from {classified} where kind = {lit(KIND_ROLE_UNKNOWN)}
        """
    ).fetchone()
    if neither or both:
        note = (
            f"{neither + both} message(s) set aside: the rep cannot be told 无法判断销售方 "
            f"({neither} with neither party in reps 双方都不在销售表, {both} between two reps 双方都是销售)"
        )
        if unknown:
            note += f"; names not in reps 未知姓名: {_listed(unknown)}"
        notes.append(note + " — check reps' names and rep_ids 请核对销售表姓名")
    for party, rep_ids, n in con.execute(
        f"""
        select case when s_rep then s else r end as party, rep_ids, count(*)
        from {classified} where kind = {lit(KIND_AMBIGUOUS_REP)} group by all order by party
        """
    ).fetchall():
        notes.append(
            f"Rep name {party} belongs to several reps ({rep_ids}): {n} message(s) set aside "
            f"销售重名, 无法判断是谁的消息 — give a `department` column, or use rep_ids in the export"
        )
    return notes


FORMATS: dict[str, Callable[[duckdb.DuckDBPyConnection, RawRows, AdapterContext], RawRows]] = {
    "wecom_archive": wecom_archive,
    "chat_sheet": chat_sheet,
}

DEPENDS_ON: dict[str, tuple[str, ...]] = {
    "wecom_archive": ("reps", "customers", "opportunities", "external_contacts"),
    "chat_sheet": ("reps", "customers", "opportunities"),
}
"""Bronze tables each format reads: core types the file again when one of them changes."""
