"""The seeds' data tests run once per version of the project, when it is parsed
(``salesops.dbt_exec.check_seeds``), and the builds leave them out: a seed edited into
breaking its rules stops every dbt command before it runs, naming the failing test."""

from __future__ import annotations

import shutil

import pytest

from salesops.config import DBT_PROJECT_DIR
from salesops.dbt_exec import SeedRulesError, ensure_parsed, parsed_dir


def test_a_seed_that_breaks_its_rules_stops_the_parse(tmp_path):
    project = tmp_path / "dbt_project"
    shutil.copytree(
        DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml")
    )
    keywords = project / "seeds" / "chat_keywords.csv"
    lines = keywords.read_text(encoding="utf-8").splitlines()
    keywords.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")  # a keyword twice

    with pytest.raises(SeedRulesError) as raised:
        ensure_parsed(project)
    message = str(raised.value)
    assert "unique_chat_keywords_keyword" in message and "FAIL" in message, message
    assert not parsed_dir(project).exists()  # nothing cached: the next command checks again
