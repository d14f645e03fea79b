"""The dictionary seed is the one source of truth for Python and dbt, and the dbt source
``signals`` points at the Dagster assets that write its files."""

from __future__ import annotations

import csv

import pytest
import yaml

from ml.chat_signals.dictionary import (
    CATEGORIES,
    KEYWORDS_FILE,
    Dictionary,
    Keyword,
    load_dictionary,
    read_character_variants,
    read_keywords,
)
from ml.chat_signals.extract import SIGNAL_TABLES
from ml.chat_signals.notes import NOTE_HITS
from salesops.config import DBT_PROJECT_DIR

SIGNALS_SOURCES = DBT_PROJECT_DIR / "models" / "staging" / "signals" / "_signals__sources.yml"


def test_seed_loads_with_every_category_and_the_article_keywords():
    dictionary = load_dictionary()
    by_keyword = {k.keyword: k for k in dictionary.keywords}
    assert {k.category for k in dictionary.keywords} == set(CATEGORIES)
    assert by_keyword["预算"].negatable and by_keyword["预算"].category == "budget"
    assert by_keyword["招标"].category == "tender"
    assert (
        by_keyword["领导还没批"].category == "approval" and not by_keyword["领导还没批"].negatable
    )
    assert by_keyword["防水等级"].category == "requirement"
    assert "的" in dictionary.stopwords


def test_seed_columns_match_what_dbt_declares():
    with KEYWORDS_FILE.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    seeds = yaml.safe_load((DBT_PROJECT_DIR / "seeds" / "_seeds.yml").read_text(encoding="utf-8"))
    (chat_keywords,) = [s for s in seeds["seeds"] if s["name"] == "chat_keywords"]
    assert header == list(chat_keywords["config"]["column_types"])


def test_a_form_listed_under_two_keywords_is_rejected():
    twice = Dictionary(
        (
            Keyword("预算", ("经费",), "budget", "neutral", True, None),
            Keyword("资金", ("经费",), "budget", "neutral", True, None),
        ),
        frozenset(),
    )
    with pytest.raises(ValueError, match="经费"):
        twice.by_surface_form()


def test_forms_that_fold_together_under_two_keywords_are_rejected():
    folded = Dictionary(
        (
            Keyword("接口", ("API",), "it_fit", "neutral", True, None),
            Keyword("开发包", ("api",), "it_fit", "neutral", False, None),
        ),
        frozenset(),
    )
    with pytest.raises(ValueError, match="api"):
        folded.by_surface_form()


def test_normalise_folds_traditional_full_width_and_case():
    dictionary = load_dictionary()
    assert dictionary.normalise("預算還沒批，ＡＰＩ") == "预算还没批,api"
    assert dictionary.normalise("价格") == "价格"


def test_a_variant_row_must_be_one_character_each_way(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text("traditional,simplified\n價格,价格\n", encoding="utf-8")
    with pytest.raises(ValueError, match="one character"):
        read_character_variants(path)


def test_an_unknown_category_is_rejected(tmp_path):
    path = tmp_path / "k.csv"
    path.write_text(
        "keyword,synonyms,category,polarity,negatable,loss_reason,description\n"
        "预算,,money,neutral,true,,x\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="money"):
        read_keywords(path)


def test_dbt_signals_source_points_at_the_signal_assets():
    from orchestration.defs.signals.chat import signals_key

    (source,) = yaml.safe_load(SIGNALS_SOURCES.read_text(encoding="utf-8"))["sources"]
    assert source["name"] == "signals"
    # under the home: the profile puts SALESOPS_HOME on DuckDB's file_search_path
    assert source["meta"]["external_location"] == "signals/{name}.parquet"
    keys = {t["name"]: t["meta"]["dagster"]["asset_key"] for t in source["tables"]}
    # the chat tables and the activity-note hits (same matcher, its own asset)
    assert set(keys) == {*SIGNAL_TABLES, NOTE_HITS}
    for table, key in keys.items():
        assert key == list(signals_key(table).path)
