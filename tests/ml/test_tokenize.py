"""Hand-written edge cases of the tokenizer: dictionary words, words inside words, negation
scope, traditional characters, colloquial and indirect phrasings."""

from __future__ import annotations

import pytest

from ml.chat_signals.dictionary import load_dictionary
from ml.chat_signals.tokenize import ChatTokenizer


@pytest.fixture(scope="module")
def tokenizer() -> ChatTokenizer:
    return ChatTokenizer(load_dictionary())


def hits(tokenizer: ChatTokenizer, text: str) -> set[tuple[str, bool]]:
    return {(h.keyword, h.negated) for h in tokenizer.keyword_hits(text)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我们有预算", {("预算", False)}),
        ("有预算", {("预算", False)}),
        ("没有预算", {("预算", True)}),
        ("没预算", {("预算", True)}),
        ("还没有预算", {("预算", True)}),
        ("无预算", {("预算", True)}),
        # 预算 + 不够 is also the concept 预算不足 (seed chat_concepts)
        ("预算不够", {("预算", True), ("预算不足", False)}),
        ("预算还没批", {("预算", True)}),
        ("没问题,预算有的", {("预算", False)}),
        ("不兼容", {("兼容", True)}),
        ("你们跟我们现在用的设备兼容吗?", {("兼容", False)}),
        ("没有招标", {("招标", True)}),
        ("这个项目我们要走招标流程", {("招标", False)}),
        # two negators cancel: 不是没有 / 不是不 (double negation)
        ("不是没有预算", {("预算", False)}),
        ("也不是不兼容", {("兼容", False)}),
        ("我们并没有预算", {("预算", True)}),
        # a question is not a negation
        ("有没有预算?", {("预算", False)}),
        # a turn (但是) closes the clause like punctuation does
        ("没什么问题但是预算是有的", {("预算", False)}),
        # 'not working' after the keyword, even when jieba cuts it in two (有|问题)
        ("兼容有问题", {("兼容", True)}),
        ("预算还没批下来", {("预算", True), ("领导还没批", False)}),
        ("项目不会延期", {("延期", True)}),
    ],
)
def test_negation_window(tokenizer, text, expected):
    assert hits(tokenizer, text) == expected


def test_a_keyword_inside_a_longer_ordinary_word_counts(tokenizer):
    assert "预算内" in tokenizer.tokens("预算内可以")
    assert hits(tokenizer, "预算内可以") == {("预算", False)}
    assert hits(tokenizer, "兼容性这块我们比较担心") == {("兼容", False)}


def test_a_word_inside_a_dictionary_word_does_not_count(tokenizer):
    assert "算" not in tokenizer.tokens("预算")
    assert hits(tokenizer, "计算一下") == set()
    assert hits(tokenizer, "好消息,预算已批,下周走流程") == {("预算已批", False), ("审批", False)}


def test_approval_pending_is_its_own_keyword_and_never_negated(tokenizer):
    assert "领导还没批" in tokenizer.tokens("方案我报上去了,领导还没批")
    assert {
        (h.keyword, h.category, h.negated) for h in tokenizer.keyword_hits("领导还没批,你们等消息")
    } == {("领导还没批", "approval", False)}


def test_synonyms_report_their_keyword(tokenizer):
    assert hits(tokenizer, "下个月会发招标公告,你们准备一下资质") == {
        ("招标", False),
        ("资质", False),
    }
    assert hits(tokenizer, "友商那边也在跟") == {("竞争对手", False)}
    assert hits(tokenizer, "对接不上我们的ERP") == {("对接不了", False)}


def test_a_negator_in_another_clause_does_not_negate(tokenizer):
    assert hits(tokenizer, "没有,预算是有的") == {("预算", False)}


def test_content_tokens_drop_stop_words_single_characters_and_numbers(tokenizer):
    tokens = tokenizer.tokens("我们现场潮湿,防水等级是硬指标,2026年要上线 100 台")
    content = tokenizer.content_tokens(tokens)
    assert "防水等级" in content and "硬指标" in content
    assert not {"我们", ",", "是", "100", "2026"} & content
    assert all(len(t) > 1 for t in content)


def test_an_empty_text_has_no_tokens(tokenizer):
    assert tokenizer.tokens("") == [] and tokenizer.keyword_hits("") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the colloquial and indirect phrasings
        ("今年这块没钱", {("预算不足", False)}),
        ("报价超出预期了", {("太贵", False)}),
        ("这个价位老板不会批", {("价格", False), ("审批被否", False)}),
        ("项目先放一放,明年再说", {("再等等", False)}),
        ("最后他们选了别家", {("选了别家", False)}),
        ("功能满足不了我们的要求", {("需求不符", False)}),
        ("我们这边对接人换了", {("换人对接", False)}),
    ],
)
def test_colloquial_phrasings_report_their_keyword(tokenizer, text, expected):
    assert hits(tokenizer, text) == expected


def test_traditional_characters_match_the_simplified_keyword(tokenizer):
    assert (
        hits(tokenizer, "價格太貴了")
        == hits(tokenizer, "价格太贵了")
        == {
            ("价格", False),
            ("太贵", False),
        }
    )
    assert hits(tokenizer, "預算還沒批") == {("预算", True)}
    assert hits(tokenizer, "系統對接不了") == hits(tokenizer, "系统对接不了")
    assert "价格" in tokenizer.content_tokens(tokenizer.tokens("價格"))


def test_full_width_and_case_are_folded(tokenizer):
    assert (
        hits(tokenizer, "ＡＰＩ文档发一下") == hits(tokenizer, "api文档发一下") == {("接口", False)}
    )


def test_a_latin_form_counts_only_as_a_whole_word(tokenizer):
    assert hits(tokenizer, "APP端要能审批") != set()
    assert "apple" in tokenizer.tokens("apple post")
    assert hits(tokenizer, "apple post") == set()


def test_the_contact_person_is_not_an_interface(tokenizer):
    assert hits(tokenizer, "请确认客户接口人") == {("对接人", False)}
