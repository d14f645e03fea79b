"""The signal files recover what the simulator planted (truth.json), with the pure functions
and DuckDB only (no Dagster, no dbt): keyword effects on winning, the emerging term, the
requirement terms of each product line.

The simulator's words are not the dictionary's: each planted word is looked up the way the
product reads chat (the tokenizer on the word itself), and the test expects the dictionary
keyword it is reported under. A planted word the dictionary does not know fails here."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from ml.chat_signals.dictionary import load_dictionary
from ml.chat_signals.tokenize import ChatTokenizer


@pytest.fixture(scope="module")
def tokenizer() -> ChatTokenizer:
    return ChatTokenizer(load_dictionary())


def dictionary_keyword(tokenizer: ChatTokenizer, word: str) -> str:
    """The one dictionary keyword a planted word is reported under (not negated)."""
    hits = [h.keyword for h in tokenizer.keyword_hits(word) if not h.negated]
    assert len(hits) == 1, f"{word!r} reads as {hits} in the dictionary"
    return hits[0]


def sql(home, query: str) -> pd.DataFrame:
    con = duckdb.connect()
    try:
        con.execute(f"set file_search_path = '{home}'")
        return con.execute(query).df()
    finally:
        con.close()


def test_throughput_is_reported(signals_home):
    result = signals_home.result
    assert result.messages > 50_000 and result.distinct_texts <= result.messages
    assert result.keyword_hits > 0 and result.token_count_rows > 0
    assert result.messages_per_second > 5_000


def test_planted_keyword_effects_on_winning_are_recovered(signals_home, tokenizer):
    """Logistic regression of won on keyword presence over closed opportunities: every planted
    word's dictionary keyword has the planted sign, and its estimate is within 3 standard
    errors of the planted log-odds effect (the opportunity's other drivers are independent of
    keyword presence). Two planted words under one keyword could not be told apart: the
    mapping must be one to one."""
    planted: dict[str, float] = signals_home.truth["keywords"]["effects_log_odds"]
    effects = {dictionary_keyword(tokenizer, word): effect for word, effect in planted.items()}
    assert len(effects) == len(planted), "two planted words read as one keyword"
    presence = ", ".join(
        f"max(case when hits.keyword = '{k}' then 1.0 else 0.0 end) as \"{k}\"" for k in effects
    )
    frame = sql(
        signals_home.home,
        f"""
        with closed as (
            select opportunity_id, cast(status = 'won' as double) as won
            from 'bronze/opportunities.parquet'
            where status in ('won', 'lost')
        ),
        hits as (
            select distinct opportunity_id, keyword
            from 'signals/keyword_hits.parquet'
            where opportunity_id is not null
        )
        select closed.opportunity_id, closed.won, {presence}
        from closed
        left join hits on hits.opportunity_id = closed.opportunity_id
        group by closed.opportunity_id, closed.won
        """,
    )
    assert len(frame) > 1000
    fit = sm.Logit(frame["won"], sm.add_constant(frame[list(effects)])).fit(disp=0)
    for keyword, planted in effects.items():
        estimate, error = fit.params[keyword], fit.bse[keyword]
        assert np.sign(estimate) == np.sign(planted), (keyword, estimate, planted)
        assert abs(estimate - planted) <= 3 * error, (keyword, estimate, planted, error)


def emerging_terms(home, min_mentions: int = 5) -> pd.DataFrame:
    """The emerging-term rule of fct_team_emerging_terms_weekly, written independently."""
    return sql(
        home,
        f"""
        with counts as (
            select reps.team_id, t.week_start, t.token, sum(t.messages) as mentions
            from 'signals/token_counts.parquet' as t
            join 'bronze/reps.parquet' as reps on reps.rep_id = t.rep_id
            group by all
        ),
        weeks as (select distinct team_id, week_start from counts),
        first_weeks as (select team_id, min(week_start) as first_week from counts group by team_id),
        scored as (
            select c.team_id, c.week_start, c.token, c.mentions,
                coalesce((select sum(p.mentions) from counts p
                    where p.team_id = c.team_id and p.token = c.token
                      and p.week_start >= c.week_start - 28 and p.week_start < c.week_start), 0) / 4.0
                    as baseline
            from counts c join first_weeks f on f.team_id = c.team_id
            where c.mentions >= {min_mentions} and c.week_start - 28 >= f.first_week
        )
        select *, ln((mentions + 1) / (baseline + 1)) as score,
            row_number() over (partition by team_id, week_start
                order by ln((mentions + 1) / (baseline + 1)) desc, mentions desc, token) as term_rank
        from scored
        """,
    )


def test_planted_emerging_term_is_rank_one_for_its_team_and_week(signals_home, tokenizer):
    """Tokens are counted normalised (traditional characters folded, Latin case-folded), so
    the planted term is compared in the same form."""
    planted = signals_home.truth["emerging_term"]
    term = tokenizer.dictionary.normalise(planted["term"])
    ranked = emerging_terms(signals_home.home)
    week = ranked[
        (ranked.team_id == planted["team_id"])
        & (ranked.week_start == pd.Timestamp(planted["week_start"]))
    ].sort_values("term_rank")
    top = week.iloc[0]
    assert top.token == term
    assert top.mentions == planted["realised_messages_with_term"]
    elsewhere = ranked[(ranked.token == term) & (ranked.term_rank == 1)]
    assert len(elsewhere) == 1, "the planted term emerges in the planted team-week only"


def test_requirement_mentions_by_product_line_match_the_planted_terms(signals_home, tokenizer):
    """Per product line, the three requirement keywords most mentioned are the planted terms'
    keywords, each mentioned, and every other requirement keyword is mentioned less often than
    the least-mentioned planted one. (A broad dictionary also hears requirement words in small
    talk or other lines' chat; the planted needs must still stand out.)"""
    planted_terms: dict[str, list[str]] = signals_home.truth["emerging_term"]["requirement_terms"]
    planted = {
        line: {dictionary_keyword(tokenizer, term) for term in terms}
        for line, terms in planted_terms.items()
    }
    frame = sql(
        signals_home.home,
        """
        select o.product_line, h.keyword, count(distinct h.message_id) as mentions
        from 'signals/keyword_hits.parquet' as h
        join 'bronze/opportunities.parquet' as o on o.opportunity_id = h.opportunity_id
        where h.category = 'requirement'
        group by all
        """,
    )
    assert set(frame.product_line) == set(planted)
    for line, keywords in planted.items():
        assert len(keywords) == len(planted_terms[line]), f"{line}: two terms read as one keyword"
        mentions = frame[frame.product_line == line].set_index("keyword").mentions
        assert (mentions.reindex(sorted(keywords)).fillna(0) > 0).all(), line
        assert set(mentions.nlargest(len(keywords)).index) == keywords, line
        others = mentions.drop(index=sorted(keywords))
        assert (others < mentions[sorted(keywords)].min()).all(), (line, others.nlargest(3))
