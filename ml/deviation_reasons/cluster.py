"""Cluster deviation-report reasons by their free text and link each cluster to SOP cards.

Steps (fixtures in ``tests/ml/test_deviation_clusters.py``):

1. Tokenise every text with the chat tokenizer (jieba + the keyword dictionary's words, so
   竞品 / IT部门 / 延期 stay whole) and keep its content tokens (no stop words, no 1-character
   or numeric tokens).
2. TF-IDF over the distinct texts (sublinear tf, l2-normalised), weighted by how many reports
   carry each text; then LSA (``TruncatedSVD`` to ``LSA_COMPONENTS`` dimensions, re-normalised),
   so that two phrasings of one scenario that share only its core words (换人 … 关系) still
   land together: the shared words tie their other words together.
3. KMeans (``random_state`` fixed, ``n_init`` 10) for every k in ``K_RANGE``; the k with the
   best silhouette (cosine) wins, the smallest k on a tie. Fewer than ``MIN_TEXTS`` distinct
   texts: one cluster.
4. Label: the cluster's ``TOP_TERMS`` highest terms of its weighted centroid.
5. SOP link: each card's title + scenario tokenised the same way, minus the boilerplate words
   that many cards' text carries (in more than one card and more than ``CARD_GENERIC_DF`` of them, e.g.
   客户 / 阶段 / 场景 in "各行业客户处于…阶段,遇到「…」场景时使用"). A card's link score is the
   share of the cluster's top-term weight found in the card; cards scoring at least
   ``MIN_LINK_SCORE`` are linked, best first (up to ``MAX_LINKS``). A retired or draft card is
   linked too: the cluster still needs a card, and the card's status is shown beside it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize

from ml.chat_signals.dictionary import load_dictionary
from ml.chat_signals.tokenize import ChatTokenizer

RANDOM_STATE = 0
K_RANGE = range(2, 16)
LSA_COMPONENTS = 10
MIN_TEXTS = 4
TOP_TERMS = 5
CARD_GENERIC_DF = 0.3
MIN_LINK_SCORE = 0.2
MAX_LINKS = 3


@dataclass(frozen=True)
class ClusterResult:
    assignments: pd.DataFrame
    """report_id, cluster_id, similarity (cosine to the cluster centroid)."""
    clusters: pd.DataFrame
    """cluster_id, label, top_terms (``|``-separated), report_count, distinct_texts."""
    card_links: pd.DataFrame
    """cluster_id, card_id, link_rank, link_score, matched_terms (``|``-separated)."""
    k: int
    silhouette: float | None


class ReasonTokenizer:
    def __init__(self) -> None:
        self._tokenizer = ChatTokenizer(load_dictionary())

    def content_tokens(self, text: str) -> list[str]:
        """Content tokens in order of first appearance (a token counts once per text)."""
        kept = self._tokenizer.content_tokens(tokens := self._tokenizer.tokens(text or ""))
        return list(dict.fromkeys(t for t in tokens if t in kept))


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def _lsa(matrix) -> np.ndarray:
    components = min(LSA_COMPONENTS, matrix.shape[0] - 1, matrix.shape[1] - 1)
    if components < 2:
        return matrix.toarray()
    reduced = TruncatedSVD(components, random_state=RANDOM_STATE).fit_transform(matrix)
    return normalize(reduced)


def _choose_k(matrix, weights: np.ndarray) -> tuple[int, np.ndarray, float | None]:
    n = matrix.shape[0]
    if n < MIN_TEXTS:
        return 1, np.zeros(n, dtype=int), None
    matrix = _lsa(matrix)
    best = None
    for k in K_RANGE:
        if k >= n:
            break
        model = KMeans(n_clusters=k, random_state=RANDOM_STATE, n_init=10)
        labels = model.fit_predict(matrix, sample_weight=weights)
        if len(set(labels)) < 2:
            continue
        score = float(silhouette_score(matrix, labels, metric="cosine"))
        if best is None or score > best[2] + 1e-9:
            best = (k, labels, score)
    if best is None:
        return 1, np.zeros(n, dtype=int), None
    return best


def _canonical_order(labels: np.ndarray, weights: np.ndarray) -> dict[int, int]:
    """Cluster ids 1..k by size (reports, descending), then by first text: stable across runs."""
    sizes = Counter()
    first = {}
    for i, (label, w) in enumerate(zip(labels, weights, strict=True)):
        sizes[label] += w
        first.setdefault(label, i)
    order = sorted(sizes, key=lambda c: (-sizes[c], first[c]))
    return {label: rank + 1 for rank, label in enumerate(order)}


def cluster_reasons(
    reports: pd.DataFrame, cards: pd.DataFrame, tokenizer: ReasonTokenizer | None = None
) -> ClusterResult:
    """``reports``: report_id, reason_text. ``cards``: card_id, title, scenario."""
    tokenizer = tokenizer or ReasonTokenizer()
    reports = reports.assign(reason_text=reports["reason_text"].fillna("").str.strip())
    reports = reports[reports["reason_text"] != ""]
    texts = reports.groupby("reason_text", sort=True).size()
    if texts.empty:
        return _empty()
    tokens = [tokenizer.content_tokens(t) for t in texts.index]
    keep = [i for i, t in enumerate(tokens) if t]
    texts, tokens = texts.iloc[keep], [tokens[i] for i in keep]
    if texts.empty:
        return _empty()
    vectorizer = TfidfVectorizer(
        analyzer=_identity, sublinear_tf=True, norm="l2", token_pattern=None
    )
    matrix = vectorizer.fit_transform(tokens)
    weights = texts.to_numpy().astype(float)
    k, labels, silhouette = _choose_k(matrix, weights)
    canonical = _canonical_order(labels, weights)
    cluster_of_text = np.array([canonical[label] for label in labels])
    k = len(canonical)
    vocabulary = vectorizer.get_feature_names_out()

    # centroids in cluster-id order, from the weighted texts (not KMeans' own order)
    centroids = np.zeros((k, matrix.shape[1]))
    for cid in range(1, k + 1):
        rows = np.flatnonzero(cluster_of_text == cid)
        centroids[cid - 1] = (
            np.asarray(matrix[rows].multiply(weights[rows][:, None]).sum(axis=0)).ravel()
            / weights[rows].sum()
        )
    dense = matrix.toarray()
    norms = np.linalg.norm(centroids, axis=1)
    similarity = np.array(
        [
            float(dense[i] @ centroids[c - 1] / norms[c - 1]) if norms[c - 1] else 0.0
            for i, c in enumerate(cluster_of_text)
        ]
    )

    text_cluster = pd.DataFrame(
        {
            "reason_text": texts.index,
            "cluster_id": cluster_of_text,
            "similarity": similarity,
        }
    )
    assignments = reports[["report_id", "reason_text"]].merge(
        text_cluster, on="reason_text", how="inner"
    )[["report_id", "cluster_id", "similarity"]]

    top_terms: dict[int, list[tuple[str, float]]] = {}
    rows = []
    for cid in range(1, k + 1):
        weights_c = centroids[cid - 1]
        order = np.lexsort((vocabulary, -weights_c))
        top = [(vocabulary[j], float(weights_c[j])) for j in order[:TOP_TERMS] if weights_c[j] > 0]
        top_terms[cid] = top
        members = cluster_of_text == cid
        rows.append(
            {
                "cluster_id": cid,
                "label": " / ".join(t for t, _ in top[:3]),
                "top_terms": "|".join(t for t, _ in top),
                "report_count": int(weights[members].sum()),
                "distinct_texts": int(members.sum()),
            }
        )
    clusters = pd.DataFrame(rows)
    card_links = link_cards(top_terms, cards, tokenizer)
    return ClusterResult(
        assignments=assignments.sort_values("report_id", kind="stable").reset_index(drop=True),
        clusters=clusters,
        card_links=card_links,
        k=k,
        silhouette=silhouette,
    )


def card_terms(cards: pd.DataFrame, tokenizer: ReasonTokenizer) -> dict[str, set[str]]:
    """Each card's distinctive tokens: title + scenario, minus words most cards carry."""
    raw = {
        row.card_id: set(tokenizer.content_tokens(f"{row.title or ''} {row.scenario or ''}"))
        for row in cards.itertuples(index=False)
    }
    if not raw:
        return {}
    df = Counter(t for terms in raw.values() for t in terms)
    # a word of a single card is never boilerplate, however few cards there are
    generic = {t for t, n in df.items() if n > 1 and n / len(raw) > CARD_GENERIC_DF}
    return {card: terms - generic for card, terms in raw.items()}


def link_cards(
    top_terms: dict[int, Sequence[tuple[str, float]]],
    cards: pd.DataFrame,
    tokenizer: ReasonTokenizer,
) -> pd.DataFrame:
    terms_of_card = card_terms(cards, tokenizer)
    rows = []
    for cid, top in top_terms.items():
        total = sum(w for _, w in top)
        if not total:
            continue
        scored = []
        for card, terms in terms_of_card.items():
            matched = [(t, w) for t, w in top if t in terms]
            score = sum(w for _, w in matched) / total
            if matched and score >= MIN_LINK_SCORE:
                scored.append((score, card, [t for t, _ in matched]))
        scored.sort(key=lambda s: (-round(s[0], 9), s[1]))
        for rank, (score, card, matched) in enumerate(scored[:MAX_LINKS], start=1):
            rows.append(
                {
                    "cluster_id": cid,
                    "card_id": card,
                    "link_rank": rank,
                    "link_score": round(score, 6),
                    "matched_terms": "|".join(matched),
                }
            )
    return pd.DataFrame(
        rows, columns=["cluster_id", "card_id", "link_rank", "link_score", "matched_terms"]
    )


def _empty() -> ClusterResult:
    return ClusterResult(
        assignments=pd.DataFrame(columns=["report_id", "cluster_id", "similarity"]),
        clusters=pd.DataFrame(
            columns=["cluster_id", "label", "top_terms", "report_count", "distinct_texts"]
        ),
        card_links=pd.DataFrame(
            columns=["cluster_id", "card_id", "link_rank", "link_score", "matched_terms"]
        ),
        k=0,
        silhouette=None,
    )


def purity(clusters: Iterable[int], truth: Iterable[str]) -> float:
    """Share of items whose cluster's majority truth label is their own."""
    frame = pd.DataFrame({"cluster": list(clusters), "truth": list(truth)})
    if frame.empty:
        return float("nan")
    majority = frame.groupby("cluster")["truth"].agg(lambda s: s.value_counts().iloc[0])
    return float(majority.sum() / len(frame))
