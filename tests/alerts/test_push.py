"""Alert pushes against a local HTTP server that records every request (no network)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from salesops.alerts import (
    Alert,
    Ledger,
    alerts_dir,
    digests,
    push_alerts,
    read_alerts,
    run_outcome_alerts,
)
from salesops.alerts.channels import URLS_VARIABLE

WECOM_KEY = "wecomkey0123456789abcdef"
DING_TOKEN = "dingtoken0123456789abcdef"
DING_SECRET = "SECdingsecret0123456789abcdef"

MOT = Alert(
    alert_id="mot_violation:OP1|1",
    alert_kind="mot_violation",
    label_zh="MOT 违规",
    label_en="MOT violation",
    message_zh="【MOT 违规】张楠，郭淑英 的商机「武汉和远物流股份有限公司」（¥17.8万）进入报价阶段前缺少：预算范围。请督促补录关键事实后再推进报价。",
    message_en="[MOT violation] 张楠: 郭淑英's opportunity with 武汉和远物流股份有限公司 (¥17.8万) entered the quote stage without: budget range. Please have the missing facts recorded before the quote moves on.",
    sort_order=3,
)


class Recorder:
    """A local HTTP server: records each POST and answers with the next scripted status."""

    def __init__(self, statuses=None, default=200):
        self.requests: list[dict] = []
        self.statuses = list(statuses or [])
        self.default = default
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                parsed = urllib.parse.urlsplit(self.path)
                recorder.requests.append(
                    {
                        "path": parsed.path,
                        "query": dict(urllib.parse.parse_qsl(parsed.query)),
                        "json": json.loads(body or b"{}"),
                    }
                )
                status = recorder.statuses.pop(0) if recorder.statuses else recorder.default
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errcode": 0, "errmsg": "ok"}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _env(recorder: Recorder, *kinds: str, **extra: str) -> dict[str, str]:
    base = urllib.parse.quote(recorder.base, safe="")
    urls = {
        "wecom": f"wecombot://{WECOM_KEY}?base={base}",
        "dingtalk": f"dingtalk://{DING_SECRET}@{DING_TOKEN}?base={base}",
        "json": f"json://127.0.0.1:{recorder.server.server_address[1]}/hook",
    }
    return {
        URLS_VARIABLE: " ".join(urls[k] for k in kinds),
        "SALESOPS_ALERT_MIN_INTERVAL_SECONDS": "0",
        "SALESOPS_ALERT_BACKOFF_SECONDS": "0.01",
        **extra,
    }


def _no_sleep(_seconds: float) -> None:
    pass


def test_wecom_payload_is_markdown_with_customer_and_amount(tmp_path):
    with Recorder() as server:
        result = push_alerts(tmp_path, [MOT], _env(server, "wecom"), sleep=_no_sleep)
    assert result.sent == 1 and result.failed == 0
    [request] = server.requests
    assert request["path"] == "/cgi-bin/webhook/send"
    assert request["query"] == {"key": WECOM_KEY}
    payload = request["json"]
    assert payload["msgtype"] == "markdown"
    content = payload["markdown"]["content"]
    assert "武汉和远物流股份有限公司" in content and "¥17.8万" in content
    assert "【MOT 违规】张楠" in content and "[MOT violation] 张楠" in content
    assert content.startswith("**MOT 违规 / MOT violation**")


def test_dingtalk_payload_and_signature(tmp_path):
    with Recorder() as server:
        result = push_alerts(tmp_path, [MOT], _env(server, "dingtalk"), sleep=_no_sleep)
    assert result.sent == 1
    [request] = server.requests
    assert request["path"] == "/robot/send"
    query = request["query"]
    assert query["access_token"] == DING_TOKEN
    # recomputed here as DingTalk does: base64(HMAC-SHA256(secret, "{timestamp}\n{secret}"))
    expected = base64.b64encode(
        hmac.new(
            DING_SECRET.encode(),
            f"{query['timestamp']}\n{DING_SECRET}".encode(),
            hashlib.sha256,
        ).digest()
    ).decode()
    assert query["sign"] == expected
    payload = request["json"]
    assert payload["msgtype"] == "markdown"
    assert payload["markdown"]["title"] == "MOT 违规 / MOT violation"
    assert "武汉和远物流股份有限公司" in payload["markdown"]["text"]
    assert "¥17.8万" in payload["markdown"]["text"]


def test_generic_json_webhook(tmp_path):
    with Recorder() as server:
        push_alerts(tmp_path, [MOT], _env(server, "json"), sleep=_no_sleep)
    [request] = server.requests
    assert request["path"] == "/hook"
    payload = request["json"]
    assert payload["title"] == "MOT 违规 / MOT violation"
    assert "¥17.8万" in payload["message"] and "武汉和远物流股份有限公司" in payload["message"]


def test_rerun_sends_nothing_new_and_new_alerts_only(tmp_path):
    second = Alert(
        **{
            **MOT.__dict__,
            "alert_id": "mot_violation:OP2|1",
            "message_zh": MOT.message_zh.replace(
                "武汉和远物流股份有限公司", "长沙新桥科技有限公司"
            ),
            "message_en": MOT.message_en.replace(
                "武汉和远物流股份有限公司", "长沙新桥科技有限公司"
            ),
        }
    )
    with Recorder() as server:
        env = _env(server, "wecom", "dingtalk")
        first = push_alerts(tmp_path, [MOT], env, sleep=_no_sleep)
        again = push_alerts(tmp_path, [MOT], env, sleep=_no_sleep)
        more = push_alerts(tmp_path, [MOT, second], env, sleep=_no_sleep)
    assert (first.sent, again.sent, again.already_sent) == (2, 0, 2)
    assert (more.sent, more.already_sent) == (2, 2)
    assert len(server.requests) == 4
    # the third run's digests hold only the new alert
    for request in server.requests[2:]:
        text = json.dumps(request["json"], ensure_ascii=False)
        assert "长沙新桥科技有限公司" in text and "武汉和远物流股份有限公司" not in text
    sent_ids = {pair[0] for pair in Ledger(alerts_dir(tmp_path)).sent()}
    assert sent_ids == {MOT.alert_id, second.alert_id}


def test_500_then_200_is_retried_and_sent_once(tmp_path):
    with Recorder(statuses=[500]) as server:
        result = push_alerts(tmp_path, [MOT], _env(server, "wecom"), sleep=_no_sleep)
        rerun = push_alerts(tmp_path, [MOT], _env(server, "wecom"), sleep=_no_sleep)
    assert len(server.requests) == 2  # the 500, then the accepted retry; nothing on rerun
    assert (result.sent, result.failed, rerun.sent) == (1, 0, 0)
    lines = [json.loads(x) for x in (tmp_path / "alerts" / "ledger.jsonl").read_text().splitlines()]
    assert [(x["status"], x["attempts"]) for x in lines] == [("sent", 2)]


def test_failing_destination_is_recorded_failed_and_retried_next_run(tmp_path):
    waits: list[float] = []
    with Recorder(default=500) as server:
        env = _env(server, "dingtalk", SALESOPS_ALERT_RETRIES="2")
        result = push_alerts(tmp_path, [MOT], env, sleep=waits.append)
    assert (result.sent, result.failed) == (0, 1)
    assert len(server.requests) == 3 and waits == [0.01, 0.02]  # bounded, doubling
    lines = [json.loads(x) for x in (tmp_path / "alerts" / "ledger.jsonl").read_text().splitlines()]
    assert [x["status"] for x in lines] == ["failed"]
    with Recorder() as healthy:
        retried = push_alerts(tmp_path, [MOT], _env(healthy, "dingtalk"), sleep=_no_sleep)
    # another port is another URL (another destination): only "sent" lines count as sent
    assert retried.sent == 1 and len(healthy.requests) == 1
    assert len(Ledger(alerts_dir(tmp_path)).sent()) == 1


def test_failed_alert_is_sent_on_the_next_run_to_the_same_destination(tmp_path):
    with Recorder(statuses=[500, 500]) as server:
        env = _env(server, "wecom", SALESOPS_ALERT_RETRIES="1")
        failed = push_alerts(tmp_path, [MOT], env, sleep=_no_sleep)
        next_run = push_alerts(tmp_path, [MOT], env, sleep=_no_sleep)
    assert (failed.failed, next_run.sent, next_run.already_sent) == (1, 1, 0)
    assert len(server.requests) == 3


def test_no_secret_in_logs(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    with Recorder(statuses=[500]) as server:
        push_alerts(tmp_path, [MOT], _env(server, "wecom", "dingtalk"), sleep=_no_sleep)
    text = caplog.text
    assert "alerts 告警: 2 sent" in text
    assert "DingTalk" in text or "WeCom" in text  # apprise's own debug lines were captured
    for secret in (WECOM_KEY, DING_TOKEN, DING_SECRET):
        assert secret not in text
    ledger = (tmp_path / "alerts" / "ledger.jsonl").read_text()
    for secret in (WECOM_KEY, DING_TOKEN, DING_SECRET):
        assert secret not in ledger


def test_languages_setting(tmp_path):
    with Recorder() as server:
        push_alerts(
            tmp_path, [MOT], _env(server, "wecom", SALESOPS_ALERT_LANGUAGES="en"), sleep=_no_sleep
        )
    content = server.requests[0]["json"]["markdown"]["content"]
    assert "[MOT violation]" in content and "【MOT 违规】" not in content


def test_unconfigured_or_bad_destination_never_raises(tmp_path):
    assert push_alerts(tmp_path, [MOT], {}, sleep=_no_sleep).sent == 0
    bad = push_alerts(tmp_path, [MOT], {URLS_VARIABLE: "wecombot://"}, sleep=_no_sleep)
    assert bad.failed == 1


def test_read_alerts_from_snapshot(tmp_path):
    snapshot = tmp_path / "salesops.duckdb"
    con = duckdb.connect(str(snapshot))
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_alerts (alert_id varchar, alert_kind varchar, label_zh varchar, "
        "label_en varchar, message_zh varchar, message_en varchar, sort_order integer)"
    )
    con.execute(
        "insert into marts.fct_alerts values (?, ?, ?, ?, ?, ?, ?), "
        "('deviation_report:S1|2026-10-26', 'deviation_report', '偏差报告提醒', "
        "'Deviation report reminder', '中', 'en', 6)",
        [
            MOT.alert_id,
            MOT.alert_kind,
            MOT.label_zh,
            MOT.label_en,
            MOT.message_zh,
            MOT.message_en,
            3,
        ],
    )
    con.close()
    assert read_alerts(snapshot)[0] == MOT
    assert [a.alert_kind for a in read_alerts(snapshot, ["deviation_report"])] == [
        "deviation_report"
    ]
    assert read_alerts(tmp_path / "missing.duckdb") == []


def test_run_outcome_alerts():
    alerts = run_outcome_alerts(
        "run-1",
        ["ingest_payments", "bronze_payments_check"],
        ["bronze_payments_check"],
        Path("/h/logs/run-1.log"),
    )
    kinds = {a.alert_kind: a for a in alerts}
    assert set(kinds) == {"quality_gate_failure", "run_failure"}
    assert (
        kinds["quality_gate_failure"].alert_id == "quality_gate_failure:run-1:bronze_payments_check"
    )
    assert "ingest_payments" in kinds["run_failure"].message_zh
    assert "bronze_payments_check" not in kinds["run_failure"].message_en
    assert [a.alert_kind for a in run_outcome_alerts("r", ["c"], ["c"])] == ["quality_gate_failure"]


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "json"])
def test_run_failure_pushed_once(tmp_path, kind):
    alerts = run_outcome_alerts("run-9", ["dbt_build"], [])
    with Recorder() as server:
        push_alerts(tmp_path, alerts, _env(server, kind), sleep=_no_sleep)
        push_alerts(tmp_path, alerts, _env(server, kind), sleep=_no_sleep)
    assert len(server.requests) == 1
    assert "运行失败" in json.dumps(server.requests[0]["json"], ensure_ascii=False)


def test_digests_cut_to_size_and_kinds_take_turns():
    many = [Alert(**{**MOT.__dict__, "alert_id": f"mot_violation:OP{n}|1"}) for n in range(30)]
    flag = Alert("health_flag:x", "health_flag", "过程异常", "Process flag", "中文", "english", 2)
    messages = digests([*many, flag], ("zh", "en"))
    assert all(len(body.encode("utf-8")) <= 3800 for _, body, _ in messages)
    assert sum(len(batch) for _, _, batch in messages) == 31
    assert [batch[0].alert_kind for _, _, batch in messages[:2]] == ["health_flag", "mot_violation"]


def test_message_budget_defers_the_rest_to_the_next_run(tmp_path):
    many = [Alert(**{**MOT.__dict__, "alert_id": f"mot_violation:OP{n}|1"}) for n in range(30)]
    with Recorder() as server:
        env = _env(server, "json", SALESOPS_ALERT_MAX_MESSAGES="1")
        first = push_alerts(tmp_path, many, env, sleep=_no_sleep)
        second = push_alerts(tmp_path, many, env, sleep=_no_sleep)
    assert first.deferred > 0 and first.sent + first.deferred == 30
    assert second.already_sent == first.sent and second.sent > 0
    assert len(server.requests) == 2
