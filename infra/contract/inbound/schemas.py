"""JSON Schemas of the ingest contract, generated from the pydantic models.

``python -m infra.contract.inbound.schemas`` rewrites ``docs/contract/ingest/*.schema.json``;
a unit test fails when the committed files are stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from infra.contract.inbound.messages import MESSAGES, type_of

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "docs" / "contract" / "ingest"


def schemas() -> dict[str, str]:
    """File name -> JSON Schema text, one per message type."""
    out: dict[str, str] = {}
    for model in MESSAGES:
        schema = model.model_json_schema(mode="validation")
        schema["$id"] = f"https://peerpulse.dev/schemas/ingest/{type_of(model)}.schema.json"
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        out[f"{type_of(model)}.schema.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


def write(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema into ``directory``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schemas().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write(Path(sys.argv[1]) if len(sys.argv) > 1 else SCHEMA_DIR):
        print(path)
