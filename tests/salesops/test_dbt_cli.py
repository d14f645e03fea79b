import datetime as dt
import json

from salesops.dbt_cli import (
    DBT_BUILDS_KEPT,
    build_args,
    build_folder,
    next_build_folder,
    project_args,
    prune_build_folders,
)


def test_build_args_pass_as_of_only_when_given():
    base = [
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--exclude",
        "tag:intermediate_logic",
        "--exclude",
        "resource_type:test,path:seeds",
        "--indirect-selection",
        "cautious",
    ]
    assert build_args() == base
    args = build_args(as_of="2026-06-30", select="marts")
    assert args[:9] == base
    assert args[9] == "--vars" and json.loads(args[10]) == {"as_of": "2026-06-30"}
    assert args[11:] == ["--select", "marts"]


def test_project_args_point_profiles_at_the_project(tmp_path):
    assert project_args(tmp_path) == ["--project-dir", str(tmp_path), "--profiles-dir", str(tmp_path)]
    assert project_args(tmp_path, tmp_path / "t")[-2:] == ["--target-path", str(tmp_path / "t")]


def test_build_folders_sort_by_time_and_only_the_newest_are_kept(tmp_path):
    day = dt.datetime(2026, 12, 5, 6, 0, tzinfo=dt.UTC)
    made = [
        build_folder(tmp_path, step, run_id, day + dt.timedelta(days=n, minutes=m))
        for n, run_id in enumerate(["f00dcafe-1", "0badbeef-2", "c0ffee00-3"])
        for m, step in enumerate(["salesops_dbt_assets", "salesops_dbt_forecast_assets"])
    ]
    assert made[0].name == "20261205T060000Z-f00dcafe-salesops_dbt_assets"
    for folder in made:
        folder.mkdir()
        (folder / "dbt.log").write_text("x")
    (tmp_path / "notes.txt").write_text("a file is not a build")  # left alone
    # run ids are random: the time, not the id, orders the builds
    assert prune_build_folders(tmp_path, keep=3) == made[:3]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*(p.name for p in made[3:]), "notes.txt"])
    assert prune_build_folders(tmp_path, keep=3) == []
    assert prune_build_folders(tmp_path / "none yet") == []


def test_a_new_build_leaves_room_and_clears_what_earlier_versions_left_in_the_project(tmp_path):
    home, project = tmp_path / "home" / "logs" / "dbt", tmp_path / "project"
    for n in range(DBT_BUILDS_KEPT + 2):
        (home / f"20261201T0000{n:02d}Z-run{n:05d}-salesops_dbt_assets").mkdir(parents=True)
    left = [
        project / "target" / f"{step}-0ld0ld0-1234567"
        for step in ("salesops_dbt_assets", "salesops_dbt_forecast_assets")
    ]
    for folder in left:
        (folder / "compiled").mkdir(parents=True)
    (project / "target" / "parsed").mkdir()  # the project's own cache: not a build
    new = next_build_folder(home, "salesops_dbt_assets", "abcdef12-3", project)
    assert new.parent == home and new.name.endswith("-abcdef12-salesops_dbt_assets") and not new.exists()
    kept = sorted(p.name for p in home.iterdir())
    assert len(kept) == DBT_BUILDS_KEPT - 1 and kept[0] == "20261201T000003Z-run00003-salesops_dbt_assets"
    # only this step's leftovers: the other step clears its own at its next build
    assert not left[0].exists() and left[1].exists() and (project / "target" / "parsed").exists()


def test_the_parse_fingerprint_follows_content_not_times_or_outputs(tmp_path):
    import os

    from salesops.dbt_exec import fingerprint

    (tmp_path / "models").mkdir()
    model = tmp_path / "models" / "m.sql"
    model.write_text("select 1")
    (tmp_path / "dbt_project.yml").write_text("name: x")
    first = fingerprint(tmp_path)
    os.utime(model, (1, 1))  # touched, not changed
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "run_results.json").write_text("{}")  # dbt's outputs
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "dbt.log").write_text("x")
    assert fingerprint(tmp_path) == first
    model.write_text("select 2")
    assert fingerprint(tmp_path) != first
    model.write_text("select 1")
    assert fingerprint(tmp_path) == first
    (tmp_path / "models" / "n.sql").write_text("select 1")  # a new model
    assert fingerprint(tmp_path) != first


def test_the_cached_manifest_round_trips(tmp_path):
    """Manifest's own pickling passes its fields out of order; ours keeps every field."""
    from dbt.contracts.graph.manifest import Manifest

    from salesops.dbt_exec import dump_manifest, load_manifest

    manifest = Manifest(env_vars={"A": "1"}, selectors={"s": {"x": 1}})
    dump_manifest(manifest, tmp_path / "m.pickle")
    loaded = load_manifest(tmp_path / "m.pickle")
    assert loaded.env_vars == {"A": "1"} and loaded.selectors == {"s": {"x": 1}}
    assert loaded.fixtures == {} and loaded.unit_tests == {}


def test_the_dbt_command_is_found_past_global_options():
    from salesops.dbt_exec import _command

    assert _command(["--log-level", "debug", "build", "--select", "x"]) == "build"
    assert _command(["--quiet", "parse"]) == "parse"
    assert _command(["docs", "generate"]) == "docs"
    assert _command(["--version"]) == "--version"
    assert _command(["-V"]) == _command(["-v"]) == "--version"  # dbt's short forms
    assert _command(["--help"]) is None


def test_every_version_flag_is_answered_without_asking_pypi(capsys):
    """dbt's own version flags check PyPI for a newer release ("latest: …"); no network at
    run time, so the wrapper answers each of them from the installed packages."""
    from salesops.dbt_exec import main

    for flag in ("--version", "-V", "-v"):
        assert main([flag]) == 0
        printed = capsys.readouterr().out
        assert "installed:" in printed and "latest" not in printed, flag
