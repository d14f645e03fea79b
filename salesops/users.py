"""Dashboard users 看板用户 (SPEC §7): who may sign in, and what each one may see.

One YAML file, ``$SALESOPS_HOME/config/users.yaml`` (``SALESOPS_USERS`` overrides), in
the shape streamlit-authenticator reads (``cookie`` and ``credentials.usernames``), with
two keys of our own per user:

- a **manager** has ``unit_id``: the org unit they manage; they see it and every unit
  under it (HQ's manager sees all; a city manager their city);
- a **rep** has ``rep_id``: they see their own figures and brief only.

Passwords are stored as bcrypt hashes (streamlit-authenticator's ``Hasher``), never in
plain text; the cookie key that signs a session is random per file. The file is written
with owner-only permissions. ``salesops users`` manages it.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from salesops.config import Paths

USERS_VARIABLE = "SALESOPS_USERS"
COOKIE_NAME = "salesops_session"
COOKIE_EXPIRY_DAYS = 1.0
"""A session cookie lasts a working day: the next morning asks for the password again."""

Role = Literal["manager", "rep"]
ROLES: tuple[Role, ...] = ("manager", "rep")


class UsersFileError(ValueError):
    """The users file is unreadable or a user in it is malformed (the message says which)."""


@dataclass(frozen=True)
class User:
    username: str
    name: str
    role: Role
    unit_id: str | None = None
    rep_id: str | None = None


def users_file(paths: Paths | None = None) -> Path:
    override = os.environ.get(USERS_VARIABLE)
    if override:
        return Path(override).expanduser()
    return (paths or Paths.from_env()).home / "config" / "users.yaml"


def read_config(path: Path) -> dict[str, Any]:
    """The raw file (as streamlit-authenticator expects it); an empty config if absent."""
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return {}
    except yaml.YAMLError as error:
        raise UsersFileError(f"{path}: not valid YAML ({error}). 用户文件格式错误") from error
    if not isinstance(config, dict):
        raise UsersFileError(f"{path}: expected a mapping at the top. 用户文件格式错误")
    return config


def parse_user(username: str, entry: Any, path: Path) -> User:
    where = f"{path}: user {username!r}"
    if not isinstance(entry, dict):
        raise UsersFileError(f"{where}: expected a mapping of name, password, role.")
    role = entry.get("role")
    if role not in ROLES:
        raise UsersFileError(f"{where}: role must be one of {', '.join(ROLES)}, not {role!r}.")
    unit_id, rep_id = entry.get("unit_id"), entry.get("rep_id")
    if role == "manager" and not unit_id:
        raise UsersFileError(f"{where}: a manager needs unit_id (the unit they manage).")
    if role == "rep" and not rep_id:
        raise UsersFileError(f"{where}: a rep needs rep_id (their own id in the reps extract).")
    password = str(entry.get("password") or "")
    if not password.startswith("$2"):
        raise UsersFileError(
            f"{where}: the password is not a bcrypt hash; set it with `salesops users add`."
        )
    return User(
        username=username,
        name=str(entry.get("name") or username),
        role=role,
        unit_id=str(unit_id) if role == "manager" else None,
        rep_id=str(rep_id) if role == "rep" else None,
    )


def load_users(path: Path) -> dict[str, User]:
    config = read_config(path)
    entries = (config.get("credentials") or {}).get("usernames") or {}
    return {str(name): parse_user(str(name), entry, path) for name, entry in entries.items()}


def hash_password(password: str) -> str:
    """bcrypt, exactly as streamlit-authenticator's ``Hasher.hash`` (its sign-in form checks
    with ``bcrypt.checkpw``); called directly so the CLI does not import Streamlit."""
    import bcrypt

    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def write_config(path: Path, config: dict[str, Any]) -> None:
    """Write atomically with owner-only permissions (the file holds hashes and the cookie key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.tmp")
    text = (
        "# salesops dashboard users 看板用户. Passwords are bcrypt hashes; manage with\n"
        "# `salesops users add|remove|list`. Managers see their unit_id and everything under\n"
        "# it; reps see their own rep_id only (SPEC §7).\n"
        + yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    )
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(staged, path)


def add_user(
    path: Path,
    username: str,
    name: str,
    role: Role,
    password: str,
    *,
    unit_id: str | None = None,
    rep_id: str | None = None,
) -> User:
    """Add or replace one user; creates the file (with a fresh cookie key) if needed."""
    config = read_config(path)
    cookie = config.setdefault("cookie", {})
    cookie.setdefault("name", COOKIE_NAME)
    cookie.setdefault("key", secrets.token_hex(32))
    cookie.setdefault("expiry_days", COOKIE_EXPIRY_DAYS)
    usernames = config.setdefault("credentials", {}).setdefault("usernames", {}) or {}
    config["credentials"]["usernames"] = usernames
    entry: dict[str, Any] = {"name": name, "password": hash_password(password), "role": role}
    if role == "manager":
        entry["unit_id"] = unit_id
    else:
        entry["rep_id"] = rep_id
    user = parse_user(username, entry, path)
    usernames[username] = entry
    write_config(path, config)
    return user


def remove_user(path: Path, username: str) -> bool:
    config = read_config(path)
    usernames = (config.get("credentials") or {}).get("usernames") or {}
    if username not in usernames:
        return False
    del usernames[username]
    write_config(path, config)
    return True


def demo_subjects(snapshot: Path) -> list[tuple[str, str, Role, str]]:
    """(username, name, role, unit or rep id) of one demo user per level, from a published
    snapshot: the top unit, the first region, the first city under it, a rep of that city."""
    import duckdb

    connection = duckdb.connect(str(snapshot), read_only=True)
    try:
        units = connection.execute(
            "select unit_id, level, name, name_path from marts.dim_org_units order by name_path"
        ).fetchall()
        closure = connection.execute(
            "select ancestor_id, descendant_id from marts.dim_org_unit_closure"
        ).fetchall()
        reps = connection.execute(
            "select rep_id, name, team_id from marts.dim_reps "
            "where is_active and role = 'rep' order by rep_id"
        ).fetchall()
    finally:
        connection.close()
    under: dict[str, set[str]] = {}
    for ancestor, descendant in closure:
        under.setdefault(ancestor, set()).add(descendant)
    subjects: list[tuple[str, str, Role, str]] = []
    top = next((unit for unit in units if unit[1] == "hq"), None)
    if top:
        subjects.append(("hq", f"{top[2]}（HQ）", "manager", top[0]))
    region = next((unit for unit in units if unit[1] == "region"), None)
    city = next(
        (
            u
            for u in units
            if u[1] == "city" and (region is None or u[0] in under.get(region[0], ()))
        ),
        None,
    )
    for username, unit in (("region", region), ("city", city)):
        if unit:
            subjects.append((username, f"{unit[2]}经理", "manager", unit[0]))
    scope = under.get(city[0] if city else (top[0] if top else ""), set())
    rep = next((r for r in reps if r[2] in scope), None)
    if rep:
        subjects.append(("rep", str(rep[1]), "rep", rep[0]))
    return subjects


def create_demo_users(path: Path, snapshot: Path) -> list[tuple[User, str]]:
    """One user per level with a fresh random password each (returned, to be printed once)."""
    created = []
    for username, name, role, subject in demo_subjects(snapshot):
        password = secrets.token_urlsafe(8)
        user = add_user(
            path,
            username,
            name,
            role,
            password,
            unit_id=subject if role == "manager" else None,
            rep_id=subject if role == "rep" else None,
        )
        created.append((user, password))
    return created
