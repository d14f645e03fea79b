"""The model store: one folder per model version with the artifact and its model card, and an
unchanged training input reuses the stored artifact instead of training again."""

from __future__ import annotations

import json

import pandas as pd

from ml.models.store import (
    ARTIFACT,
    CARD_JSON,
    CARD_PAGE,
    ModelCard,
    frame_hash,
    load_or_train,
    model_version,
)


def _card(version: str) -> ModelCard:
    return ModelCard(
        name="demo",
        version=version,
        title="Demo 示例",
        purpose="A test model.",
        training_window={"origin": "2026-01-01"},
        features=["x"],
        data_snapshot_hash="abc",
        parameters={"alpha": 1},
        metrics={"brier": 0.1},
    )


def test_frame_hash_follows_values_columns_and_order():
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": ["a", "b"]})
    assert frame_hash(frame) == frame_hash(frame.copy())
    assert frame_hash(frame) != frame_hash(frame.assign(x=[1.0, 2.5]))
    assert frame_hash(frame) != frame_hash(frame.rename(columns={"y": "z"}))
    assert frame_hash(frame) != frame_hash(frame.iloc[::-1])


def test_version_changes_with_data_parameters_or_code():
    base = model_version("v1", "hash", {"alpha": 1})
    assert base.startswith("v1-") and base == model_version("v1", "hash", {"alpha": 1})
    assert base != model_version("v1", "other", {"alpha": 1})
    assert base != model_version("v1", "hash", {"alpha": 2})
    assert base != model_version("v2", "hash", {"alpha": 1})


def test_an_unchanged_input_reuses_the_stored_artifact(tmp_path):
    calls = []

    def train():
        calls.append(1)
        return {"weights": [1, 2, 3]}, _card("v1-x")

    first = load_or_train(tmp_path, "demo", "v1-x", train)
    second = load_or_train(tmp_path, "demo", "v1-x", train)
    assert calls == [1]
    assert not first.reused and second.reused
    assert second.model == {"weights": [1, 2, 3]} and second.card == first.card
    folder = tmp_path / "demo" / "v1-x"
    assert sorted(p.name for p in folder.iterdir()) == sorted([ARTIFACT, CARD_JSON, CARD_PAGE])
    card = json.loads((folder / CARD_JSON).read_text(encoding="utf-8"))
    for field in ("training_window", "features", "data_snapshot_hash", "metrics", "version"):
        assert card[field], field
    page = (folder / CARD_PAGE).read_text(encoding="utf-8")
    assert "Training window 训练窗口" in page and "`abc`" in page and '"brier": 0.1' in page
    assert [p.name for p in (tmp_path / "demo").iterdir()] == ["v1-x"]  # no partial left


def test_a_half_written_model_is_trained_again(tmp_path):
    folder = tmp_path / "demo" / "v1-x"
    folder.mkdir(parents=True)
    (folder / CARD_JSON).write_text("{}", encoding="utf-8")  # the artifact never got written
    stored = load_or_train(tmp_path, "demo", "v1-x", lambda: ({"ok": True}, _card("v1-x")))
    assert not stored.reused and stored.model == {"ok": True}
