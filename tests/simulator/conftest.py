import json
from pathlib import Path

import pandas as pd
import pytest

from simulator.config import load_config
from simulator.generate import generate

SCALE = 0.05


class Landing:
    def __init__(self, root: Path):
        self.root = root
        self.manifest = json.loads((root / "truth.json").read_text(encoding="utf-8"))
        self._cache: dict[str, pd.DataFrame] = {}

    def table(self, name: str) -> pd.DataFrame:
        if name not in self._cache:
            if name == "chat_messages":
                parts = sorted((self.root / "chat").glob("chat_messages_*.jsonl"))
                df = pd.concat(
                    [pd.read_json(p, lines=True, dtype=False) for p in parts], ignore_index=True
                )
            else:
                source = "finance" if name in ("contracts", "payments") else "crm"
                df = pd.read_csv(
                    self.root / source / f"{name}.csv",
                    dtype=str,
                    keep_default_na=False,
                    na_values=[""],
                )
            self._cache[name] = df
        return self._cache[name]

    def truth(self, name: str) -> pd.DataFrame:
        return pd.read_csv(
            self.root / "truth" / f"{name}.csv", dtype=str, keep_default_na=False, na_values=[""]
        )


@pytest.fixture(scope="session")
def landing(tmp_path_factory) -> Landing:
    out = tmp_path_factory.mktemp("landing")
    generate(load_config(overrides=[f"scale={SCALE}", "seed=42"]), out)
    return Landing(out)
