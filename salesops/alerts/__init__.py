"""Alert pushes 告警推送: the published snapshot's ``marts.fct_alerts`` and the run's own
failures, pushed to 企业微信 / 钉钉 group bots and JSON webhooks (salesops/alerts/channels.py),
each event once per destination.

- **Once**: a ledger in ``$SALESOPS_HOME/alerts/ledger.jsonl`` keyed by (alert_id,
  destination); a line ``sent`` is appended only after the destination accepted the message,
  so a rerun sends nothing new and a failed send is tried again on the next run.
- **Never fails the run**: a failing destination is retried a few times with backoff, then
  recorded ``failed`` (ledger and log) and left for the next run; :func:`push` never raises
  because of a destination.
- **No secret in the logs**: destinations are named by a hash of their URL; a log filter masks
  every part of the URLs in apprise's own log lines while a push runs.
- Group bots accept 20 messages a minute, so alerts are sent in digests: one message per kind
  per destination (cut to the bots' size limit), at most ``max_messages`` per run; what is left
  goes on the next run.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import apprise

from salesops.alerts.channels import (
    Destination,
    DestinationError,
    destinations_from_env,
    masked_logs,
)

LOG = logging.getLogger("salesops.alerts")

LANGUAGES_VARIABLE = "SALESOPS_ALERT_LANGUAGES"
RETRIES_VARIABLE = "SALESOPS_ALERT_RETRIES"
BACKOFF_VARIABLE = "SALESOPS_ALERT_BACKOFF_SECONDS"
MAX_MESSAGES_VARIABLE = "SALESOPS_ALERT_MAX_MESSAGES"

DEVIATION_REMINDER = "deviation_report"
RUN_FAILURE = "run_failure"
QUALITY_GATE_FAILURE = "quality_gate_failure"
DAILY_KINDS = ("coaching_alert", "health_flag", "mot_violation", "reactivation", "finance_sync")
"""Pushed after the daily refresh; deviation-report reminders wait for Friday 15:00."""

MESSAGE_BYTES = 3800
"""A digest's body stays under this many bytes (WeCom's markdown limit is 4096, DingTalk's 20000)."""


@dataclass(frozen=True)
class Alert:
    alert_id: str
    alert_kind: str
    label_zh: str
    label_en: str
    message_zh: str
    message_en: str
    sort_order: int = 0


@dataclass(frozen=True)
class AlertSettings:
    languages: tuple[str, ...] = ("zh", "en")
    retries: int = 3
    """Attempts per message after the first one fails (so 1 + retries in all)."""
    backoff_seconds: float = 1.0
    """Wait before the n-th retry: backoff × 2^(n−1) (1 s, 2 s, 4 s by default)."""
    max_messages: int = 40

    @classmethod
    def from_env(cls, environ=os.environ) -> AlertSettings:
        languages = tuple(
            lang
            for lang in (environ.get(LANGUAGES_VARIABLE) or "zh,en").replace(" ", "").split(",")
            if lang in ("zh", "en")
        )
        return cls(
            languages=languages or ("zh", "en"),
            retries=int(environ.get(RETRIES_VARIABLE) or 3),
            backoff_seconds=float(environ.get(BACKOFF_VARIABLE) or 1.0),
            max_messages=int(environ.get(MAX_MESSAGES_VARIABLE) or 40),
        )


def alerts_dir(home: Path) -> Path:
    return home / "alerts"


def read_alerts(snapshot: Path, kinds: Iterable[str] | None = None) -> list[Alert]:
    """The alerts of the published snapshot (read-only), of ``kinds`` (all when None); none
    when there is no snapshot yet or it predates fct_alerts."""
    import duckdb

    if not snapshot.exists():
        LOG.warning(f"No published snapshot at {snapshot}: no alerts to push (run salesops run).")
        return []
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        found = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'marts' and table_name = 'fct_alerts'"
        ).fetchone()[0]
        if not found:
            LOG.warning(f"{snapshot} has no marts.fct_alerts: no alerts to push (rebuild it).")
            return []
        rows = con.execute(
            "select alert_id, alert_kind, label_zh, label_en, message_zh, message_en, sort_order "
            "from marts.fct_alerts order by sort_order, alert_id"
        ).fetchall()
    finally:
        con.close()
    wanted = set(kinds) if kinds is not None else None
    return [Alert(*row) for row in rows if wanted is None or row[1] in wanted]


def run_outcome_alerts(
    run_id: str,
    failed_steps: Sequence[str],
    failed_checks: Sequence[str],
    log_path: Path | str | None = None,
) -> list[Alert]:
    """Alerts for a failed run: one quality-gate alert per failed blocking check, one run
    failure naming the failed steps (none when nothing failed). Keyed by run id and check, so
    a failure is pushed once."""
    where_zh = f"运行日志：{log_path}。" if log_path else ""
    where_en = f" Run log: {log_path}." if log_path else ""
    alerts = [
        Alert(
            alert_id=f"{QUALITY_GATE_FAILURE}:{run_id}:{check}",
            alert_kind=QUALITY_GATE_FAILURE,
            label_zh="质量门禁未通过",
            label_en="Quality gate failed",
            message_zh=(
                f"【质量门禁未通过】运行 {run_id} 的检查 {check} 未通过，本次未发布新数据，"
                f"看板仍为上一版快照。请数据管理员查看质量报告并修正源文件。{where_zh}"
            ),
            message_en=(
                f"[Quality gate failed] Check {check} of run {run_id} failed; nothing new was "
                "published and the dashboards still show the previous snapshot. Please have the "
                f"data owner read the quality report and fix the extract.{where_en}"
            ),
            sort_order=0,
        )
        for check in failed_checks
    ]
    other_steps = [step for step in failed_steps if step not in failed_checks]
    if other_steps or not failed_checks:
        steps = ", ".join(other_steps) or "?"
        alerts.append(
            Alert(
                alert_id=f"{RUN_FAILURE}:{run_id}",
                alert_kind=RUN_FAILURE,
                label_zh="运行失败",
                label_en="Run failed",
                message_zh=(
                    f"【运行失败】每日数据运行 {run_id} 在 {steps} 失败，看板仍为上一版快照。"
                    f"请查看运行日志后重新运行 salesops run。{where_zh}"
                ),
                message_en=(
                    f"[Run failed] Daily run {run_id} failed at {steps}; the dashboards still "
                    f"show the previous snapshot. Please read the run log and rerun salesops run.{where_en}"
                ),
                sort_order=0,
            )
        )
    return alerts


class Ledger:
    """``ledger.jsonl``: one line per attempt outcome (alert_id, destination key, status, at).
    An alert counts as sent to a destination once a ``sent`` line exists for the pair."""

    def __init__(self, folder: Path):
        self.path = folder / "ledger.jsonl"

    def sent(self) -> set[tuple[str, str]]:
        if not self.path.exists():
            return set()
        done = set()
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:  # a line cut by a crash: that send is simply not recorded
                continue
            if entry.get("status") == "sent":
                done.add((entry["alert_id"], entry["destination"]))
        return done

    def record(
        self, alert_ids: Iterable[str], destination: str, status: str, attempts: int
    ) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        lines = "".join(
            json.dumps(
                {
                    "alert_id": alert_id,
                    "destination": destination,
                    "status": status,
                    "attempts": attempts,
                    "at": at,
                },
                ensure_ascii=False,
            )
            + "\n"
            for alert_id in alert_ids
        )
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(lines)
            handle.flush()
            os.fsync(handle.fileno())


@dataclass
class PushResult:
    sent: int = 0
    failed: int = 0
    already_sent: int = 0
    deferred: int = 0
    messages: int = 0
    failed_destinations: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"alerts 告警: {self.sent} sent 已推送, {self.already_sent} already sent, "
            f"{self.failed} failed 失败 (retried next run), {self.deferred} deferred to next run"
        )


def _alert_text(alert: Alert, languages: Sequence[str]) -> str:
    texts = {"zh": alert.message_zh, "en": alert.message_en}
    return "\n".join(f"> {texts[lang]}" for lang in languages)


def digests(
    alerts: Sequence[Alert], languages: Sequence[str]
) -> list[tuple[str, str, list[Alert]]]:
    """(title, markdown body, alerts): the alerts of one kind per message, each body under
    MESSAGE_BYTES; the kinds take turns (every kind's first message, then every kind's
    second…), so when a run's message budget runs out no kind waits behind a long backlog."""
    by_kind: dict[str, list[Alert]] = {}
    for alert in alerts:
        by_kind.setdefault(alert.alert_kind, []).append(alert)
    ranked = []
    for group in by_kind.values():
        head = group[0]
        title = " / ".join({"zh": head.label_zh, "en": head.label_en}[lang] for lang in languages)
        chunks: list[list[Alert]] = [[]]
        size = 0
        for alert in group:
            cost = len(_alert_text(alert, languages).encode("utf-8")) + 2
            if chunks[-1] and size + cost > MESSAGE_BYTES:
                chunks.append([])
                size = 0
            chunks[-1].append(alert)
            size += cost
        for turn, chunk in enumerate(chunks):
            body = "\n\n".join(_alert_text(a, languages) for a in chunk)
            ranked.append(((turn, head.sort_order, head.alert_kind), (title, body, chunk)))
    return [message for _, message in sorted(ranked, key=lambda pair: pair[0])]


def _send(
    destination: Destination,
    title: str,
    body: str,
    settings: AlertSettings,
    sleep: Callable[[float], None],
) -> tuple[bool, int]:
    for attempt in range(1, settings.retries + 2):
        try:
            ok = destination.plugin.notify(
                body=body, title=title, body_format=apprise.NotifyFormat.MARKDOWN
            )
        except Exception as exc:  # a destination must never fail the run
            LOG.warning(f"{destination.label}: {type(exc).__name__} on attempt {attempt}")
            ok = False
        if ok:
            return True, attempt
        if attempt <= settings.retries:
            sleep(settings.backoff_seconds * 2 ** (attempt - 1))
    return False, settings.retries + 1


def push(
    alerts: Sequence[Alert],
    destinations: Sequence[Destination],
    ledger: Ledger,
    settings: AlertSettings | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> PushResult:
    """Sends each alert not yet sent to each destination; records every outcome."""
    settings = settings or AlertSettings()
    result = PushResult()
    done = ledger.sent()
    with masked_logs(s for d in destinations for s in d.secrets):
        for destination in destinations:
            pending = [a for a in alerts if (a.alert_id, destination.key) not in done]
            result.already_sent += len(alerts) - len(pending)
            for number, (title, body, batch) in enumerate(digests(pending, settings.languages)):
                if number >= settings.max_messages:
                    result.deferred += len(batch)
                    continue
                ok, attempts = _send(destination, title, body, settings, sleep)
                ids = [a.alert_id for a in batch]
                result.messages += 1
                if ok:
                    ledger.record(ids, destination.key, "sent", attempts)
                    result.sent += len(ids)
                else:
                    ledger.record(ids, destination.key, "failed", attempts)
                    result.failed += len(ids)
                    if destination.label not in result.failed_destinations:
                        result.failed_destinations.append(destination.label)
                    LOG.warning(
                        f"{destination.label}: {len(ids)} alert(s) not accepted after {attempts} "
                        "attempts; recorded as failed, retried on the next run 推送失败"
                    )
    LOG.info(result.line())
    return result


def push_alerts(
    home: Path,
    alerts: Sequence[Alert],
    environ=os.environ,
    sleep: Callable[[float], None] = time.sleep,
) -> PushResult:
    """Pushes ``alerts`` to the destinations of SALESOPS_ALERT_URLS; none configured = nothing
    sent (logged). Never raises because a destination fails."""
    try:
        destinations = destinations_from_env(environ)
    except DestinationError as exc:
        LOG.error(str(exc))
        return PushResult(failed=len(alerts), failed_destinations=["SALESOPS_ALERT_URLS"])
    if not destinations:
        LOG.info("SALESOPS_ALERT_URLS is not set: alerts are not pushed 未配置告警推送地址")
        return PushResult()
    return push(
        alerts, destinations, Ledger(alerts_dir(home)), AlertSettings.from_env(environ), sleep
    )
