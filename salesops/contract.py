"""The landing contract (SPEC §3), described once.

Every other part of the product reads this module: the simulator writes these tables,
the ingest assets type and validate them, the data-quality suites are generated from
them, and the dbt sources file is generated from them (``salesops contract dbt-sources``).
Column names here are the public input format: add columns or tables, rename none.

Types are logical (``string``, ``integer``, ``decimal``, ``float``, ``date``,
``timestamp``, ``period``); :data:`DUCKDB_TYPES` maps them to the warehouse.
Timestamps are ISO-8601; naive ones are Asia/Shanghai. Amounts are CNY (yuan).
``required`` means the column must be present in the file; ``nullable`` means a value
may be empty. Optional columns (*(opt)* in the SPEC) are both absent-able and nullable.

**Incomplete is not invalid.** Real CRM exports leave many values unknown: an open deal with
no account or amount yet, a prospecting deal with no created date, a rep without a hire date,
an account without a size band. Such values load as NULL and the hygiene marts count them per
unit and rep (``fct_data_completeness``); only what makes a row *unusable* is quarantined: no
key, a value that cannot be typed, a value outside its allowed set, an impossible date order
within the row. A conflict *between* tables (a deal won before its lead's recorded creation)
is flagged on both rows in the quality report and the rows are kept (:class:`ReferenceRule`
``action="flag"``): one table's wrong date must not erase a real sale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

STAGES: tuple[str, ...] = (
    "lead",
    "qualified",
    "quote",
    "negotiation",
    "contract_approval",
    "won",
    "lost",
)
"""Canonical funnel (SPEC §4), in order; ``won``/``lost`` are terminal."""

OPEN_STAGES: tuple[str, ...] = STAGES[:5]

STAGE_LABELS_ZH: dict[str, str] = {
    "lead": "线索",
    "qualified": "需求确认",
    "quote": "方案报价",
    "negotiation": "商务谈判",
    "contract_approval": "合同审批",
    "won": "赢单",
    "lost": "输单",
}

STAGE_LABELS_EN: dict[str, str] = {
    "lead": "Lead",
    "qualified": "Qualified",
    "quote": "Quote",
    "negotiation": "Negotiation",
    "contract_approval": "Contract approval",
    "won": "Won",
    "lost": "Lost",
}

MOT_FACTS: tuple[str, ...] = ("budget_range", "decision_date", "decision_maker_access")
"""Facts that must all be recorded before an opportunity may enter ``quote`` (MOT gate)."""

QUALIFICATION_KINDS: tuple[str, ...] = MOT_FACTS + (
    "legal_draft_uploaded",
    "requirement_doc_uploaded",
)

VISIT_NODES: tuple[str, ...] = (
    "appointment_confirmed",
    "pain_diagnosis_submitted",
    "demo_recording_uploaded",
    "objection_handled",
    "next_step_locked",
)
"""The five mandatory nodes of a visit, in order (SPEC §5 "Visit completeness")."""

ORG_LEVELS: tuple[str, ...] = ("hq", "region", "city", "team")
TARGET_LEVELS: tuple[str, ...] = ORG_LEVELS + ("rep",)
ROLES: tuple[str, ...] = ("rep", "city_manager", "region_manager", "hq")

LOGICAL_TYPES: tuple[str, ...] = (
    "string",
    "integer",
    "decimal",
    "float",
    "date",
    "timestamp",
    "period",
)

DUCKDB_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "decimal": "DECIMAL(18,2)",
    "float": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "period": "VARCHAR",
}

PERIOD_PATTERN = r"^\d{4}-(?:0[1-9]|1[0-2])$"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    required: bool = True
    nullable: bool = False
    enum: tuple[str, ...] | None = None
    enum_is_open: bool = False
    """True where the SPEC lists example values ("call/visit/demo/…"): others are allowed."""
    min_value: float | None = None
    max_value: float | None = None
    future_ok: bool = False
    """Dates/timestamps may lie after the extract date (planned events); others may not."""
    free_text: bool = False
    """Typed by people: personal data in it (phones, e-mails, WeChat/ID/bank numbers) is masked
    at ingest, before bronze or quarantine hold it (:mod:`salesops.pii`)."""
    key: bool = False
    """An identifier or key (record ids, hashes, codes): never free text, so exempt from the
    personal-data scan. Every ``*_id`` column is one anyway (:attr:`is_key`)."""

    def __post_init__(self) -> None:
        if self.type not in LOGICAL_TYPES:
            raise ValueError(f"column {self.name}: unknown logical type {self.type!r}")
        if not self.required and not self.nullable:
            raise ValueError(f"column {self.name}: an optional column must be nullable")

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]

    @property
    def is_key(self) -> bool:
        """Identifiers: every ``*_id`` column and any column marked ``key``."""
        return self.key or (self.type == "string" and self.name.endswith("_id"))


def opt(name: str, type_: str, description: str, **kwargs) -> Column:
    """An optional column: may be missing from the file, and may be empty."""
    return Column(name, type_, description, required=False, nullable=True, **kwargs)


@dataclass(frozen=True)
class RowRule:
    """``violation`` is SQL over the typed row, true when the row breaks the rule."""

    column: str
    violation: str
    reason: str


@dataclass(frozen=True)
class ReferenceRule:
    """A row breaks the rule when it joins a ``table`` row (on ``on`` = [(own, theirs)]) and
    ``violation`` holds; ``r.`` names the referenced row, ``t.`` this one.

    ``action``: ``flag`` keeps both rows and lists the pair in ``bronze/_conflicts/<table>.parquet``
    and the quality report (which of the two dates is wrong cannot be known from the data);
    ``quarantine`` rejects this table's row."""

    column: str
    table: str
    on: tuple[tuple[str, str], ...]
    violation: str
    reason: str
    action: str = "flag"


@dataclass(frozen=True)
class Table:
    name: str
    source: str
    """Landing sub-folder: ``crm``, ``chat`` or ``finance``."""
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    formats: tuple[str, ...] = ("csv", "parquet")
    any_file_in_folder: bool = False
    """True for chat: every file of ``landing/chat/`` belongs to this table."""
    row_rules: tuple[RowRule, ...] = ()
    """Rules across columns of one row; a row breaking one is quarantined with the reason."""
    reference_rules: tuple[ReferenceRule, ...] = ()
    """Rules against another table's bronze rows (checked after that table is ingested)."""

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


_ORG_UNITS = Table(
    "org_units",
    "crm",
    "Org tree 组织架构: HQ → region 大区 → city 城市 → team 团队. One row per unit.",
    (
        Column("unit_id", "string", "Unit id 组织单元编号"),
        Column("level", "string", "hq / region / city / team", enum=ORG_LEVELS),
        Column("parent_id", "string", "Parent unit (empty for HQ) 上级单元", nullable=True),
        Column("name", "string", "Unit name 名称"),
        opt(
            "structured_since",
            "date",
            "Date the unit adopted the structured process 结构化管理启用日",
        ),
    ),
    ("unit_id",),
)

_REPS = Table(
    "reps",
    "crm",
    "Sales people and managers 销售人员. One row per person.",
    (
        Column("rep_id", "string", "Person id 人员编号"),
        Column("name", "string", "Name 姓名"),
        Column("team_id", "string", "Unit the person belongs to (a team for reps) 所属单元"),
        Column("role", "string", "rep / city_manager / region_manager / hq", enum=ROLES),
        opt("hire_date", "date", "Hire date (empty = unknown) 入职日期"),
        opt("termination_date", "date", "Termination date 离职日期"),
        opt(
            "im_user_id",
            "string",
            "Chat account (企业微信/钉钉 userid): links chat archives to the person 通讯账号",
            key=True,
        ),
    ),
    ("rep_id",),
    row_rules=(
        RowRule("termination_date", "termination_date < hire_date", "terminated before hired"),
    ),
)

_CUSTOMERS = Table(
    "customers",
    "crm",
    "Customer accounts 客户. One row per customer.",
    (
        Column("customer_id", "string", "Customer id 客户编号"),
        Column("name", "string", "Customer name 客户名称"),
        Column("industry", "string", "Industry (empty = unknown) 行业", nullable=True),
        opt("city_id", "string", "City unit (empty = unknown) 所在城市"),
        opt("size_band", "string", "Size band (empty = unknown) 规模档"),
        opt("created_at", "timestamp", "Created (empty = unknown) 创建时间"),
    ),
    ("customer_id",),
)

_LEADS = Table(
    "leads",
    "crm",
    "Leads 线索. One row per lead.",
    (
        Column("lead_id", "string", "Lead id 线索编号"),
        Column("customer_id", "string", "Customer (empty = not yet an account) 客户", nullable=True),
        Column("source", "string", "Lead source (empty = unknown) 来源", nullable=True),
        Column("created_at", "timestamp", "Created 创建时间"),
        Column("assigned_rep_id", "string", "Assigned rep (empty = unassigned) 分配销售", nullable=True),
        opt("first_response_at", "timestamp", "First response 首次响应时间"),
        opt("quality_score", "float", "Lead quality 0–100 线索质量", min_value=0, max_value=100),
    ),
    ("lead_id",),
    row_rules=(
        RowRule(
            "first_response_at",
            "first_response_at < created_at",
            "first response before the lead was created",
        ),
    ),
)

_OPPORTUNITIES = Table(
    "opportunities",
    "crm",
    "Opportunities 商机, as they stand in the latest extract. One row per opportunity.",
    (
        Column("opportunity_id", "string", "Opportunity id 商机编号"),
        opt("lead_id", "string", "Originating lead (empty = unknown) 来源线索"),
        Column(
            "customer_id", "string", "Customer (empty = no account yet) 客户", nullable=True
        ),
        Column("owner_rep_id", "string", "Owner 负责人"),
        opt("product_line", "string", "Product line (empty = unknown) 产品线"),
        Column(
            "created_at",
            "timestamp",
            "Created (empty = unknown, e.g. a prospecting deal not yet engaged) 创建时间",
            nullable=True,
        ),
        Column("stage", "string", "Canonical stage 阶段", enum=STAGES),
        Column("status", "string", "open / won / lost", enum=("open", "won", "lost")),
        Column(
            "amount",
            "decimal",
            "Amount (yuan) 金额(元); empty = not yet known (open deals often have none)",
            nullable=True,
            min_value=0,
        ),
        opt("forecast_amount", "decimal", "Rep's forecast amount 预测金额", min_value=0),
        opt(
            "expected_close_date",
            "string",
            "Expected close as typed: may be empty or words like 尽快 预计成交日期(原文); "
            "a date in one of the profile's formats is written as YYYY-MM-DD",
            free_text=True,
        ),
        opt("probability", "float", "Win probability 0–1 赢率", min_value=0, max_value=1),
        opt(
            "requirement_doc_amount",
            "decimal",
            "Amount in the requirement doc 需求说明书金额",
            min_value=0,
        ),
        opt("closed_at", "timestamp", "Closed 关闭时间"),
        opt("loss_reason_code", "string", "Stated loss reason code 输单原因代码"),
        opt("loss_reason_text", "string", "Stated loss reason text 输单原因说明", free_text=True),
        opt(
            "amount_original",
            "decimal",
            "Amount in the exported currency, before conversion to yuan (empty = exported in yuan) "
            "原币金额; filled by the ingest when a profile converts amounts",
        ),
        opt(
            "currency",
            "string",
            "ISO code of amount_original (empty = exported in yuan) 原币种; "
            "filled by the ingest when a profile converts amounts",
        ),
    ),
    ("opportunity_id",),
    row_rules=(
        RowRule("closed_at", "closed_at < created_at", "closed before it was created"),
        RowRule(
            "status",
            "(stage in ('won', 'lost') or status in ('won', 'lost')) and stage <> status",
            "stage and status disagree (won/lost must match)",
        ),
    ),
    reference_rules=(
        ReferenceRule(
            "closed_at",
            "leads",
            (("lead_id", "lead_id"),),
            "t.status = 'won' and t.closed_at < r.created_at",
            "won before its lead was created",
            action="flag",
        ),
    ),
)

_STAGE_HISTORY = Table(
    "opportunity_stage_history",
    "crm",
    "Every stage change 阶段变更. One row per opportunity per stage entry.",
    (
        Column("opportunity_id", "string", "Opportunity 商机"),
        Column("stage", "string", "Stage entered 进入阶段", enum=STAGES),
        Column("entered_at", "timestamp", "Entered 进入时间"),
        opt("probability", "float", "Probability set at entry 0–1 赢率", min_value=0, max_value=1),
        Column("changed_by", "string", "Who changed it (empty = unknown) 操作人", nullable=True),
        opt(
            "derived_from",
            "string",
            "Empty for a CRM history row; else what a derived row rests on when the export has "
            "no stage history (created_at / closed_at / extract:YYYY-MM-DD) 推导依据",
        ),
    ),
    ("opportunity_id", "stage", "entered_at"),
)

_QUALIFICATION_EVENTS = Table(
    "qualification_events",
    "crm",
    "Qualification facts recorded on an opportunity 资格确认事件. One row per fact recorded.",
    (
        Column("opportunity_id", "string", "Opportunity 商机"),
        Column("kind", "string", "Fact kind 事实类型", enum=QUALIFICATION_KINDS),
        Column("recorded_at", "timestamp", "Recorded 记录时间"),
    ),
    ("opportunity_id", "kind", "recorded_at"),
)

_ACTIVITIES = Table(
    "activities",
    "crm",
    "Sales activities 销售活动, visit nodes among them. One row per activity.",
    (
        Column("activity_id", "string", "Activity id 活动编号"),
        Column("rep_id", "string", "Rep 销售"),
        opt("opportunity_id", "string", "Opportunity 商机"),
        opt("visit_id", "string", "Visit the node belongs to 拜访编号"),
        Column(
            "kind",
            "string",
            "call / visit / demo / negotiation / … 活动类型",
            enum=("call", "visit", "demo", "negotiation", "email", "meeting"),
            enum_is_open=True,
        ),
        opt("node", "string", "Visit node 拜访节点", enum=VISIT_NODES),
        Column("occurred_at", "timestamp", "Occurred 发生时间"),
        opt("note", "string", "Free-text note 备注", free_text=True),
    ),
    ("activity_id",),
)

_TARGETS = Table(
    "targets",
    "crm",
    "Targets 目标: units carry assigned targets, reps committed ones. One row per period, unit and kind.",
    (
        Column("period", "period", "Month YYYY-MM 月份"),
        Column("unit_id", "string", "Org unit or rep_id 单元或销售"),
        Column("level", "string", "hq / region / city / team / rep", enum=TARGET_LEVELS),
        Column("kind", "string", "assigned / committed", enum=("assigned", "committed")),
        Column("amount", "decimal", "Target (yuan) 目标金额", min_value=0),
        opt("signed_at", "timestamp", "Signed by the rep 签字确认时间"),
    ),
    ("period", "unit_id", "kind"),
)

_TARGET_ADJUSTMENTS = Table(
    "target_adjustments",
    "crm",
    "Target adjustment requests 目标调整申请. One row per request.",
    (
        Column("request_id", "string", "Request id 申请编号"),
        Column("rep_id", "string", "Rep 销售"),
        Column("period", "period", "Month YYYY-MM 月份"),
        Column("requested_at", "timestamp", "Requested 申请时间"),
        Column("old_amount", "decimal", "Old target 原目标", min_value=0),
        Column("new_amount", "decimal", "Requested target 新目标", min_value=0),
        Column(
            "status",
            "string",
            "adopted / rejected / pending",
            enum=("adopted", "rejected", "pending"),
        ),
        opt("decided_at", "timestamp", "Decided 决定时间"),
    ),
    ("request_id",),
    row_rules=(
        RowRule("decided_at", "decided_at < requested_at", "decided before it was requested"),
    ),
)

_DEVIATION_REPORTS = Table(
    "deviation_reports",
    "crm",
    "Weekly target-deviation reports 目标偏差归因表. One row per report.",
    (
        Column("report_id", "string", "Report id 报告编号"),
        Column("unit_id", "string", "Unit 单元"),
        Column("week", "date", "ISO week start (Monday) 周"),
        Column("submitted_at", "timestamp", "Submitted 提交时间"),
        Column(
            "reason_type",
            "string",
            "A decision chain changed / B competitor price cut / C our delivery delay / D other",
            enum=("A", "B", "C", "D"),
        ),
        Column("reason_text", "string", "Reason text 原因说明", free_text=True),
        opt("deviation_amount", "decimal", "Deviation (yuan) 偏差金额"),
    ),
    ("report_id",),
)

_FORECAST_SUBMISSIONS = Table(
    "forecast_submissions",
    "crm",
    "Reps' forecast submissions 销售预测提交. One row per rep, period and submission.",
    (
        Column("rep_id", "string", "Rep 销售"),
        Column("period", "period", "Forecast month YYYY-MM 预测月份"),
        Column("submitted_at", "timestamp", "Submitted 提交时间"),
        Column("amount", "decimal", "Forecast (yuan) 预测金额", min_value=0),
    ),
    ("rep_id", "period", "submitted_at"),
)

_COMPETITOR_EVENTS = Table(
    "competitor_events",
    "crm",
    "Competitor moves by region 竞品动态. One row per event.",
    (
        Column("region_id", "string", "Region 大区"),
        Column("occurred_on", "date", "Date 日期"),
        Column("competitor", "string", "Competitor 竞品"),
        Column(
            "kind",
            "string",
            "price_cut / new_product / … 类型",
            enum=("price_cut", "new_product", "promotion", "key_hire"),
            enum_is_open=True,
        ),
        opt("magnitude", "float", "Size of the move (e.g. price cut share) 幅度"),
    ),
    ("region_id", "occurred_on", "competitor", "kind"),
)

_MARKET_EVENTS = Table(
    "market_events",
    "crm",
    "Market and policy events 市场与政策事件. One row per event (and region).",
    (
        Column("name", "string", "Event name 事件"),
        opt("region_id", "string", "Region (empty = all regions) 大区"),
        Column("start_on", "date", "Start 开始", future_ok=True),
        Column("end_on", "date", "End 结束", future_ok=True),
        opt("expected_uplift", "float", "Expected uplift share 预期提升"),
    ),
    ("name", "start_on"),
    row_rules=(RowRule("end_on", "end_on < start_on", "ends before it starts"),),
)

_SOP_CARDS = Table(
    "sop_cards",
    "crm",
    "SOP cards SOP卡片: distilled know-how. One row per card.",
    (
        Column("card_id", "string", "Card id 卡片编号"),
        Column("title", "string", "Title 标题", free_text=True),
        Column("scenario", "string", "Scenario 适用场景", free_text=True),
        Column("must_do", "string", "Must-do actions 必做动作", free_text=True),
        Column("taboos", "string", "Taboos 禁忌雷区", free_text=True),
        Column("validation_points", "string", "Validation points 效果验证点", free_text=True),
        opt("industry", "string", "Industry (empty = all) 行业"),
        opt("stage", "string", "Stage (empty = all) 阶段", enum=STAGES),
        Column("permission_level", "string", "Permission level 权限级别"),
        Column("source", "string", "ops / co-created 来源", enum=("ops", "co-created")),
        opt("author_rep_id", "string", "Author for co-created cards 作者"),
        Column("status", "string", "active / retired / draft", enum=("active", "retired", "draft")),
        Column("created_at", "timestamp", "Created 创建时间"),
    ),
    ("card_id",),
)

_SOP_USAGE = Table(
    "sop_usage",
    "crm",
    "SOP card uses SOP使用记录. One row per use.",
    (
        Column("usage_id", "string", "Usage id 使用编号"),
        Column("card_id", "string", "Card 卡片"),
        Column("rep_id", "string", "Rep 销售"),
        opt("opportunity_id", "string", "Opportunity 商机"),
        Column("used_at", "timestamp", "Used 使用时间"),
    ),
    ("usage_id",),
)

_SOP_FEEDBACK = Table(
    "sop_feedback",
    "crm",
    "Feedback on a card use 应用反馈表. One row per use with feedback.",
    (
        Column("usage_id", "string", "Usage 使用编号"),
        Column("submitted_at", "timestamp", "Submitted 提交时间"),
        Column(
            "verdict",
            "string",
            "fully / partially / not_applicable 完全适用/部分适用/不适用",
            enum=("fully", "partially", "not_applicable"),
        ),
        opt("reason_text", "string", "Reason 原因", free_text=True),
    ),
    ("usage_id",),
)

_EXTERNAL_CONTACTS = Table(
    "external_contacts",
    "chat",
    "Customer contacts of the chat tool 外部联系人 (企业微信 客户联系). One row per contact: "
    "links chat messages to CRM customers and opportunities.",
    (
        Column("contact_id", "string", "Contact id (external_userid) 外部联系人ID"),
        opt("name", "string", "Contact name 联系人"),
        opt("corp_name", "string", "Company the contact gave, or the rep noted 企业名称/备注企业"),
        opt("follow_user_id", "string", "Chat account of the employee following the contact 跟进成员"),
        opt("added_at", "timestamp", "Added as a contact 添加时间"),
        opt("customer_id", "string", "CRM customer, when the export has it 客户"),
    ),
    ("contact_id",),
    formats=("csv", "jsonl", "parquet"),
)

_CHAT_MESSAGES = Table(
    "chat_messages",
    "chat",
    "Chat and call-transcript messages 企业微信/钉钉/通话转写. One row per message.",
    (
        Column("message_id", "string", "Message id 消息编号"),
        Column("conversation_id", "string", "Conversation 会话"),
        Column(
            "channel",
            "string",
            "wecom / dingtalk / phone_transcript 渠道",
            enum=("wecom", "dingtalk", "phone_transcript"),
        ),
        opt("opportunity_id", "string", "Opportunity 商机"),
        Column("rep_id", "string", "Rep 销售"),
        Column("contact_id", "string", "Customer contact 客户联系人"),
        Column("sender", "string", "rep / customer 发送方", enum=("rep", "customer")),
        Column("sent_at", "timestamp", "Sent 发送时间"),
        Column("text", "string", "Message text 内容", free_text=True),
    ),
    ("message_id",),
    formats=("jsonl", "parquet"),
    any_file_in_folder=True,
)

_CONTRACTS = Table(
    "contracts",
    "finance",
    "Signed contracts 合同 (finance). One row per contract.",
    (
        Column("contract_id", "string", "Contract id 合同编号"),
        Column("opportunity_id", "string", "Opportunity 商机"),
        Column("signed_at", "timestamp", "Signed 签约时间"),
        Column("amount", "decimal", "Contract amount (yuan) 合同金额", min_value=0),
    ),
    ("contract_id",),
)

_PAYMENTS = Table(
    "payments",
    "finance",
    "Payments received 回款 (finance). One row per payment.",
    (
        Column("payment_id", "string", "Payment id 回款编号"),
        Column("contract_id", "string", "Contract 合同"),
        Column("amount", "decimal", "Amount (yuan) 金额", min_value=0),
        Column("received_at", "timestamp", "Received 到账时间"),
        Column("recorded_in_finance_at", "timestamp", "Recorded in finance 财务入账时间"),
        opt("synced_to_crm_at", "timestamp", "Synced to CRM (empty = not yet) 同步至CRM时间"),
    ),
    ("payment_id",),
    row_rules=(
        RowRule(
            "recorded_in_finance_at",
            "recorded_in_finance_at < received_at",
            "recorded in finance before it was received",
        ),
        RowRule(
            "synced_to_crm_at",
            "synced_to_crm_at < recorded_in_finance_at",
            "synced to CRM before finance recorded it",
        ),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        _ORG_UNITS,
        _REPS,
        _CUSTOMERS,
        _LEADS,
        _OPPORTUNITIES,
        _STAGE_HISTORY,
        _QUALIFICATION_EVENTS,
        _ACTIVITIES,
        _TARGETS,
        _TARGET_ADJUSTMENTS,
        _DEVIATION_REPORTS,
        _FORECAST_SUBMISSIONS,
        _COMPETITOR_EVENTS,
        _MARKET_EVENTS,
        _SOP_CARDS,
        _SOP_USAGE,
        _SOP_FEEDBACK,
        _EXTERNAL_CONTACTS,
        _CHAT_MESSAGES,
        _CONTRACTS,
        _PAYMENTS,
    )
}


def key_column_names() -> frozenset[str]:
    """Names of the identifier columns of every table (exempt from the personal-data scan)."""
    return frozenset(c.name for t in TABLES.values() for c in t.columns if c.is_key)


def table(name: str) -> Table:
    try:
        return TABLES[name]
    except KeyError:
        known = ", ".join(sorted(TABLES))
        raise KeyError(f"unknown landing table {name!r}; the contract knows: {known}") from None


def tables_in(source: str) -> list[Table]:
    return [t for t in TABLES.values() if t.source == source]


@cache
def _file_name_pattern() -> re.Pattern[str]:
    names = "|".join(sorted((re.escape(n) for n in TABLES), key=len, reverse=True))
    return re.compile(
        rf"^(?P<table>{names})(?:[_\-.](?P<part>[^/]+?))?\.(?P<ext>csv|jsonl|json|parquet)$"
    )


def table_for_file(source: str, file_name: str) -> Table | None:
    """The table a landing file belongs to by its name (``opportunities_2026-03-31.csv``).

    Returns None when the name matches no table of that landing folder.
    """
    match = _file_name_pattern().match(file_name)
    if match and TABLES[match["table"]].source == source:
        return TABLES[match["table"]]
    for t in tables_in(source):
        if t.any_file_in_folder and file_name.rsplit(".", 1)[-1] in t.formats:
            return t
    return None
