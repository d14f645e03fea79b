"""Recovery figures per planted world 各模拟世界的真值还原指标 (issue 11, "Report per world").

    .venv/bin/python -m benchmarks.recovery_figures <world_home> [<world_home> …] [--json FILE]

A world home is a ``SALESOPS_HOME`` holding ``landing/truth.json``, ``landing/truth/*.csv``
(what the simulator planted) and ``warehouse/salesops.duckdb`` (the published snapshot, opened
read-only). A column is named after the home's folder, or ``label=path`` names it. The table is
printed as Markdown; ``--json FILE`` also writes it as JSON (figures and definitions).

Nothing here asserts a bar: the planted-truth tests hold the thresholds; this prints what comes
out. The figures read the same columns and truth fields as those tests (tests/dbt/
test_loss_attribution.py, tests/ml/test_recovery.py, tests/ml/test_signal_marts.py,
tests/dbt/test_process_health.py); marts whose key columns were renamed since a snapshot was
built (``team_id`` → ``unit_id`` in the emerging-terms mart, a rep's id in ``unit_id`` → in
``rep_id`` in the health marts) are read under either name. No simulator constant enters a
figure: planted values come from the world's own truth files.

Definitions (the window is truth.json ``generator.start_date`` … the snapshot's as_of):

Loss mix 损失原因构成 — ``marts.fct_loss_reason_mix_monthly`` at the HQ unit, lost months from
the window start, counts summed over months and normalised to shares. Distance is the total
variation distance TV(p, q) = ½ Σ_r |p_r − q_r| over reason codes (0 = same mix, 1 = disjoint):

* ``loss_mix_tv_stated``: TV(stated mix, planted true mix ``loss_reasons.planted.true_mix``);
* ``loss_mix_tv_evidence``: TV(evidence-based mix, planted true mix);
* ``loss_mix_tv_realised_true``: TV(realised true mix ``loss_reasons.realised_true_mix``,
  planted true mix) — the sampling noise floor the evidence mix cannot beat.

Per-deal evidence 单笔证据归因 — ``marts.fct_lost_opportunity_reasons`` (lost_at ≥ window start)
joined one to one to ``truth/lost_opportunities.csv``:

* ``evidence_accuracy``: among lost deals with an evidence reason, the share whose
  ``evidence_reason_code`` equals the planted ``true_reason``;
* ``evidence_coverage``: share of all lost deals that get an evidence reason at all;
* ``evidence_coverage_planted``: the same among deals the simulator planted evidence on
  (``has_evidence``);
* ``evidence_false_attribution``: share of deals without planted evidence that still get one.

Chat signals 聊天信号 — planted pairs are (opportunity, planted word) from
``truth/opportunity_signals.csv`` ``keywords`` (``|``-separated), over the words of
``keywords.effects_log_odds``; each word is read as the dictionary keyword whose keyword or
synonym it is in the snapshot's ``seeds.chat_keywords`` (a word the dictionary does not know
is listed in ``signal_words_unknown`` and counts as never detected). Detected pairs are
distinct (opportunity, keyword) of ``marts.fct_opportunity_signals_daily`` rows with
``negated = false``, for those keywords and the truth file's opportunities:

* ``signal_recall``: planted pairs detected ÷ planted pairs (a planted presence the simulator
  never wrote into a message — e.g. a deal without chat — cannot be detected: see the next);
* ``signal_recall_realised``: the same over realised pairs only — the ``signal`` rows of
  ``truth/field_phrasings.csv`` where the world writes that file (the field world's
  paraphrases), else planted pairs whose deal has a chat message (``bronze/chat_messages``)
  containing the planted word verbatim;
* ``signal_precision``: planted pairs detected ÷ detected pairs (a detection of one of these
  keywords on an opportunity where it was not planted is a false one).

Emerging term 新兴词 — ``marts.fct_team_emerging_terms_weekly`` rows of the planted team and week
(truth.json ``emerging_term.team_id``/``week_start``); the term is compared normalised the way
the product counts tokens (``ml.chat_signals`` dictionary normalise: traditional characters
folded, Latin case-folded):

* ``emerging_term_rank``: ``term_rank`` of the whole term (a reported term is a run of 1–4
  tokens spelt by joining them, ``ml/chat_signals/terms.py``; none when no reported term
  spells it);
* ``emerging_piece_best_rank``: the best ``term_rank`` among reported terms of two or more
  characters that are a part of the term (the whole term itself included), with that term.

Process-health flags 过程健康预警 — planted rep-weeks ``truth/outlier_rep_weeks.csv`` (rep, week,
metric) against rep-scope rows of ``marts.fct_process_health_flags``:

* ``flag_recall``: planted rep-weeks flagged ÷ planted rep-weeks;
* ``flag_precision``: planted flags ÷ flags on the planted metrics (a flag on a planted metric at
  an unplanted rep-week counts as false); flags on other metrics are counted apart
  (``flags_other_metrics``), since nothing was planted there to judge them by.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd


@dataclass(frozen=True)
class World:
    """A built planted world: truth files and the published snapshot (read-only)."""

    name: str
    home: Path
    truth: dict

    @classmethod
    def open(cls, spec: str) -> World:
        name, _, path = spec.rpartition("=")
        home = Path(path).resolve()
        truth = json.loads((home / "landing" / "truth.json").read_text(encoding="utf-8"))
        return cls(name or home.name, home, truth)

    @property
    def snapshot(self) -> Path:
        return self.home / "warehouse" / "salesops.duckdb"

    def truth_csv(self, name: str) -> pd.DataFrame:
        return pd.read_csv(self.home / "landing" / "truth" / f"{name}.csv", dtype={"keywords": str})

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        con = duckdb.connect(str(self.snapshot), read_only=True)
        try:
            return con.execute(sql, params or []).df()
        finally:
            con.close()

    def columns(self, schema: str, table: str) -> set[str]:
        return set(
            self.query(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ?",
                [schema, table],
            )["column_name"]
        )

    def first_column(self, schema: str, table: str, *names: str) -> str:
        """The first of ``names`` the table has (a column renamed since older snapshots)."""
        present = self.columns(schema, table)
        for name in names:
            if name in present:
                return name
        raise KeyError(f"{schema}.{table} has none of {names}")

    @property
    def window_start(self) -> str:
        return self.truth["generator"]["start_date"]


def total_variation(a: pd.Series, b: pd.Series) -> float:
    """½ Σ |a − b| over the union of both indexes (a missing share is 0)."""
    index = a.index.union(b.index)
    return 0.5 * float(
        (a.reindex(index, fill_value=0) - b.reindex(index, fill_value=0)).abs().sum()
    )


def _shares(values: pd.Series | dict) -> pd.Series:
    series = pd.Series(values, dtype=float)
    return series / series.sum()


def loss_mix(world: World) -> dict:
    mix = world.query(
        "select reason_code, sum(stated_count) as stated, sum(evidence_count) as evidence "
        "from marts.fct_loss_reason_mix_monthly as mix "
        "join marts.dim_org_units as units on units.unit_id = mix.unit_id "
        "where units.level = 'hq' and mix.lost_month >= cast(? as date) group by reason_code",
        [world.window_start],
    ).set_index("reason_code")
    truth = world.truth["loss_reasons"]
    planted = _shares(truth["planted"]["true_mix"])
    return {
        "loss_mix_tv_stated": total_variation(_shares(mix["stated"]), planted),
        "loss_mix_tv_evidence": total_variation(_shares(mix["evidence"]), planted),
        "loss_mix_tv_realised_true": total_variation(_shares(truth["realised_true_mix"]), planted),
    }


def evidence_per_deal(world: World) -> dict:
    lost = world.query(
        "select opportunity_id, evidence_reason_code from marts.fct_lost_opportunity_reasons "
        "where lost_at >= cast(? as timestamp)",
        [world.window_start],
    )
    truth = world.truth_csv("lost_opportunities")
    merged = lost.merge(truth, on="opportunity_id", how="inner", validate="one_to_one")
    has_reason = merged["evidence_reason_code"].notna()
    planted = merged["has_evidence"].astype(bool)
    attributed = merged[has_reason]
    return {
        "lost_deals": len(merged),
        "lost_deals_unmatched": len(lost) - len(merged),
        "evidence_accuracy": float(
            (attributed["evidence_reason_code"] == attributed["true_reason"]).mean()
        ),
        "evidence_coverage": float(has_reason.mean()),
        "evidence_coverage_planted": float(has_reason[planted].mean()),
        "evidence_false_attribution": float(has_reason[~planted].mean()),
    }


def dictionary_keywords(world: World, words: list[str]) -> dict[str, str | None]:
    """Each planted word → the snapshot dictionary's keyword it is, or a synonym of (else None)."""
    seed = world.query("select keyword, synonyms from seeds.chat_keywords")
    lookup: dict[str, str] = {}
    for keyword, synonyms in zip(seed["keyword"], seed["synonyms"], strict=True):
        for term in [keyword, *(synonyms.split("|") if isinstance(synonyms, str) else [])]:
            lookup.setdefault(term.strip(), keyword)
    return {word: lookup.get(word) for word in words}


def realised_signals(world: World, truth: pd.DataFrame, words: list[str]) -> set[tuple[str, str]]:
    """(opportunity, planted word) pairs the simulator actually wrote into the chat: the
    ``signal`` rows of ``truth/field_phrasings.csv`` where the world lists its phrasings, else
    the planted pairs whose opportunity has a chat message containing the word verbatim."""
    phrasings = world.home / "landing" / "truth" / "field_phrasings.csv"
    if phrasings.exists():
        rows = pd.read_csv(phrasings)
        rows = rows[(rows["kind"] == "signal") & rows["label"].isin(words)]
        return set(zip(rows["opportunity_id"], rows["label"], strict=True))
    planted = pd.DataFrame(
        [
            (opportunity, word)
            for opportunity, planted_words in zip(
                truth["opportunity_id"], truth["keywords"], strict=True
            )
            if isinstance(planted_words, str)
            for word in planted_words.split("|")
            if word in words
        ],
        columns=["opportunity_id", "word"],
    )
    con = duckdb.connect()
    try:
        con.register("planted", planted)
        found = con.execute(
            "select distinct planted.opportunity_id, planted.word from planted "
            "join read_parquet(?) as chat on chat.opportunity_id = planted.opportunity_id "
            "where contains(chat.text, planted.word)",
            [str(world.home / "bronze" / "chat_messages.parquet")],
        ).fetchall()
    finally:
        con.close()
    return set(found)


def chat_signals(world: World) -> dict:
    words = sorted(world.truth["keywords"]["effects_log_odds"])
    known = dictionary_keywords(world, words)
    keyword_of = {word: keyword or f"<unknown {word}>" for word, keyword in known.items()}
    truth = world.truth_csv("opportunity_signals")
    planted = {
        (opportunity, keyword_of[word])
        for opportunity, planted_words in zip(
            truth["opportunity_id"], truth["keywords"], strict=True
        )
        if isinstance(planted_words, str)
        for word in planted_words.split("|")
        if word in keyword_of
    }
    daily = world.query(
        "select distinct opportunity_id, keywords from marts.fct_opportunity_signals_daily "
        "where not negated"
    )
    watched, opportunities = set(keyword_of.values()), set(truth["opportunity_id"])
    detected = {
        (opportunity, keyword.strip())
        for opportunity, keywords in zip(daily["opportunity_id"], daily["keywords"], strict=True)
        if opportunity in opportunities
        for keyword in keywords.split(",")
        if keyword.strip() in watched
    }
    hits = len(planted & detected)
    realised = {
        (opportunity, keyword_of[word])
        for opportunity, word in realised_signals(world, truth, words)
    }
    return {
        "signal_planted_pairs": len(planted),
        "signal_realised_pairs": len(realised),
        "signal_detected_pairs": len(detected),
        "signal_recall": hits / len(planted) if planted else None,
        "signal_recall_realised": len(realised & detected) / len(realised) if realised else None,
        "signal_precision": hits / len(detected) if detected else None,
        "signal_words_unknown": [word for word, keyword in known.items() if keyword is None],
    }


def _normalise(term: str) -> str:
    try:
        from ml.chat_signals.dictionary import load_dictionary
    except ImportError:
        return term.casefold()
    return load_dictionary().normalise(term)


def emerging_term(world: World) -> dict:
    planted = world.truth["emerging_term"]
    term = _normalise(planted["term"])
    unit = world.first_column("marts", "fct_team_emerging_terms_weekly", "unit_id", "team_id")
    week = world.query(
        f"select token, term_rank, mentions from marts.fct_team_emerging_terms_weekly "
        f"where {unit} = ? and week_start = cast(? as date) order by term_rank",
        [planted["team_id"], planted["week_start"]],
    )
    whole = week[week["token"] == term]
    pieces = week[week["token"].map(lambda token: len(token) >= 2 and token in term)]
    return {
        "emerging_term": term,
        "emerging_team_week_terms": len(week),
        "emerging_term_rank": int(whole["term_rank"].iloc[0]) if len(whole) else None,
        "emerging_piece_best_rank": int(pieces["term_rank"].iloc[0]) if len(pieces) else None,
        "emerging_piece_best_token": str(pieces["token"].iloc[0]) if len(pieces) else None,
    }


def process_flags(world: World) -> dict:
    planted = world.truth_csv("outlier_rep_weeks")
    metrics = set(planted["metric"])
    rep = world.first_column("marts", "fct_process_health_flags", "rep_id", "unit_id")
    flags = world.query(
        f"select {rep} as rep_id, metric_code, strftime(week_start, '%Y-%m-%d') as week "
        "from marts.fct_process_health_flags where scope_level = 'rep'"
    )
    key = set(zip(planted["rep_id"], planted["week_start"], planted["metric"], strict=True))
    flagged = set(zip(flags["rep_id"], flags["week"], flags["metric_code"], strict=True))
    on_metrics = {flag for flag in flagged if flag[2] in metrics}
    hits = len(key & flagged)
    return {
        "flag_planted": len(key),
        "flag_recall": hits / len(key) if key else None,
        "flag_precision": hits / len(on_metrics) if on_metrics else None,
        "flags_on_planted_metrics": len(on_metrics),
        "flags_other_metrics": len(flagged) - len(on_metrics),
    }


FIGURES = (loss_mix, evidence_per_deal, chat_signals, emerging_term, process_flags)

ROWS: tuple[tuple[str, str, str], ...] = (
    # key, label (中文 / English), format
    (
        "loss_mix_tv_stated",
        "损失构成距离: 填报 vs 真值 / Loss-mix TV: stated vs planted true",
        "{:.3f}",
    ),
    (
        "loss_mix_tv_evidence",
        "损失构成距离: 证据 vs 真值 / Loss-mix TV: evidence vs planted true",
        "{:.3f}",
    ),
    (
        "loss_mix_tv_realised_true",
        "噪声下限: 实现 vs 真值 / Noise floor TV: realised vs planted true",
        "{:.3f}",
    ),
    ("lost_deals", "丢单数 / Lost deals in window", "{}"),
    ("evidence_accuracy", "证据归因准确率 / Evidence accuracy (among attributed)", "{:.3f}"),
    ("evidence_coverage", "证据覆盖率 / Evidence coverage (all lost)", "{:.3f}"),
    (
        "evidence_coverage_planted",
        "证据覆盖率(有埋点证据) / Coverage of planted evidence",
        "{:.3f}",
    ),
    ("evidence_false_attribution", "无证据却归因 / Attributed without planted evidence", "{:.3f}"),
    ("signal_precision", "聊天信号精确率 / Chat signal precision", "{:.3f}"),
    ("signal_recall", "聊天信号召回率 / Chat signal recall", "{:.3f}"),
    (
        "signal_recall_realised",
        "聊天信号召回率(已写入聊天) / Chat signal recall (realised in chat)",
        "{:.3f}",
    ),
    ("signal_planted_pairs", "埋点信号对 / Planted (deal, keyword) pairs", "{}"),
    ("signal_realised_pairs", "写入聊天的埋点对 / Planted pairs realised in chat", "{}"),
    ("signal_detected_pairs", "检出信号对 / Detected (deal, keyword) pairs", "{}"),
    ("emerging_term_rank", "新兴词整词排名 / Emerging term rank (whole term)", "{}"),
    ("emerging_piece_best_rank", "新兴词片段最佳排名 / Best rank of a piece of the term", "{}"),
    ("emerging_piece_best_token", "该片段 / That piece", "{}"),
    ("flag_recall", "预警召回率 / Flag recall", "{:.3f}"),
    ("flag_precision", "预警精确率 / Flag precision (planted metrics)", "{:.3f}"),
    ("flag_planted", "埋点异常周 / Planted outlier rep-weeks", "{}"),
    ("flags_on_planted_metrics", "埋点指标上的预警 / Flags on planted metrics", "{}"),
    ("flags_other_metrics", "其他指标上的预警 / Flags on other metrics", "{}"),
)


def measure(world: World) -> dict:
    figures: dict = {}
    for figure in FIGURES:
        try:
            figures.update(figure(world))
        except Exception as error:  # one broken mart must not hide the other figures
            figures[f"{figure.__name__}_error"] = f"{type(error).__name__}: {error}"
    return figures


def markdown(results: dict[str, dict]) -> str:
    names = list(results)
    lines = [
        "| 指标 / Figure | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for key, label, fmt in ROWS:
        cells = []
        for name in names:
            value = results[name].get(key)
            cells.append("—" if value is None else fmt.format(value))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    errors = [
        f"- {name}: {key} — {value}"
        for name, figures in results.items()
        for key, value in figures.items()
        if key.endswith("_error")
    ]
    return "\n".join(lines + ([""] + errors if errors else []))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "homes", nargs="+", help="world homes (SALESOPS_HOME), optionally label=path"
    )
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    results = {}
    for spec in args.homes:
        world = World.open(spec)
        results[world.name] = measure(world)
    print(markdown(results))
    if args.json:
        args.json.write_text(
            json.dumps({"worlds": results, "definitions": __doc__}, ensure_ascii=False, indent=2),
            encoding="utf-8",
        )
    return (
        1 if any(key.endswith("_error") for figures in results.values() for key in figures) else 0
    )


if __name__ == "__main__":
    sys.exit(main())
