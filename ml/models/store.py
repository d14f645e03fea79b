"""Trained models on disk: ``models/<name>/<version>/`` with the fitted artifact
(``model.joblib``), its model card as data (``model_card.json``) and as a page
(``MODEL_CARD.md``: training window, features, data snapshot hash, metrics, version).

The version is derived from what the model is trained on: the hash of the training input
(features and labels, :func:`frame_hash`), the model's code version and its parameters. The
same input gives the same version, and :func:`load_or_train` then loads the stored artifact
instead of training again — an unchanged input reuses the artifact."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import joblib
import pandas as pd

ARTIFACT = "model.joblib"
CARD_JSON = "model_card.json"
CARD_PAGE = "MODEL_CARD.md"


def frame_hash(*frames: pd.DataFrame) -> str:
    """A stable SHA-256 of the frames' values, column names and order (the data snapshot
    hash of a model card)."""
    digest = hashlib.sha256()
    for frame in frames:
        digest.update("\x1f".join(map(str, frame.columns)).encode())
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def model_version(code_version: str, snapshot_hash: str, parameters: dict[str, Any]) -> str:
    """``<code_version>-<12 hex>``: the code version, then a hash of the data snapshot and the
    parameters, so a new version appears exactly when one of them changes."""
    payload = json.dumps({"data": snapshot_hash, "parameters": parameters}, sort_keys=True)
    return f"{code_version}-{hashlib.sha256(payload.encode()).hexdigest()[:12]}"


@dataclass
class ModelCard:
    """What an analyst needs to trust a model: what it learnt from, and how well it does on
    data it did not see."""

    name: str
    version: str
    title: str
    purpose: str
    training_window: dict[str, str]
    features: list[str]
    data_snapshot_hash: str
    parameters: dict[str, Any]
    metrics: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_markdown(self) -> str:
        lines = [
            f"# {self.title}",
            "",
            self.purpose,
            "",
            f"- **Model 模型**: `{self.name}`, version 版本 `{self.version}`",
            "- **Training window 训练窗口**: "
            + ", ".join(f"{key} {value}" for key, value in self.training_window.items()),
            "- **Data snapshot 数据快照** (SHA-256 of the training input): "
            f"`{self.data_snapshot_hash}`",
            "- **Parameters 参数**: "
            + ", ".join(f"{key}={value}" for key, value in sorted(self.parameters.items())),
            "",
            "## Features 特征",
            "",
            *[f"- `{name}`" for name in self.features],
            "",
            "## Metrics 指标",
            "",
            "```json",
            json.dumps(self.metrics, ensure_ascii=False, indent=2, sort_keys=True),
            "```",
        ]
        if self.notes:
            lines += ["", "## Notes 说明", "", *[f"- {note}" for note in self.notes]]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class StoredModel:
    model: Any
    card: ModelCard
    folder: Path
    reused: bool


def load_or_train(
    models_root: Path,
    name: str,
    version: str,
    train: Callable[[], tuple[Any, ModelCard]],
) -> StoredModel:
    """The stored model ``models_root/name/version`` when it is complete, else ``train()``'s,
    written there first (into a temporary folder renamed into place, so a run killed while
    writing leaves no half model that a later run would load)."""
    folder = models_root / name / version
    if (folder / ARTIFACT).exists() and (folder / CARD_JSON).exists():
        card = ModelCard(**json.loads((folder / CARD_JSON).read_text(encoding="utf-8")))
        return StoredModel(joblib.load(folder / ARTIFACT), card, folder, reused=True)
    model, card = train()
    partial = folder.with_name(f".{version}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    joblib.dump(model, partial / ARTIFACT)
    (partial / CARD_JSON).write_text(
        json.dumps(asdict(card), ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8"
    )
    (partial / CARD_PAGE).write_text(card.to_markdown(), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(partial, folder)
    return StoredModel(model, card, folder, reused=False)
