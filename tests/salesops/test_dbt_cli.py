import json

from salesops.dbt_cli import build_args, project_args


def test_build_args_pass_as_of_only_when_given():
    base = ["build", "--exclude-resource-type", "unit_test", "--indirect-selection", "cautious"]
    assert build_args() == base
    args = build_args(as_of="2026-06-30", select="marts")
    assert args[:5] == base
    assert args[5] == "--vars" and json.loads(args[6]) == {"as_of": "2026-06-30"}
    assert args[7:] == ["--select", "marts"]


def test_project_args_point_profiles_at_the_project(tmp_path):
    assert project_args(tmp_path) == ["--project-dir", str(tmp_path), "--profiles-dir", str(tmp_path)]
    assert project_args(tmp_path, tmp_path / "t")[-2:] == ["--target-path", str(tmp_path / "t")]


def test_manifest_is_stale_when_a_model_is_newer(tmp_path):
    import os

    from salesops.dbt_cli import manifest_is_stale

    (tmp_path / "models").mkdir()
    model = tmp_path / "models" / "m.sql"
    model.write_text("select 1")
    (tmp_path / "dbt_project.yml").write_text("name: x")
    assert manifest_is_stale(tmp_path)
    manifest = tmp_path / "target" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text("{}")
    os.utime(model, (1, 1))
    os.utime(tmp_path / "dbt_project.yml", (1, 1))
    assert not manifest_is_stale(tmp_path)
    os.utime(model, None)
    os.utime(manifest, (2, 2))
    assert manifest_is_stale(tmp_path)
