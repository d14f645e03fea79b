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
from ml.chat_signals.terms import term_surface
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


def signal_pairs(home, truth: dict, tokenizer: ChatTokenizer) -> dict[str, set]:
    """Planted, realised and detected (opportunity, keyword) pairs of one world's signal files.

    Planted: ``truth/opportunity_signals.csv`` words, each read as its dictionary keyword.
    Realised: what the world actually wrote into chat — the ``signal`` rows of
    ``truth/field_phrasings.csv`` where the world lists its paraphrases, else planted pairs
    whose opportunity has a message containing the planted word verbatim. Detected: distinct
    non-negated keyword hits on those opportunities, for the planted words' keywords."""
    words = sorted(truth["keywords"]["effects_log_odds"])
    keyword_of = {word: dictionary_keyword(tokenizer, word) for word in words}
    planted = sql(
        home,
        "select opportunity_id, unnest(string_split(keywords, '|')) as word "
        "from read_csv('landing/truth/opportunity_signals.csv', all_varchar = true) "
        "where keywords is not null",
    )
    planted = planted[planted.word.isin(words)]
    pairs = {
        "planted": {
            (o, keyword_of[w]) for o, w in zip(planted.opportunity_id, planted.word, strict=True)
        }
    }
    phrasings = home / "landing" / "truth" / "field_phrasings.csv"
    if phrasings.exists():
        rows = pd.read_csv(phrasings, usecols=["kind", "opportunity_id", "label"])
        rows = rows[(rows.kind == "signal") & rows.label.isin(words)]
        pairs["realised"] = {
            (o, keyword_of[w]) for o, w in zip(rows.opportunity_id, rows.label, strict=True)
        }
    else:
        con = duckdb.connect()
        try:
            con.register("planted", planted)
            found = con.execute(
                "select distinct p.opportunity_id, p.word from planted as p "
                "join read_parquet(?) as chat on chat.opportunity_id = p.opportunity_id "
                "where contains(chat.text, p.word)",
                [str(home / "bronze" / "chat_messages.parquet")],
            ).fetchall()
        finally:
            con.close()
        pairs["realised"] = {(o, keyword_of[w]) for o, w in found}
    hits = sql(
        home,
        "select distinct opportunity_id, keyword from 'signals/keyword_hits.parquet' "
        "where not negated and opportunity_id is not null",
    )
    opportunities, watched = {o for o, _ in pairs["planted"]}, set(keyword_of.values())
    pairs["detected"] = {
        (o, k)
        for o, k in zip(hits.opportunity_id, hits.keyword, strict=True)
        if o in opportunities and k in watched
    }
    return pairs


@pytest.fixture(params=["generated", "field"])
def chat_world(request, signals_home):
    """The scale-0.1 generated world (simulator defaults, messages written from the simulator's
    own phrases) and the field world (customers paraphrase: synonyms, colloquial and indirect
    talk, typos, traditional characters, negations), each with its signal files and truth."""
    if request.param == "generated":
        return request.param, signals_home.home, signals_home.truth
    world = request.getfixturevalue("planted_world")("field")
    return request.param, world.home, world.truth


SIGNAL_BARS = {"generated": (0.85, 0.98, 0.98), "field": (0.30, 0.40, 0.80)}
"""(recall of planted pairs, recall of realised pairs, precision) a world must reach."""


def test_planted_chat_signals_are_detected_per_world(chat_world, tokenizer):
    """Planted (opportunity, signal) pairs are found in chat, and what is found was planted.

    Generated world: its messages carry the planted word itself, so every realised pair must be
    found and nothing else reported (≥ 0.98 of realised pairs and precision ≥ 0.98: the
    measured figures are 1.0; the 2 % allow for a word the tokenizer reads inside a longer
    word). Planted recall there is bounded by the deals the simulator wrote no chat for: ~9 %
    of planted pairs (measured 0.91), so its bar is 0.85.

    Field world: a measuring instrument the dictionary was not written against. With the
    listed phrases alone the method found 0.099 of planted pairs (0.128 of realised ones) at
    precision 0.82; with concept composition (topic + cue in one sentence), typo and
    traditional-character folding and negation scope it finds 0.37 (0.48 of realised) at
    0.87. The bars — planted recall ≥ 0.30, realised recall ≥ 0.40, precision ≥ 0.80 — hold
    three times the old recall without giving up precision: a user reading "budget approved"
    on a deal must be able to trust it, while a recall under a half means the signal board
    still under-reports paraphrased talk (reported as such, not hidden). The realised bar is
    the fairer one: about a fifth of planted pairs were never written into any message
    (deals without chat), which no reader can find.
    """
    name, home, truth = chat_world
    pairs = signal_pairs(home, truth, tokenizer)
    min_recall, min_realised, min_precision = SIGNAL_BARS[name]
    found = pairs["planted"] & pairs["detected"]
    recall = len(found) / len(pairs["planted"])
    realised = len(pairs["realised"] & pairs["detected"]) / len(pairs["realised"])
    precision = len(found) / len(pairs["detected"])
    figures = (name, round(recall, 3), round(realised, 3), round(precision, 3))
    assert len(pairs["planted"]) > 300 and len(pairs["realised"]) > 200, figures
    assert recall >= min_recall and realised >= min_realised, figures
    assert precision >= min_precision, figures


def test_throughput_is_reported(signals_home):
    result = signals_home.result
    assert result.messages > 50_000 and result.distinct_texts <= result.messages
    assert result.keyword_hits > 0 and result.token_count_rows > 0
    assert result.messages_per_second > 5_000


def test_planted_keyword_effects_on_winning_are_recovered(chat_world, tokenizer):
    """Logistic regression of won on keyword presence over closed opportunities: every planted
    word's dictionary keyword has the planted sign, and its estimate is within 3 standard
    errors of the planted log-odds effect (the opportunity's other drivers are independent of
    keyword presence). Two planted words under one keyword could not be told apart: the
    mapping must be one to one.

    The same bar holds on the field world: a missed paraphrase only thins the evidence (wider
    errors), a false hit biases the estimate towards 0. Measured there: every sign right and
    every estimate within 3 standard errors (招标 0.48 ± 0.11 against 0.3 is the farthest);
    with the dictionary alone (before concept rules) 兼容 and 领导还没批 were never found on
    the field world and the fit was singular."""
    _, home, truth = chat_world
    planted: dict[str, float] = truth["keywords"]["effects_log_odds"]
    effects = {dictionary_keyword(tokenizer, word): effect for word, effect in planted.items()}
    assert len(effects) == len(planted), "two planted words read as one keyword"
    presence = ", ".join(
        f"max(case when hits.keyword = '{k}' then 1.0 else 0.0 end) as \"{k}\"" for k in effects
    )
    frame = sql(
        home,
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


EMERGING_SHARE = 0.8
"""fct_team_emerging_terms_weekly's default ``signals_emerging_term_share``."""


def emerging_terms(home, min_mentions: int = 5, share: float = EMERGING_SHARE) -> pd.DataFrame:
    """The emerging-term rule of fct_team_emerging_terms_weekly, written independently: team-week
    counts of every counted run of tokens; a candidate has ``min_mentions`` and four weeks of
    the team's chat before it; a run of 2+ tokens is a term when it holds ``share`` of the
    messages of its rarest one-token piece; a term is dropped when a longer term containing it
    holds ``share`` of its messages; ranked by ln((m + 1) / (baseline + 1)) among positive
    scores."""
    return sql(
        home,
        f"""
        with counts as (
            select reps.team_id, t.week_start, t.token, min(t.n_tokens) as n_tokens,
                sum(t.messages) as mentions
            from 'signals/token_counts.parquet' as t
            join 'bronze/reps.parquet' as reps on reps.rep_id = t.rep_id
            group by all
        ),
        first_weeks as (select team_id, min(week_start) as first_week from counts group by team_id),
        candidates as (
            select c.team_id, c.week_start, c.token, c.n_tokens, c.mentions,
                coalesce((select sum(p.mentions) from counts p
                    where p.team_id = c.team_id and p.token = c.token
                      and p.week_start >= c.week_start - 28 and p.week_start < c.week_start), 0) / 4.0
                    as baseline
            from counts c join first_weeks f on f.team_id = c.team_id
            where c.mentions >= {min_mentions} and c.week_start - 28 >= f.first_week
        ),
        terms as (
            select * from candidates c
            where c.n_tokens = 1 or c.mentions >= {share} * coalesce((
                select min(p.mentions) from counts p
                where p.team_id = c.team_id and p.week_start = c.week_start
                  and p.n_tokens = 1 and contains(c.token, p.token) and p.token <> c.token
            ), 0)
        ),
        reported as (
            select * from terms s
            where not exists (
                select 1 from terms l
                where l.team_id = s.team_id and l.week_start = s.week_start
                  and length(l.token) > length(s.token) and contains(l.token, s.token)
                  and l.mentions >= {share} * s.mentions
            )
        ),
        scored as (select *, ln((mentions + 1) / (baseline + 1)) as score from reported)
        select *,
            row_number() over (partition by team_id, week_start
                order by score desc, mentions desc, n_tokens, token) as term_rank
        from scored
        where score > 0
        """,
    )


def messages_with_term(home, team_id: str, week_start: str, term: str, normalise) -> int:
    """Messages of the team's reps in the ISO week whose normalised text contains the term."""
    texts = sql(
        home,
        f"""
        select chat.text from 'bronze/chat_messages.parquet' as chat
        join 'bronze/reps.parquet' as reps on reps.rep_id = chat.rep_id
        where reps.team_id = '{team_id}'
          and cast(date_trunc('week', cast(chat.sent_at as timestamp)) as date) = date '{week_start}'
        """,
    ).text
    return int(sum(term in normalise(text or "") for text in texts))


@pytest.mark.parametrize("name", ["default", "alt", "field"])
def test_planted_emerging_term_is_rank_one_for_its_team_and_week(planted_world, tokenizer, name):
    """The planted term, whole, is the strongest rise of its team and week, and nowhere else.

    Terms are read as runs of tokens, spelt the way the product spells them (normalised:
    traditional characters folded, Latin case-folded; tokens concatenated). Its mentions are the
    team-week's messages whose normalised text contains it — at least the truth's raw count,
    which misses a message writing the term in traditional characters.

    The bar is rank 1 in every world. default and alt plant a term jieba keeps whole (rank 1
    before and after the run detector). The field world plants a term in no dictionary, which
    jieba cuts into pieces: the single-token detector reported only a piece (rank 1) and never
    the term; reading runs it is rank 1 whole, with about twice the mentions of the next rise
    of its week. A lower bar would accept what a user cannot use — a fragment or a longer
    phrase listed above the term itself at the top of the team's weekly list. The published
    mart must agree with this independent reading."""
    world = planted_world(name)
    planted = world.truth["emerging_term"]
    term = term_surface(tokenizer.tokens(planted["term"]))
    ranked = emerging_terms(world.home)
    week = ranked[
        (ranked.team_id == planted["team_id"])
        & (ranked.week_start == pd.Timestamp(planted["week_start"]))
    ].sort_values("term_rank")
    top = week.iloc[0]
    assert top.token == term, (name, "whole term not rank 1", int(top.n_tokens))
    mentions = messages_with_term(
        world.home, planted["team_id"], planted["week_start"], term, tokenizer.dictionary.normalise
    )
    assert top.mentions == mentions >= planted["realised_messages_with_term"]
    elsewhere = ranked[(ranked.token == term) & (ranked.term_rank == 1)]
    assert len(elsewhere) == 1, "the planted term emerges in the planted team-week only"
    mart = world.query(
        "select token, mentions from marts.fct_team_emerging_terms_weekly "
        "where unit_id = ? and week_start = ? and term_rank = 1",
        [planted["team_id"], planted["week_start"]],
    )
    assert list(mart.itertuples(index=False, name=None)) == [(term, mentions)]


def test_requirement_mentions_by_product_line_match_the_planted_terms(chat_world, tokenizer):
    """Per product line, the three requirement keywords most mentioned are the planted terms'
    keywords, each mentioned, and every other requirement keyword is mentioned less often than
    the least-mentioned planted one. (A broad dictionary also hears requirement words in small
    talk or other lines' chat; the planted needs must still stand out.) The field world's
    requirement talk is technical and mostly verbatim: the same bar holds there, with the old
    dictionary and with the new one."""
    _, home, truth = chat_world
    planted_terms: dict[str, list[str]] = truth["emerging_term"]["requirement_terms"]
    planted = {
        line: {dictionary_keyword(tokenizer, term) for term in terms}
        for line, terms in planted_terms.items()
    }
    frame = sql(
        home,
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
