"""The org tree and the sales people from department paths, when the exports have no such files.

Chinese CRMs export each deal with its owner by *name* and the owner's department as a path
(``负责人: 张伟``, ``所属部门: 华东大区/上海分公司/销售一部``) and no org or staff list. With the
profile's ``org:`` (the level of each path segment) and a rep id joined from department and
name (``derive: {owner_rep_id: {from: [所属部门, 负责人], join: "/"}}``), the ingest derives:

- **reps**, when no landing file has them: one per distinct path-shaped person id found in
  opportunities, leads and activities — name = the last segment, team = the rest. Two 张伟 in
  different teams are two ids, so two reps; two 张伟 in one team cannot be told apart in these
  exports (the file-level duplicate-key note reports them where a staff list has both).
- **org_units**, when no landing file has them: every prefix of every rep's team path, its
  level from ``org.levels`` (a path deeper than the levels puts the rest at the last level),
  its parent the shorter prefix, under ``org.root`` (level ``hq``) when given.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from salesops.ingest.profile import OrgPaths
from salesops.ingest.typing import lit

ORG_DERIVED: dict[str, tuple[str, ...]] = {
    "reps": ("opportunities", "leads", "activities"),
    "org_units": ("reps",),
}
"""Table derived from department paths (profile ``org:``) → the tables it is derived from."""
PERSON_COLUMNS = {"opportunities": "owner_rep_id", "leads": "assigned_rep_id", "activities": "rep_id"}
SOURCE_LABEL = {
    "reps": "(derived from owners' department paths 由负责人所属部门推导)",
    "org_units": "(derived from reps' department paths 由人员所属部门推导)",
}


def reps_sql(bronze: Path, org: OrgPaths) -> str | None:
    """SELECT of derived reps (contract columns + lineage); None when no person id is path-shaped."""
    parts = [
        f"select {column} as rep_id from read_parquet({lit(str(bronze / f'{table}.parquet'))})"
        for table, column in PERSON_COLUMNS.items()
        if (bronze / f"{table}.parquet").exists()
    ]
    if not parts:
        return None
    sep = lit(org.separator)
    return f"""
with ids as (
    select distinct rep_id from ({' union all '.join(parts)})
    where rep_id is not null and contains(rep_id, {sep})
),
split as (select rep_id, string_split(rep_id, {sep}) as segments from ids)
select rep_id,
    segments[len(segments)] as name,
    array_to_string(segments[1:len(segments) - 1], {sep}) as team_id,
    'rep' as role,
    cast(null as date) as hire_date,
    cast(null as date) as termination_date,
    cast(null as varchar) as im_user_id,
    {lit(SOURCE_LABEL['reps'])} as _source_file,
    cast(row_number() over (order by rep_id) as bigint) as _source_line
from split
"""


def org_units_rows(con: duckdb.DuckDBPyConnection, bronze: Path, org: OrgPaths) -> list[tuple]:
    """(unit_id, level, parent_id, name) of every unit on the reps' team paths, HQ first."""
    reps = bronze / "reps.parquet"
    if not reps.exists():
        return []
    teams = [
        t
        for (t,) in con.execute(
            f"select distinct team_id from read_parquet({lit(str(reps))}) where team_id is not null"
        ).fetchall()
    ]
    units: dict[str, tuple] = {}
    if org.root is not None:
        units[org.root] = (org.root, "hq", None, org.root)
    for team in sorted(teams):
        segments = team.split(org.separator)
        # A path may name HQ itself first (总部/华东大区/…): that segment is the root unit.
        offset = 1 if org.root is not None and segments[0] == org.root else 0
        for depth in range(1 + offset, len(segments) + 1):
            unit_id = org.separator.join(segments[:depth])
            parent = org.separator.join(segments[: depth - 1]) or org.root
            level = org.levels[min(depth - offset, len(org.levels)) - 1]
            units.setdefault(unit_id, (unit_id, level, parent, segments[depth - 1]))
    return list(units.values())
