"""Sign-in and the users file (SPEC §7): no page without a password, hashes only on disk."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from orchestration.cli import main
from salesops.config import Paths
from salesops.users import UsersFileError, add_user, create_demo_users, load_users

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"

pytestmark = pytest.mark.usefixtures("published")


def fresh_app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60)


def submit(app: AppTest, username: str, password: str) -> AppTest:
    app.text_input[0].input(username)
    app.text_input[1].input(password)
    app.button[0].click().run()
    assert not app.exception, app.exception
    return app


def test_before_signing_in_only_the_form_shows(published: Paths) -> None:
    app = fresh_app()
    app.run()
    assert not app.exception
    assert [box.label for box in app.text_input] == ["用户名", "密码"]
    assert not app.metric and not app.dataframe and not app.title
    assert not app.sidebar.selectbox  # no scope picker, no figures


def test_a_wrong_password_is_refused(published: Paths) -> None:
    app = fresh_app()
    app.run()
    submit(app, "sh", "pw-bj")
    assert [e.value for e in app.error] == ["用户名或密码错误。"]
    assert not app.metric and not app.sidebar.selectbox


def test_the_right_password_signs_in_with_the_users_own_scope(published: Paths) -> None:
    app = fresh_app()
    app.run()
    submit(app, "sh", "pw-sh")
    assert not app.error, [e.value for e in app.error]
    assert "已登录：上海经理" in [c.value for c in app.sidebar.caption]
    picker = app.sidebar.selectbox(key="scope_unit_id")
    assert picker.value == "c-sh"
    assert picker.options == [
        "总部 / 华东大区 / 上海",
        "总部 / 华东大区 / 上海 / 上海一组",
        "总部 / 华东大区 / 上海 / 欧'布莱恩组",
    ]


def test_a_user_removed_from_the_file_is_signed_out(published: Paths, users_file: Path) -> None:
    app = fresh_app()
    app.run()
    submit(app, "sh", "pw-sh")
    config = yaml.safe_load(users_file.read_text(encoding="utf-8"))
    del config["credentials"]["usernames"]["sh"]
    users_file.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    app.run()
    assert [e.value for e in app.error] == ["该账号已被移除，请联系管理员。"]
    assert not app.sidebar.selectbox


def test_without_users_the_app_says_how_to_add_one(published: Paths, users_file: Path) -> None:
    users_file.unlink()
    app = fresh_app()
    app.run()
    [message] = [info.value for info in app.info]
    assert "salesops users add" in message and "No dashboard users yet" in message


def test_the_users_file_holds_bcrypt_hashes_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    add_user(path, "li", "李娜", "rep", "s3cret-密码", rep_id="s-001")
    text = path.read_text(encoding="utf-8")
    assert "s3cret" not in text
    entry = yaml.safe_load(text)["credentials"]["usernames"]["li"]
    assert entry["password"].startswith("$2b$")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    import bcrypt

    assert bcrypt.checkpw("s3cret-密码".encode(), entry["password"].encode())
    assert load_users(path)["li"].rep_id == "s-001"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "x", "password": "$2b$12$abc", "role": "boss"}, "role must be one of"),
        ({"name": "x", "password": "$2b$12$abc", "role": "manager"}, "needs unit_id"),
        ({"name": "x", "password": "plain", "role": "rep", "rep_id": "s-1"}, "not a bcrypt hash"),
    ],
)
def test_a_malformed_user_is_named_with_the_file(tmp_path: Path, entry: dict, message: str) -> None:
    path = tmp_path / "users.yaml"
    path.write_text(
        yaml.safe_dump({"credentials": {"usernames": {"wang": entry}}}), encoding="utf-8"
    )
    with pytest.raises(UsersFileError, match=message) as raised:
        load_users(path)
    assert str(path) in str(raised.value) and "'wang'" in str(raised.value)


def test_the_users_commands_add_list_and_remove(salesops_home: Paths, users_file: Path) -> None:
    users_file.unlink()
    runner = CliRunner()
    added = runner.invoke(
        main,
        ["users", "add", "gz", "--name", "广州经理", "--manager-of", "c-gz", "--password", "pw"],
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(main, ["users", "list"])
    assert "gz" in listed.output and "c-gz" in listed.output and "广州经理" in listed.output
    both = runner.invoke(
        main,
        ["users", "add", "x", "--name", "x", "--manager-of", "a", "--rep", "b", "--password", "p"],
    )
    assert both.exit_code != 0 and "exactly one of" in both.output
    assert runner.invoke(main, ["users", "remove", "gz"]).exit_code == 0
    assert load_users(users_file) == {}


def test_demo_users_cover_each_level_under_one_another(published: Paths, tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    created = create_demo_users(path, published.snapshot_db)
    subjects = {user.username: user.unit_id or user.rep_id for user, _ in created}
    assert subjects == {"hq": "hq", "region": "r-east", "city": "c-sh", "rep": "s-001"}
    users = load_users(path)
    import bcrypt

    for user, password in created:
        assert bcrypt.checkpw(
            password.encode(),
            yaml.safe_load(path.read_text())["credentials"]["usernames"][user.username][
                "password"
            ].encode(),
        )
    assert set(users) == set(subjects)


def test_users_demo_prints_how_to_sign_in_with_each_demo_user(published: Paths) -> None:
    result = CliRunner().invoke(main, ["users", "demo"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Demo sign-in 演示账号" in lines[0]
    printed = {line.split()[0]: line.split()[2] for line in lines[1:]}
    assert set(printed) == {"hq", "region", "city", "rep"}
    users = yaml.safe_load((published.home / "config" / "users.yaml").read_text(encoding="utf-8"))
    import bcrypt

    for username, password in printed.items():
        stored = users["credentials"]["usernames"][username]["password"]
        assert bcrypt.checkpw(password.encode(), stored.encode()), username
