"""Concept composition, typo folding and the plain matcher on hand-written sentences.

A concept (seed ``chat_concepts``) fires when a topic word and a cue word stand in one clause;
these sentences list none of their phrasings word for word in ``chat_keywords``."""

from __future__ import annotations

import pytest

from ml.chat_signals.dictionary import (
    Concept,
    Dictionary,
    Keyword,
    load_dictionary,
    read_concepts,
    read_typos,
)
from ml.chat_signals.match import match_text
from ml.chat_signals.tokenize import ChatTokenizer


@pytest.fixture(scope="module")
def tokenizer() -> ChatTokenizer:
    return ChatTokenizer(load_dictionary())


def hits(tokenizer: ChatTokenizer, text: str) -> set[tuple[str, bool]]:
    return {(h.keyword, h.negated) for h in tokenizer.keyword_hits(text)}


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("钱已经批下来了", "预算已批"),
        ("经费这块落实了", "预算已批"),
        ("老板还没签字", "领导还没批"),
        ("上面还没定", "领导还没批"),
        ("老板那边还在考虑", "领导还没批"),
        ("还得老板拍板才行", "领导还没批"),
        ("价位偏高", "太贵"),
        ("费用超了不少", "太贵"),
        ("价格再压一压", "降价"),
        ("经费有点紧", "预算不足"),
        ("别家的方案我们也在比较", "竞品"),
        ("和我们老设备能适配吗", "兼容"),
        ("按规定得公开比选", "招标"),
        ("最后定了别的厂家", "选了别家"),
        # a topic-only clause, then the comment on it
        ("钱的事,已经批下来了", "预算已批"),
        ("我们现有的系统,你们能适配吗", "兼容"),
    ],
)
def test_a_topic_and_a_cue_in_one_clause_report_the_concept(tokenizer, text, keyword):
    assert (keyword, False) in hits(tokenizer, text)


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        # affirmed concepts need a plain statement: no negation, question or hedge
        ("预算还没批下来", "预算已批"),
        ("经费那边落实了吗?", "预算已批"),
        ("预算批下来没有", "预算已批"),
        ("希望预算能批下来", "预算已批"),
        ("价格不高", "太贵"),
        ("价格高不高", "太贵"),
        # two negators cancel: the approval is given
        ("不是领导没签字", "领导还没批"),
        # the topic's clause says something else before the comma; or another sentence
        ("钱的事下周说,流程已经走完了", "预算已批"),
        ("钱的事下周说。流程已经走完了", "预算已批"),
        # a negator in the topic's own clause does not reach the comment
        ("预算还没批,价格偏高", "预算已批"),
        # a one-character word inside a longer word is not the word (高 of 高端, 价 of 评价)
        ("客户评价很高", "太贵"),
        ("价格是高端定位", "太贵"),
        # a competitor merely present is not a comparison
        ("友商那边也在跟", "竞品"),
    ],
)
def test_a_concept_does_not_fire_without_a_statement_of_it(tokenizer, text, keyword):
    assert keyword not in {k for k, negated in hits(tokenizer, text) if not negated}


def test_a_negated_concept_is_reported_negated_when_its_keyword_is_negatable(tokenizer):
    assert ("兼容", True) in hits(tokenizer, "跟现有系统用不了")
    assert ("竞品", True) in hits(tokenizer, "别的厂家的方案我们没看")
    assert ("竞品", True) in hits(tokenizer, "没找别家比")


def test_a_pair_another_keyword_of_its_category_already_reads_is_not_reported_twice(tokenizer):
    # 老板不同意 is a listed refusal: not also "approval pending"
    assert hits(tokenizer, "老板不同意") == {("审批被否", False)}
    # 接口对不上 is a listed interface mismatch: its topic 接口 does not also make 兼容
    assert "兼容" not in {k for k, _ in hits(tokenizer, "接口对不上,要改造的话工作量太大")}


def test_a_negator_before_a_comma_does_not_negate_the_comment(tokenizer):
    assert ("预算已批", False) in hits(tokenizer, "不着急,预算已经批了")


def test_typos_and_traditional_characters_fold_before_matching(tokenizer):
    assert hits(tokenizer, "竟品") == {("竞品", False)}
    assert hits(tokenizer, "预算以批") == {("预算已批", False)}
    assert hits(tokenizer, "老闆還沒簽字") == hits(tokenizer, "老板还没签字")
    assert tokenizer.dictionary.normalise("兼融性") == "兼容性"


def test_concepts_compose_from_the_seed_rows_alone():
    """A one-rule dictionary: the rule, not a listed phrase, makes the hit."""
    dictionary = Dictionary(
        (Keyword("太贵", (), "price", "negative", False, "price"),),
        frozenset(),
        concepts=(Concept("太贵", ("价位",), ("偏高", "高"), "affirmed"),),
    )
    tokenizer = ChatTokenizer(dictionary)
    assert [h.keyword for h in tokenizer.keyword_hits("这个价位确实偏高")] == ["太贵"]
    assert tokenizer.keyword_hits("这个价位不高") == []
    assert tokenizer.keyword_hits("价位") == []


def test_a_concept_for_an_unknown_keyword_or_a_bad_mode_is_rejected(tmp_path):
    concepts = tmp_path / "concepts.csv"
    concepts.write_text("keyword,mode,topics,cues,description\n没有这词,plain,钱,批了,x\n")
    with pytest.raises(ValueError, match="没有这词"):
        load_dictionary(concepts_path=concepts)
    concepts.write_text("keyword,mode,topics,cues,description\n预算,sometimes,钱,批了,x\n")
    with pytest.raises(ValueError, match="mode"):
        read_concepts(concepts)


def test_a_one_character_typo_is_rejected(tmp_path):
    typos = tmp_path / "typos.csv"
    typos.write_text("typo,correct,description\n以,已,x\n")
    with pytest.raises(ValueError, match="two or more"):
        read_typos(typos)


def test_match_text_is_the_chat_matcher_for_any_text(tokenizer):
    text = "客户说还没有预算,报价太高了"
    assert [(h.keyword, h.category, h.negated) for h in match_text(text)] == [
        (h.keyword, h.category, h.negated) for h in tokenizer.keyword_hits(text)
    ]
    assert ("预算", "budget", True) in {
        (h.keyword, h.category, h.negated) for h in match_text(text)
    }
    assert match_text("") == [] and match_text(None) == []
