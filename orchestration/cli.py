"""``salesops``: run the daily job, serve the dashboards, try it all on sample data (demo)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import click

from salesops.config import (
    DBT_TARGET_VARIABLE,
    HOME_VARIABLE,
    LANDING_VARIABLE,
    PROFILE_VARIABLE,
    Paths,
    export_environment,
)

DEMO_SCALE = 0.25
"""Built-in sample size for ``salesops demo``/``make demo``: ~50 reps, ~7.5k opportunities."""
DEMO_HOME_VARIABLE = "SALESOPS_DEMO_HOME"
DEMO_MARKER = ".salesops-demo"
"""Marks a folder as a demo home: the demo writes sample data only into a folder it made."""


class _Commands(click.Group):
    """``salesops generate`` comes from simulator/ and is imported only when asked for: the
    daily run never loads the simulator."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), "generate"])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name == "generate":
            from simulator.cli import generate_command

            return generate_command
        return super().get_command(ctx, name)


@click.group(cls=_Commands)
def main() -> None:
    """salesops — local-first sales-management analytics 销售管理分析."""


@main.command()
@click.option(
    "--landing",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of extracts (crm/, chat/, finance/). Default: $SALESOPS_HOME/landing.",
)
@click.option(
    "--profile",
    "profiles",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=(
        "Mapping profile (YAML) for exports that are not in the contract's shape (profiles/ has "
        "Salesforce, HubSpot, 国产 CRM workbooks, 企业微信 archives). Repeat it for a landing that "
        "holds exports of several systems (--profile a.yaml --profile b.yaml)."
    ),
)
@click.option(
    "--as-of",
    help="Build every mart as of this date (YYYY-MM-DD). Default: the latest extract date.",
)
@click.option(
    "--sample/--no-sample",
    default=None,
    hidden=True,
    help="Deprecated: `--no-sample` is a no-op (a run never generates data); `--sample` is refused.",
)
@click.option(
    "--select",
    "select",
    default=None,
    metavar="MARTS",
    help=(
        "Build only these marts (space-separated names) and what they need, then publish; "
        "the other marts keep their last build. For iterating on a few marts, not for the daily run."
    ),
)
@click.option(
    "--quarantine-warning",
    type=click.FloatRange(0, 1),
    default=None,
    metavar="SHARE",
    help=(
        "Warn when more than this share of a table's rows is quarantined (0–1; default 0.05, "
        "or $SALESOPS_QUARANTINE_WARNING_SHARE). Shown at the end of the run and on the dashboards."
    ),
)
@click.option(
    "--dagster-history",
    is_flag=True,
    help=(
        "Also record the run in $DAGSTER_HOME, for the Dagster UI (make dev) 记录到 Dagster. "
        "Off by default: Dagster's SQLite event store costs about 35 s per demo-scale run, "
        "and the run log already holds every event."
    ),
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Print every Dagster event and dbt line as they come (the run log is written too) 详细输出.",
)
@click.option(
    "--target",
    type=click.Choice(["dev", "spark"]),
    default=None,
    help=(
        "The engine dbt builds the warehouse on: dev = DuckDB (default, or $SALESOPS_DBT_TARGET), "
        "spark = Apache Spark (README 'When one machine is not enough') 构建引擎."
    ),
)
@click.option(
    "--wait",
    is_flag=True,
    help=(
        "When another run is going on this home, wait for it to finish instead of stopping "
        "at once 等待正在进行的运行结束."
    ),
)
def run(
    landing: Path | None,
    profiles: tuple[Path, ...],
    as_of: str | None,
    sample: bool | None,
    select: str | None,
    quarantine_warning: float | None,
    dagster_history: bool = False,
    verbose: bool = False,
    target: str | None = None,
    wait: bool = False,
) -> None:
    """Ingest → dbt build and tests → publish the read-only snapshot 运行每日任务.

    Reads only your extracts: an empty or missing landing folder stops the run before
    anything is written, and the published snapshot stays. Sample data: `salesops demo`.
    The console shows one line per stage; everything else is in the run log
    ($SALESOPS_HOME/logs/, the last 30 runs), whose path it prints."""
    if sample:
        raise click.UsageError(
            "--sample was removed: a run never generates data into your home. Try the sample "
            "with `salesops demo` (its own folder). 示例数据请用 salesops demo"
        )
    if quarantine_warning is not None:
        from salesops.run_summary import WARNING_SHARE_VARIABLE

        os.environ[WARNING_SHARE_VARIABLE] = str(quarantine_warning)
    if landing:
        os.environ[LANDING_VARIABLE] = str(landing.resolve())
    if target:
        os.environ[DBT_TARGET_VARIABLE] = target
    if profiles:
        from salesops.ingest import ProfileError
        from salesops.ingest.profile import load_profiles

        try:
            load_profiles(profiles)
        except ProfileError as exc:
            raise click.ClickException(str(exc)) from None
        os.environ[PROFILE_VARIABLE] = os.pathsep.join(str(p.resolve()) for p in profiles)
    from salesops.landing import EmptyLandingError, require_extracts

    paths = Paths.from_env()
    try:  # before anything under the home is created
        require_extracts(paths.landing)
    except EmptyLandingError as exc:
        raise click.ClickException(str(exc)) from None
    paths = paths.ensure()
    export_environment(paths)
    started = time.perf_counter()
    run_id = str(uuid.uuid4())
    _take_run_lock(paths, run_id, wait)
    console = _open_console(paths, run_id, verbose)
    _start_run_record(paths, run_id, console)

    from salesops.dbt_cli import ensure_manifest
    from salesops.dbt_exec import SeedRulesError

    try:
        ensure_manifest()  # parses (and checks the seeds) only when the dbt project changed
    except SeedRulesError as exc:
        raise click.ClickException(str(exc)) from None
    from dagster import DagsterInstance

    from orchestration.definitions import DAILY_JOB, defs
    from orchestration.run_log import RunEvents, step_stages

    # the clusters are fitted on the reports known by as_of, as the marts that read them
    ops_config = (
        {
            "salesops_dbt_assets": {"config": {"as_of": as_of}},
            "salesops_dbt_forecast_assets": {"config": {"as_of": as_of}},
            "deviation_reason_clusters": {"config": {"as_of": as_of}},
        }
        if as_of
        else {}
    )
    asset_selection = _selected_assets(defs, select) if select else None
    console.follow(step_stages(defs, DAILY_JOB, asset_selection), RunEvents)
    job = defs.resolve_job_def(DAILY_JOB)
    result = job.execute_in_process(
        # in memory unless asked: the run log keeps every event, the scheduled runs of
        # `make dev` record themselves in $DAGSTER_HOME as ever
        instance=DagsterInstance.get() if dagster_history else DagsterInstance.ephemeral(),
        run_config={"ops": ops_config, "loggers": {"salesops_run": {}}},
        raise_on_error=False,
        asset_selection=asset_selection,
        run_id=run_id,
    )
    seconds = time.perf_counter() - started
    _end_run_record(paths, run_id, result.success)
    console.finish(result.success)
    _echo_run_summary(paths, published=result.success)
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.is_step_failure]
        _push_run_failure(paths, result, console.log_path)
        raise click.ClickException(
            f"run {result.run_id} failed at {', '.join(failed) or 'a blocking check'} after {seconds:.0f} s; "
            f"the previous snapshot (if any) is still published. Run log 运行日志: {console.log_path}"
            + (" (and the Dagster UI: make dev)" if dagster_history else "")
            + ". 运行失败"
        )
    click.echo(f"Published {paths.snapshot_db} in {seconds:.0f} s (run {result.run_id}) 已发布")
    click.echo(f"Run log 运行日志: {console.log_path}")
    _write_brief(paths, None, required=False)


def _push_run_failure(paths: Paths, result, log_path: Path) -> None:
    """The failed run's own alerts 运行失败告警 (run failure, failed quality gates) to the
    destinations of SALESOPS_ALERT_URLS; a scheduled run's come from the run-failure sensor."""
    from salesops.alerts import push_alerts, run_outcome_alerts

    failed_steps = [e.step_key for e in result.all_events if e.is_step_failure and e.step_key]
    failed_checks = [
        f"{e.event_specific_data.asset_key.to_user_string()}:{e.event_specific_data.check_name}"
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and not e.event_specific_data.passed
        and e.event_specific_data.severity.value == "ERROR"
    ]
    pushed = push_alerts(
        paths.home, run_outcome_alerts(result.run_id, failed_steps, failed_checks, log_path)
    )
    if pushed.sent or pushed.failed:
        click.echo(pushed.line())


def _open_console(paths: Paths, run_id: str, verbose: bool):
    """The run's console (stage lines, run log), closed with the command."""
    from salesops.console import RunConsole

    return click.get_current_context().with_resource(
        RunConsole(paths.home, run_id, verbose=verbose)
    )


def _take_run_lock(paths: Paths, run_id: str, wait: bool) -> None:
    """One run at a time per home: refused at once naming the running one, or (``--wait``)
    started when it ends. Held until the command exits; a killed process releases it."""
    from salesops.run_lock import RunBusyError, RunLock, describe_holder

    def waiting(holder: dict | None) -> None:
        click.echo(f"Waiting for {describe_holder(holder)} to finish 等待正在进行的运行结束 …")

    try:
        lock = RunLock(paths, run_id).acquire(wait=wait, on_wait=waiting)
    except RunBusyError as exc:
        raise click.ClickException(str(exc)) from None
    click.get_current_context().with_resource(lock)


def _start_run_record(paths: Paths, run_id: str, console) -> None:
    """Under the lock: runs that never ended are recorded as killed, what they left is
    removed (each removal in the run log), then this run's start is recorded."""
    from salesops.run_lock import mark_killed, record_start, remove_leftovers

    def to_log(line: str) -> None:
        console.log.stream.write(line + "\n")

    for killed in mark_killed(paths):
        to_log(f"run {killed.run_id} (started {killed.started_at}) was killed 运行被终止")
    removed = remove_leftovers(paths, log=to_log)
    if removed:
        console.echo(
            f"Removed {len(removed)} leftover(s) of a killed run (listed in the run log) "
            "已清理被终止运行的残留文件"
        )
    record_start(paths, run_id, console.log_path)
    ctx = click.get_current_context()
    # an error that stops the command before the job's end (dbt parse, definitions) is a failure
    ctx.call_on_close(lambda: ctx.meta.get(RUN_ENDED) or _end_run_record(paths, run_id, False, ctx))


RUN_ENDED = "salesops.run_ended"


def _end_run_record(
    paths: Paths, run_id: str, success: bool, ctx: click.Context | None = None
) -> None:
    from salesops.run_lock import record_end

    record_end(paths, run_id, "ok" if success else "failed")
    (ctx or click.get_current_context()).meta[RUN_ENDED] = True


def _echo_run_summary(paths: Paths, *, published: bool) -> None:
    """What happened to the user's rows; after a failed run, without the (old) snapshot's marts."""
    from salesops.ingest import CANONICAL, IngestError, ProfileError
    from salesops.ingest.core import plan_for
    from salesops.ingest.profile import load_profiles
    from salesops.run_summary import RunSummary, collect, ingest_summaries, render, warning_share

    profile_files = os.environ.get(PROFILE_VARIABLE)
    try:
        plan = plan_for(paths, load_profiles(profile_files) if profile_files else CANONICAL)
        ignored = [(entry.file, entry.reason) for entry in plan.ignored]
    except (IngestError, ProfileError):
        ignored = []  # the run's own error already names the file
    summary = (
        collect(paths, ignored)
        if published
        else RunSummary(ingest_summaries(paths), warning_share(), ignored)
    )
    for line in render(summary):
        click.echo(line)


def _selected_assets(defs, select: str) -> list:
    """The asset keys a ``--select`` run materialises: the named marts, everything upstream
    of them (ingest, quality checks, signals, staging, intermediate) and the publish step."""
    import dagster as dg

    graph = defs.resolve_asset_graph()
    marts = [dg.AssetKey(["marts", name]) for name in select.split()]
    unknown = [k.path[-1] for k in marts if k not in graph.get_all_asset_keys()]
    if unknown:
        raise click.ClickException(
            f"--select: no mart named {', '.join(unknown)} (see dbt_project/README.md) 未知数据集"
        )
    upstream = set(dg.AssetSelection.assets(*marts).upstream().resolve(graph))
    # a step that makes several assets at once and cannot make part of them (the chat
    # signals) runs whole: its other assets come along
    for key in list(upstream):
        if key in graph.materializable_asset_keys:
            step = defs.resolve_assets_def(key)
            if not step.can_subset:
                upstream |= set(step.keys)
    return sorted(
        {*upstream, dg.AssetKey(["published_snapshot"])} & graph.materializable_asset_keys
    )


def _write_brief(paths: Paths, brief_date: dt.date | None, *, required: bool = True) -> None:
    """Write the morning's briefs from the published snapshot and say where they are.

    After ``salesops run`` (``required=False``) a snapshot without the chat-signal marts
    is a note, not a failure: the run itself succeeded."""
    from salesops.briefs import (
        BriefInputError,
        briefs_dir,
        build_briefs,
        default_brief_date,
        write_briefs,
    )

    try:
        brief_date = brief_date or default_brief_date(paths.snapshot_db)
        briefs = build_briefs(paths.snapshot_db, brief_date)
    except (BriefInputError, FileNotFoundError) as exc:
        if not required:
            click.echo(f"No brief: {exc} 简报未生成")
            return
        raise click.ClickException(f"{exc} 简报未生成") from None
    written = write_briefs(briefs, briefs_dir(paths), brief_date)
    stale = any(brief.is_stale for brief in briefs)
    click.echo(
        f"Brief of {brief_date}: {written.reps} rep and {written.managers} manager briefs in "
        f"{written.index} 沟通洞察简报"
        + (" (the snapshot is older than the conversation day 数据未更新)" if stale else "")
    )


@main.command()
def rollback() -> None:
    """Publish again the snapshot before the current one (atomic); twice goes back two 回滚快照.

    Refused while a run is going on this home (it would publish over the rollback)."""
    from salesops.publish import RollbackError
    from salesops.publish import rollback as roll_back
    from salesops.run_lock import RunBusyError, RunLock

    paths = Paths.from_env()
    try:
        with RunLock(paths, f"rollback-{uuid.uuid4()}").acquire():
            restored, replaced = roll_back(paths)
    except (RollbackError, RunBusyError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Rolled back 已回滚: {paths.snapshot_db} is now the snapshot {restored.describe()}"
        + (f"; it replaced 替换了 {replaced.describe()}" if replaced else "")
    )


LANDING_OPTION = click.option(
    "--landing",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The landing folder the runs read (as for `salesops run --landing`); default: <home>/landing.",
)


def _landing_paths(landing: Path | None) -> Paths:
    if landing:
        os.environ[LANDING_VARIABLE] = str(landing.resolve())
    return Paths.from_env()


@main.command()
@click.argument("files", nargs=-1)
@LANDING_OPTION
@click.option("--list", "listing", is_flag=True, help="List the forgotten files 列出已撤回的文件.")
@click.option(
    "--purge-snapshots",
    is_flag=True,
    help="Also remove the older snapshots kept for rollback, which still hold the rows: at the "
    "next publish, or now when no file is given (after the run that withdrew them).",
)
def forget(
    files: tuple[str, ...], landing: Path | None, listing: bool, purge_snapshots: bool
) -> None:
    """Withdraw landing files: the next run takes their rows out of bronze and the warehouse 撤回数据.

    The file stays in the landing folder and is named as not read at every run; the way a
    personal-data deletion request is honoured. Removing the file from the landing folder has
    the same effect. `salesops unforget FILE` reads it again."""
    from salesops.ingest.withdraw import ForgetError, forget_message, forgotten
    from salesops.ingest.withdraw import forget as forget_file
    from salesops.publish import purge_snapshots_except_current, request_snapshot_purge
    from salesops.run_lock import RunBusyError, RunLock

    paths = _landing_paths(landing)
    if listing or not (files or purge_snapshots):
        entries = forgotten(paths)
        for entry in entries:
            click.echo(f"{entry.file}  {entry.reason}")
        if not entries:
            click.echo("No forgotten file 没有已撤回的文件")
        return
    try:
        with RunLock(paths, f"forget-{uuid.uuid4()}").acquire():
            if not files:
                removed = purge_snapshots_except_current(paths)
                click.echo(
                    f"Removed {len(removed)} older snapshot(s) kept for rollback 已删除旧快照: "
                    + (", ".join(p.name for p in removed) or "none 无")
                )
                return
            entries = [forget_file(paths, file) for file in files]
            if purge_snapshots:
                request_snapshot_purge(paths)
    except (ForgetError, RunBusyError) as exc:
        raise click.ClickException(str(exc)) from None
    for entry in entries:
        click.echo(forget_message(paths, entry, purge_requested=purge_snapshots))


@main.command()
@click.argument("files", nargs=-1, required=True)
@LANDING_OPTION
def unforget(files: tuple[str, ...], landing: Path | None) -> None:
    """Read forgotten landing files again from the next run on 恢复读取已撤回的文件."""
    from salesops.ingest.withdraw import ForgetError
    from salesops.ingest.withdraw import unforget as unforget_file
    from salesops.run_lock import RunBusyError, RunLock

    paths = _landing_paths(landing)
    try:
        with RunLock(paths, f"unforget-{uuid.uuid4()}").acquire():
            entries = [unforget_file(paths, file) for file in files]
    except (ForgetError, RunBusyError) as exc:
        raise click.ClickException(str(exc)) from None
    for entry in entries:
        click.echo(f"{entry.file}: read again from the next run on 下次运行起恢复读取")


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


@main.command()
def status() -> None:
    """The published snapshot, the kept ones (for rollback) and the last run's outcome 状态."""
    from salesops.publish import current_kept, kept_snapshots, snapshot_info
    from salesops.run_lock import current_holder, describe_holder, run_records

    paths = Paths.from_env()
    if paths.snapshot_db.exists():
        info = snapshot_info(paths.snapshot_db)
        click.echo(
            f"Current snapshot 当前快照: {info.path} — {info.describe()}, {_size(info.size)}"
        )
    else:
        click.echo(
            f"Current snapshot 当前快照: none at {paths.snapshot_db}; run `salesops run` 尚未发布"
        )
    kept = kept_snapshots(paths)
    current = current_kept(paths, kept)
    click.echo(f"Kept snapshots 保留的快照 ({len(kept)}, newest first; `salesops rollback`):")
    for path in reversed(kept):
        info = snapshot_info(path)
        mark = "*" if path == current else " "
        click.echo(f"  {mark} {path.name} — {info.describe()}, {_size(info.size)}")
    records = run_records(paths)
    if not records:
        click.echo("Last run 上次运行: none recorded 无记录")
    else:
        last = records[-1]
        words = {
            "ok": "ok 成功",
            "failed": "failed 失败",
            "killed": "failed: killed, never finished 失败：被终止",
            "running": "running 运行中",
        }
        when = last.ended_at or last.started_at
        click.echo(
            f"Last run 上次运行: {last.run_id} {words.get(last.outcome, last.outcome)}, "
            f"started {last.started_at}"
            + (f", ended {last.ended_at}" if last.ended_at else "")
            + f"; run log 运行日志: {last.log or '?'}"
            if when
            else f"Last run 上次运行: {last.run_id} {last.outcome}"
        )
    holder = current_holder(paths)
    if holder is not None and (not records or holder.get("run_id") != records[-1].run_id):
        click.echo(f"Running now 正在运行: {describe_holder(holder)}")


@main.command()
@click.option(
    "--date",
    "brief_date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Morning of the brief (it covers the day before). Default: the snapshot's as_of + 1 day.",
)
def brief(brief_date: dt.datetime | None) -> None:
    """Write the daily communication briefs from the published snapshot 沟通洞察简报."""
    paths = Paths.from_env().ensure()
    _write_brief(paths, brief_date.date() if brief_date else None)


@main.command()
@click.option("--port", default=8501, show_default=True)
def dashboard(port: int) -> None:
    """Serve the dashboards on 127.0.0.1 仪表盘."""
    paths = Paths.from_env().ensure()
    export_environment(paths)
    from orchestration.serve import dashboards_command

    raise SystemExit(subprocess.call(dashboards_command("127.0.0.1", port)))


@main.command()
@click.option("--port", default=8501, show_default=True, help="Dashboards' port.")
@click.option("--dagster-port", default=3000, show_default=True, help="Dagster UI's port.")
@click.option("--no-dashboards", is_flag=True, help="Only the Dagster daemon and UI (make dev).")
def serve(port: int, dagster_port: int, no_dashboards: bool) -> None:
    """Team server: Dagster daemon (schedules, sensor), Dagster UI and dashboards, on 127.0.0.1
    团队服务器. Stops cleanly on SIGTERM or Ctrl-C.

    The schedules (06:00 refresh, 06:30 briefs, the monthly SOP iteration) and the landing
    sensor are on by default; switch one off in the UI (Automation) — it stays off."""
    from orchestration.serve import serve as run_services
    from orchestration.serve import services
    from salesops.dbt_cli import ensure_manifest
    from salesops.dbt_exec import SeedRulesError

    paths = Paths.from_env().ensure()
    export_environment(paths)
    try:  # the definitions load the dbt assets from the current parse, never parsing themselves
        ensure_manifest()
    except SeedRulesError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Data home 数据目录 {paths.home}; Dagster history in {os.environ['DAGSTER_HOME']}; "
        f"extracts from {paths.landing}"
    )
    # the instance's storage made here, once: the daemon and the UI, started together on a new
    # DAGSTER_HOME, both created its SQLite tables and one failed ("table alembic_version
    # already exists") on a loaded machine
    from dagster import DagsterInstance

    DagsterInstance.get().dispose()
    chosen = services(dagster_port=dagster_port, dashboard_port=port, dashboards=not no_dashboards)
    raise SystemExit(run_services(chosen, dict(os.environ), echo=click.echo))


def prepare_demo(home: Path, scale: float = DEMO_SCALE, seed: int = 42) -> Paths:
    """The demo's own home with the built-in sample in its landing folder (generated once).

    Refuses the user's ``SALESOPS_HOME`` and any existing, non-empty folder the demo did not
    make (no :data:`DEMO_MARKER`): sample data never lands next to real extracts."""
    from salesops.landing import extract_files

    home = home.expanduser().resolve()
    user_home = os.environ.get(HOME_VARIABLE)
    if user_home and Path(user_home).expanduser().resolve() == home:
        raise click.ClickException(
            f"{home} is your SALESOPS_HOME: the demo keeps its sample data in a folder of its "
            f"own (--home DIR, default ./demo). 演示数据不能写入 SALESOPS_HOME"
        )
    marker = home / DEMO_MARKER
    if home.exists() and not marker.exists() and (not home.is_dir() or any(home.iterdir())):
        raise click.ClickException(
            f"{home} is not a demo folder (it has no {DEMO_MARKER} and is not empty): choose a "
            f"new or empty folder for the demo (--home DIR). 该目录不是演示目录，请指定新的空目录"
        )
    home.mkdir(parents=True, exist_ok=True)
    marker.write_text(
        "Made by `salesops demo`: generated sample data, safe to delete.\n"
        "由 salesops demo 生成的示例数据，可删除。\n",
        encoding="utf-8",
    )
    paths = Paths(home)
    if extract_files(paths.landing):
        click.echo(f"Demo: using the sample already in {paths.landing} 使用已有示例数据")
    else:
        from simulator.config import load_config
        from simulator.generate import generate

        click.echo(
            f"Demo: generating the built-in sample (scale {scale}, seed {seed}) into "
            f"{paths.landing} 生成示例数据 …"
        )
        # the simulator's own bar on a terminal; a log or CI gets the two plain lines
        manifest = generate(
            load_config(overrides=[f"scale={scale}", f"seed={seed}"]),
            paths.landing,
            progress=sys.stderr.isatty(),
        )
        rows = sum(manifest["row_counts"].values())
        click.echo(
            f"Demo: sample generated in {manifest['seconds']:.0f} s, {rows:,} rows in "
            f"{len(manifest['row_counts'])} tables 示例数据已生成"
        )
    return paths


@main.command()
@click.option(
    "--home",
    type=click.Path(path_type=Path, dir_okay=True),
    default=None,
    help=f"The demo's own folder, never your SALESOPS_HOME. Default: ${DEMO_HOME_VARIABLE} or ./demo.",
)
@click.option("--scale", default=DEMO_SCALE, show_default=True, help="Scale of the sample.")
@click.option("--seed", default=42, show_default=True, help="Seed of the sample.")
@click.option("--port", default=8501, show_default=True)
@click.option(
    "--prepare-only",
    is_flag=True,
    help="Only put the sample in the demo folder: no run, no server (make sample).",
)
@click.option("--no-serve", is_flag=True, help="Generate and run, but do not serve the dashboards.")
@click.option(
    "-v", "--verbose", is_flag=True, help="The run's every event on the console 详细输出."
)
@click.pass_context
def demo(
    ctx: click.Context,
    home: Path | None,
    scale: float,
    seed: int,
    port: int,
    prepare_only: bool,
    no_serve: bool,
    verbose: bool,
) -> None:
    """Try salesops on generated sample data, in a folder of its own 示例演示.

    Generates the sample into the demo folder (once), runs the daily job there and serves
    the dashboards on its snapshot. Your SALESOPS_HOME is never read or written."""
    home = home or Path(os.environ.get(DEMO_HOME_VARIABLE) or Path.cwd() / "demo")
    paths = prepare_demo(home, scale, seed)
    if prepare_only:
        click.echo(f"Demo sample ready in {paths.landing} 示例数据已就绪")
        return
    os.environ[HOME_VARIABLE] = str(paths.home)
    os.environ["DAGSTER_HOME"] = str(paths.dagster_home)
    for variable in (LANDING_VARIABLE, PROFILE_VARIABLE):
        os.environ.pop(variable, None)
    ctx.invoke(run, verbose=verbose)
    _echo_demo_users(paths)
    if not no_serve:
        click.echo(f"Demo dashboards on {paths.snapshot_db} 示例看板")
        ctx.invoke(dashboard, port=port)


def _echo_demo_users(paths: Paths) -> None:
    """Create one demo user per level on the published snapshot and say how to sign in."""
    from salesops.users import create_demo_users, users_file

    if not paths.snapshot_db.exists():
        raise click.ClickException(
            f"No published snapshot at {paths.snapshot_db}: run first. 尚未发布"
        )
    path = users_file(paths)
    created = create_demo_users(path, paths.snapshot_db)
    click.echo(f"Demo sign-in 演示账号 (written to {path}; new passwords on every demo run):")
    for user, password in created:
        sees = user.unit_id if user.role == "manager" else f"rep {user.rep_id}"
        click.echo(f"  {user.username:<12} password {password:<14} {user.name} · sees {sees}")


@main.group("users")
def users_group() -> None:
    """Who may sign in to the dashboards, and what each one sees 看板用户 (SPEC §7)."""


@users_group.command("add")
@click.argument("username")
@click.option("--name", required=True, help="Full name shown in the dashboards 姓名.")
@click.option("--manager-of", "unit_id", help="A manager: the org unit they manage (unit_id).")
@click.option("--rep", "rep_id", help="A rep: their own rep_id.")
@click.password_option(help="Prompted when not given; stored as a bcrypt hash only.")
def users_add(
    username: str, name: str, unit_id: str | None, rep_id: str | None, password: str
) -> None:
    """Add a user (or replace one with the same username) 添加用户."""
    from salesops.users import add_user, users_file

    if bool(unit_id) == bool(rep_id):
        raise click.UsageError("Give exactly one of --manager-of UNIT_ID or --rep REP_ID.")
    path = users_file()
    role = "manager" if unit_id else "rep"
    user = add_user(path, username, name, role, password, unit_id=unit_id, rep_id=rep_id)
    click.echo(
        f"{user.username} ({user.role} of {user.unit_id or user.rep_id}) saved in {path} 已保存"
    )


@users_group.command("demo")
def users_demo() -> None:
    """One user per level (HQ, region, city, rep) from the published snapshot, with fresh
    random passwords printed once (what `make demo` does) 演示账号."""
    _echo_demo_users(Paths.from_env())


@users_group.command("remove")
@click.argument("username")
def users_remove(username: str) -> None:
    """Remove a user 删除用户."""
    from salesops.users import remove_user, users_file

    path = users_file()
    if not remove_user(path, username):
        raise click.ClickException(f"No user {username!r} in {path}. 用户不存在")
    click.echo(f"{username} removed from {path} 已删除")


@users_group.command("list")
def users_list() -> None:
    """List the users and what each one sees 用户列表."""
    from salesops.users import load_users, users_file

    path = users_file()
    users = load_users(path)
    if not users:
        click.echo(f"No users in {path}: add one with `salesops users add`. 还没有用户")
    for user in users.values():
        sees = user.unit_id if user.role == "manager" else f"rep {user.rep_id}"
        click.echo(f"{user.username:<16} {user.role:<8} {sees:<16} {user.name}")


@main.group("profile")
def profile_group() -> None:
    """Mapping profiles: try one on your exports before a run 映射配置."""


@profile_group.command("check")
@click.option(
    "--landing",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of exports, as you would pass to `salesops run --landing`.",
)
@click.option(
    "--profile",
    "profile_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Mapping profile (YAML), repeatable. Omit to check files named after their contract tables.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def profile_check(
    ctx: click.Context, landing: Path, profile_files: tuple[Path, ...], as_json: bool
) -> None:
    """Dry run: each file's table, each column's source, what would be quarantined 配置检查(试运行).

    Nothing under SALESOPS_HOME is written. Exit code 1 when something would stop the run
    (a profile error, a file no rule claims, a missing required column), else 0."""
    import json

    from salesops.ingest.check import check_landing, render

    report = check_landing(landing, list(profile_files) or None)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        for line in render(report):
            click.echo(line)
    ctx.exit(0 if report.ok else 1)


if __name__ == "__main__":
    main()
