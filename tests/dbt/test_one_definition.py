"""One definition per measure (issue 11, point 4): every mart that reports a shared measure
reads it from the one model that defines it, and layers read downward only.

* Layers, from dbt's own manifest: no model under ``models/intermediate`` depends on a model
  under ``models/marts``; a staging model depends on sources and seeds only.
* The seed-edit test: the hand fixture below is built twice from a copy of the project — once
  with the shipped seeds, once with a fourth MOT fact (``requirement_doc_uploaded``) added to
  ``process_mot_facts`` and a sixth visit node (``proposal_sent``) added to
  ``process_visit_nodes`` (and, as a user must, to the nodes the seed's own rule accepts:
  the seeds' tests run when the edited project is parsed). The shipped seed files are never
  touched. The marts downstream of
  each seed are found in the manifest, not listed here; each either reports the measure (a
  compliance / node-completion figure, recognised by its columns), and then the figure
  moves identically in all of them, or its content moves; a mart left unchanged must be empty
  in both builds (the health flags: two reps are below the minimum peer sample).

Fixture (as_of 2026-03-31; one region r1, city c1, teams t1 (rep_a) and t2 (rep_b)):

    quote entries   o1 rep_a 03-05, o2 rep_a 03-06, o3 rep_b 03-05, o4 rep_b 03-11.
    MOT facts       budget_range, decision_date, decision_maker_access on 03-03 / 03-04 for
                    every deal: all compliant with the shipped three facts.
    fourth fact     o1 03-04 (before its entry), o2 03-07 (late), o3 never, o4 03-10 (before).
                    → rep_a week 03-02: 2/2 → 1/2; rep_b week 03-02: 1/1 → 0/1; rep_b week
                    03-09 stays 1/1; team t1 03-02 → 0.5, t2 → 0.0, city c1 03-02: 3/3 → 1/3.
    visits          V1 rep_a 03-10 and V2 rep_b 03-12 with all five shipped nodes; V3 rep_b
                    03-12 with three. A sixth node is recorded on V2 only.
                    → rep_a 03-09: 5/5 → 5/6; rep_b 03-09: (5 + 3)/10 = 0.8 → (6 + 3)/12 = 0.75.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from salesops.config import DBT_PROJECT_DIR
from salesops.dbt_cli import project_args

DBT = Path(sys.executable).with_name("salesops-dbt")
AS_OF = "2026-03-31"
MOT_SEED = Path("seeds/process/process_mot_facts.csv")
NODE_SEED = Path("seeds/process/process_visit_nodes.csv")
FOURTH_FACT = "requirement_doc_uploaded,4,需求文档已上传,requirement document uploaded\n"
SIXTH_NODE = "proposal_sent,6,方案已发送,proposal sent\n"
SEEDS_YML = Path("seeds/process/_process__seeds.yml")
ACCEPTED_NODES = "objection_handled, next_step_locked]"


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text if " " in text else f"{text} 09:00")


ORG_UNITS = [
    {"unit_id": "hq", "level": "hq", "parent_id": None, "name": "总部"},
    {"unit_id": "r1", "level": "region", "parent_id": "hq", "name": "华东大区"},
    {"unit_id": "c1", "level": "city", "parent_id": "r1", "name": "上海"},
    {
        "unit_id": "t1",
        "level": "team",
        "parent_id": "c1",
        "name": "上海一组",
        "structured_since": date(2026, 1, 1),
    },
    {"unit_id": "t2", "level": "team", "parent_id": "c1", "name": "上海二组"},
]
REPS = [
    {
        "rep_id": "rep_a",
        "name": "张三",
        "team_id": "t1",
        "role": "rep",
        "hire_date": date(2020, 1, 1),
    },
    {
        "rep_id": "rep_b",
        "name": "李四",
        "team_id": "t2",
        "role": "rep",
        "hire_date": date(2020, 1, 1),
    },
    {
        "rep_id": "m_c1",
        "name": "王经理",
        "team_id": "c1",
        "role": "city_manager",
        "hire_date": date(2020, 1, 1),
    },
]
_QUOTES = {"o1": ("rep_a", "2026-03-05"), "o2": ("rep_a", "2026-03-06"),
           "o3": ("rep_b", "2026-03-05"), "o4": ("rep_b", "2026-03-11")}  # fmt: skip
OPPORTUNITIES = [
    {
        "opportunity_id": opp,
        "lead_id": f"L{opp}",
        "customer_id": "cu1",
        "owner_rep_id": rep,
        "product_line": "pumps",
        "created_at": ts("2026-03-01 08:00"),
        "stage": "quote",
        "status": "open",
        "amount": 100000,
        "expected_close_date": "2026-06-30",
    }
    for opp, (rep, _) in _QUOTES.items()
]
STAGE_HISTORY = [
    {"opportunity_id": opp, "stage": stage, "entered_at": ts(at), "changed_by": rep}
    for opp, (rep, quote_day) in _QUOTES.items()
    for stage, at in (("lead", "2026-03-01"), ("qualified", "2026-03-02"), ("quote", quote_day))
]
QUALIFICATION_EVENTS = [
    {"opportunity_id": opp, "kind": kind, "recorded_at": ts(at)}
    for opp in _QUOTES
    for kind, at in (
        ("budget_range", "2026-03-03"),
        ("decision_date", "2026-03-04"),
        ("decision_maker_access", "2026-03-04 10:00"),
    )
] + [
    {"opportunity_id": opp, "kind": "requirement_doc_uploaded", "recorded_at": ts(at)}
    for opp, at in (("o1", "2026-03-04"), ("o2", "2026-03-07"), ("o4", "2026-03-10"))
]
SHIPPED_NODES = (
    "appointment_confirmed",
    "pain_diagnosis_submitted",
    "demo_recording_uploaded",
    "objection_handled",
    "next_step_locked",
)


def _visit(visit: str, opp: str, rep: str, day: str, nodes: tuple[str, ...]) -> list[dict]:
    return [
        {
            "activity_id": f"{visit}_{i}",
            "rep_id": rep,
            "opportunity_id": opp,
            "visit_id": visit,
            "kind": "visit",
            "node": node,
            "occurred_at": ts(f"{day} {9 + i:02d}:00"),
        }
        for i, node in enumerate(nodes)
    ]


ACTIVITIES = [
    *_visit("V1", "o1", "rep_a", "2026-03-10", SHIPPED_NODES),
    *_visit("V2", "o3", "rep_b", "2026-03-12", (*SHIPPED_NODES, "proposal_sent")),
    *_visit("V3", "o4", "rep_b", "2026-03-12", SHIPPED_NODES[:3]),
]
ROWS = {
    "org_units": ORG_UNITS,
    "reps": REPS,
    "opportunities": OPPORTUNITIES,
    "opportunity_stage_history": STAGE_HISTORY,
    "qualification_events": QUALIFICATION_EVENTS,
    "activities": ACTIVITIES,
}
VARS = json.dumps({"as_of": AS_OF})


class ProjectCopy:
    """A copy of the dbt project in a SALESOPS_HOME of its own: its seeds can be edited
    without touching the shipped files, and its target keeps one parse for every run."""

    def __init__(self, home: Path):
        self.home = home
        self.project = home / "dbt_project"
        shutil.copytree(
            DBT_PROJECT_DIR,
            self.project,
            ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml"),
        )
        self.target = home / "dbt_target"

    def dbt(self, *args: str) -> None:
        env = {
            **os.environ,
            "SALESOPS_HOME": str(self.home),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        command = [
            str(DBT),
            *args,
            "--vars",
            VARS,
            *project_args(self.project, self.target),
            "--log-path",
            str(self.home / "dbt_logs"),
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, f"{args}:\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}"

    @property
    def manifest(self) -> dict:
        return json.loads((self.target / "manifest.json").read_text(encoding="utf-8"))

    def append_to_seed(self, seed: Path, line: str) -> None:
        path = self.project / seed
        text = path.read_text(encoding="utf-8")
        path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line)


SKIP_TESTS = ("--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")


@pytest.fixture(scope="module")
def project(tmp_path_factory, bronze_writer) -> ProjectCopy:
    """The copy, built with the shipped seeds: every model downstream of either seed and what
    they read (its manifest also serves the layer test)."""
    copy = ProjectCopy(tmp_path_factory.mktemp("one_definition"))
    bronze_writer(copy.home / "bronze", ROWS)
    (copy.home / "warehouse").mkdir()
    copy.dbt("build", "--select", "@process_mot_facts", "@process_visit_nodes", *SKIP_TESTS)
    return copy


def _layer(node: dict) -> str | None:
    path = node.get("original_file_path", "")
    for layer in ("staging", "intermediate", "marts"):
        if path.startswith(f"models/{layer}/"):
            return layer
    return None


def test_layers_read_downward_only(project):
    manifest = project.manifest
    nodes = manifest["nodes"]
    models = {uid: n for uid, n in nodes.items() if n["resource_type"] == "model"}
    assert {_layer(n) for n in models.values()} == {"staging", "intermediate", "marts"}
    intermediate_reads_mart = sorted(
        (n["name"], nodes[dep]["name"])
        for n in models.values()
        if _layer(n) == "intermediate"
        for dep in n["depends_on"]["nodes"]
        if dep in models and _layer(nodes[dep]) == "marts"
    )
    assert intermediate_reads_mart == []
    staging_reads_model = sorted(
        (n["name"], dep)
        for n in models.values()
        if _layer(n) == "staging"
        for dep in n["depends_on"]["nodes"]
        if not dep.startswith(("source.", "seed."))
    )
    assert staging_reads_model == []
    # the check sees what it checks: intermediates do read models, and marts read marts
    assert any(
        dep in models
        for n in models.values()
        if _layer(n) == "intermediate"
        for dep in n["depends_on"]["nodes"]
    )


def _downstream_marts(manifest: dict, seed: str) -> set[str]:
    children = manifest["child_map"]
    seen, todo = set(), [f"seed.salesops.{seed}"]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    nodes = manifest["nodes"]
    return {
        nodes[uid]["name"]
        for uid in seen
        if uid in nodes and nodes[uid]["resource_type"] == "model" and _layer(nodes[uid]) == "marts"
    }


def _read(project: ProjectCopy, marts: set[str]) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(project.home / "warehouse" / "build.duckdb"), read_only=True)
    try:
        tables = {}
        for mart in sorted(marts):
            frame = con.execute(f"select * from marts.{mart}").df()
            tables[mart] = frame
        return tables
    finally:
        con.close()


@pytest.fixture(scope="module")
def builds(project):
    """The marts downstream of either seed, built with the shipped seeds and then with the
    edited copies (only the seeds and what depends on them are rebuilt the second time)."""
    manifest = project.manifest
    downstream = {
        "process_mot_facts": _downstream_marts(manifest, "process_mot_facts"),
        "process_visit_nodes": _downstream_marts(manifest, "process_visit_nodes"),
    }
    everything = downstream["process_mot_facts"] | downstream["process_visit_nodes"]
    shipped = _read(project, everything)
    project.append_to_seed(MOT_SEED, FOURTH_FACT)
    project.append_to_seed(NODE_SEED, SIXTH_NODE)
    rules = project.project / SEEDS_YML
    text = rules.read_text(encoding="utf-8")
    assert text.count(ACCEPTED_NODES) == 1
    rules.write_text(text.replace(ACCEPTED_NODES, "objection_handled, next_step_locked, proposal_sent]"), encoding="utf-8")
    project.dbt("build", "--select", "process_mot_facts+", "process_visit_nodes+", *SKIP_TESTS)
    edited = _read(project, everything)
    shipped_seed = (DBT_PROJECT_DIR / MOT_SEED).read_text(encoding="utf-8")
    assert "requirement_doc_uploaded" not in shipped_seed, "the shipped seed must stay as it is"
    return downstream, shipped, edited


def _figures(frame, rate_column: str, metric_code: str) -> dict | None:
    """The measure per (scope, unit, week) as this mart reports it, or None when the mart does
    not report it. Recognised by columns: item rows (an entry's ``is_compliant``, a visit's
    ``nodes_recorded`` / ``nodes_required``) pooled per rep-week; a rate column per rep, team
    or unit and week; or process health's metric rows."""
    columns = set(frame.columns)

    if {"is_compliant", "rep_id", "week_start"} <= columns and rate_column == "mot_compliance_rate":
        pooled = frame.groupby(["rep_id", "week_start"])["is_compliant"].mean()
        return {
            ("rep", rep, str(week)[:10]): round(float(v), 9) for (rep, week), v in pooled.items()
        }
    if {"visit_id", "nodes_recorded", "nodes_required", "rep_id", "week_start"} <= columns:
        sums = frame.groupby(["rep_id", "week_start"])[["nodes_recorded", "nodes_required"]].sum()
        return {
            ("rep", rep, str(week)[:10]): round(float(r["nodes_recorded"] / r["nodes_required"]), 9)
            for (rep, week), r in sums.iterrows()
        }
    if rate_column in columns:
        unit = next(c for c in ("rep_id", "team_id", "unit_id") if c in columns)
        return {
            ("rep" if unit == "rep_id" else "unit", row[unit], str(row["week_start"])[:10]): round(
                float(row[rate_column]), 9
            )
            for _, row in frame.iterrows()
        }
    if {"metric_code", "metric_value", "scope_level"} <= columns:
        hits = frame[frame["metric_code"] == metric_code]
        return {
            (
                "rep" if row["scope_level"] == "rep" else "unit",
                row["rep_id"] if row["scope_level"] == "rep" else row["unit_id"],
                str(row["week_start"])[:10],
            ): round(float(row["metric_value"]), 9)
            for _, row in hits.iterrows()
        } or None
    return None


def _check_moves_together(downstream, shipped, edited, *, rate_column, metric_code,
                          expected_shipped, expected_edited) -> set[str]:  # fmt: skip
    reporting = set()
    for mart in sorted(downstream):
        before = _figures(shipped[mart], rate_column, metric_code)
        after = _figures(edited[mart], rate_column, metric_code)
        if before is None and after is None:
            moved = not shipped[mart].astype(str).equals(edited[mart].astype(str))
            empty_in_both = shipped[mart].empty and edited[mart].empty
            assert moved or empty_in_both, f"{mart} depends on the seed but did not move"
            continue
        reporting.add(mart)
        # every figure this mart reports agrees with the hand-computed one, before and after
        for expected, seen, build in (
            (expected_shipped, before, "shipped"),
            (expected_edited, after, "edited"),
        ):
            common = set(expected) & set(seen or {})
            assert common, f"{mart} ({build}) reports none of {sorted(expected)}: {seen}"
            assert {k: seen[k] for k in common} == {k: expected[k] for k in common}, (mart, build)
    return reporting


def test_a_fourth_mot_fact_moves_every_compliance_figure_together(builds):
    downstream, shipped, edited = builds
    marts = downstream["process_mot_facts"]
    reporting = _check_moves_together(
        marts,
        shipped,
        edited,
        rate_column="mot_compliance_rate",
        metric_code="mot_compliance",
        expected_shipped={
            ("rep", "rep_a", "2026-03-02"): 1.0,
            ("rep", "rep_b", "2026-03-02"): 1.0,
            ("rep", "rep_b", "2026-03-09"): 1.0,
            ("unit", "t1", "2026-03-02"): 1.0,
            ("unit", "t2", "2026-03-02"): 1.0,
            ("unit", "c1", "2026-03-02"): 1.0,
        },
        expected_edited={
            ("rep", "rep_a", "2026-03-02"): 0.5,
            ("rep", "rep_b", "2026-03-02"): 0.0,
            ("rep", "rep_b", "2026-03-09"): 1.0,
            ("unit", "t1", "2026-03-02"): 0.5,
            ("unit", "t2", "2026-03-02"): 0.0,
            ("unit", "c1", "2026-03-02"): round(1 / 3, 9),
        },
    )
    # the gate, its rep / team / unit roll-ups and process health all report it
    assert len(reporting) >= 5, reporting
    assert "fct_process_health_weekly" in reporting
    violations = edited["fct_mot_gate_violations"]
    assert sorted(zip(violations["opportunity_id"], violations["missing_facts"].fillna(""),
                      violations["late_facts"].fillna(""), strict=True)) == [
        ("o2", "", "requirement_doc_uploaded"),
        ("o3", "requirement_doc_uploaded", ""),
    ]  # fmt: skip


def test_a_sixth_visit_node_moves_every_node_completion_figure_together(builds):
    downstream, shipped, edited = builds
    marts = downstream["process_visit_nodes"]
    reporting = _check_moves_together(
        marts,
        shipped,
        edited,
        rate_column="node_completion_rate",
        metric_code="visit_node_completion_rate",
        expected_shipped={
            ("rep", "rep_a", "2026-03-09"): 1.0,
            ("rep", "rep_b", "2026-03-09"): 0.8,
            ("unit", "t1", "2026-03-09"): 1.0,
            ("unit", "t2", "2026-03-09"): 0.8,
        },
        expected_edited={
            ("rep", "rep_a", "2026-03-09"): round(5 / 6, 9),
            ("rep", "rep_b", "2026-03-09"): 0.75,
            ("unit", "t1", "2026-03-09"): round(5 / 6, 9),
            ("unit", "t2", "2026-03-09"): 0.75,
        },
    )
    assert {"fct_visit_completeness_rep_weekly", "fct_process_health_weekly"} <= reporting
