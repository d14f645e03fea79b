"""The signal marts built by dbt on a generated landing: the planted emerging term is the
rank-1 row of its team and week, the marts agree with the signal files, and all are available."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

SIGNAL_MARTS = (
    "fct_opportunity_signals_daily",
    "fct_rep_signals_daily",
    "fct_team_top_keywords_weekly",
    "fct_team_emerging_terms_weekly",
    "fct_requirement_mentions_weekly",
    "fct_opportunity_signal_evidence",
)


@pytest.fixture(scope="module")
def warehouse(signals_home, dbt_runner):
    (signals_home.home / "warehouse").mkdir(parents=True, exist_ok=True)
    dbt_runner(signals_home.home, "build", "--select", "+path:models/marts/signals", "--indirect-selection", "cautious")
    con = duckdb.connect(str(signals_home.home / "warehouse" / "build.duckdb"), read_only=True)
    yield con
    con.close()


def test_every_signal_mart_is_available_and_filled(warehouse):
    rows = dict(
        warehouse.execute(
            "select mart_name, is_available from marts.fct_mart_availability"
        ).fetchall()
    )
    for mart in SIGNAL_MARTS:
        assert rows[mart] is True, mart
        (count,) = warehouse.execute(f"select count(*) from marts.{mart}").fetchone()
        assert count > 0, mart


def test_emerging_term_mart_rank_one_is_the_planted_term(warehouse, signals_home):
    """Terms are spelt the way the product counts them: normalised (traditional characters
    folded, Latin case-folded), a run's tokens concatenated."""
    from ml.chat_signals.dictionary import load_dictionary
    from ml.chat_signals.terms import term_surface
    from ml.chat_signals.tokenize import ChatTokenizer

    planted = signals_home.truth["emerging_term"]
    row = warehouse.execute(
        """
        select token, mentions, baseline_mentions
        from marts.fct_team_emerging_terms_weekly
        where unit_id = ? and week_start = ? and term_rank = 1
        """,
        [planted["team_id"], date.fromisoformat(planted["week_start"])],
    ).fetchone()
    assert row[0] == term_surface(ChatTokenizer(load_dictionary()).tokens(planted["term"]))
    assert row[1] == planted["realised_messages_with_term"]
    assert row[2] == 0.0


def test_no_emerging_term_is_mostly_a_piece_of_a_longer_one(warehouse):
    """Runs of tokens are reported (the mart is not single tokens only), and no reported term
    has 80 % (the default share) of its messages inside a longer reported term of its week."""
    (runs,) = warehouse.execute(
        "select count(*) from marts.fct_team_emerging_terms_weekly where n_tokens > 1"
    ).fetchone()
    assert runs > 0
    (pieces,) = warehouse.execute(
        """
        select count(*)
        from marts.fct_team_emerging_terms_weekly as piece
        join marts.fct_team_emerging_terms_weekly as longer
            on longer.unit_id = piece.unit_id and longer.week_start = piece.week_start
            and length(longer.token) > length(piece.token)
            and contains(longer.token, piece.token)
        where longer.mentions >= 0.8 * piece.mentions
        """
    ).fetchone()
    assert pieces == 0


def test_opportunity_daily_mentions_add_up_to_the_keyword_hits(warehouse, signals_home):
    (as_of,) = warehouse.execute("select as_of from intermediate.int_as_of_resolved").fetchone()
    (mart,) = warehouse.execute(
        "select sum(mentions) from marts.fct_opportunity_signals_daily"
    ).fetchone()
    (files,) = duckdb.connect().execute(
        f"""
        select count(*) from read_parquet('{signals_home.home}/signals/keyword_hits.parquet')
        where opportunity_id is not null and cast(sent_at as date) <= ?
        """,
        [as_of],
    ).fetchone()
    assert mart == files


def test_top_keywords_rank_by_mentions(warehouse):
    bad = warehouse.execute(
        """
        select count(*) from marts.fct_team_top_keywords_weekly as a
        join marts.fct_team_top_keywords_weekly as b
            on a.unit_id = b.unit_id and a.week_start = b.week_start
            and a.keyword_rank < b.keyword_rank
        where a.mentions < b.mentions
        """
    ).fetchone()
    assert bad == (0,)


def test_evidence_never_reaches_past_the_close(warehouse):
    (late,) = warehouse.execute(
        """
        select count(*) from marts.fct_opportunity_signal_evidence
        where status_as_of <> 'open' and last_seen_at > closed_at_as_of
        """
    ).fetchone()
    assert late == 0
    (closed,) = warehouse.execute(
        "select count(*) from marts.fct_opportunity_signal_evidence where status_as_of = 'lost'"
    ).fetchone()
    assert closed > 0
