"""Writes each section's JSON Schema, generated from its definition, into the report schema
(`diagnostics/schema/report.schema.json`): `$defs/data_<name>`, chosen by the section's `name`, with the top-level
keys required only when its `status` is `ok`. Run `python -m diagnostics.sections.schemagen` after changing a
definition; a unit test fails while the shipped schema and the definitions disagree."""

import copy
import json
import sys
from pathlib import Path
from typing import Any

from . import CONTRACTS, contract

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema" / "report.schema.json"
PREFIX = "data_"


def with_sections(base: dict[str, Any]) -> dict[str, Any]:
    """`base` (the report schema) with every section's data schema generated from the definitions."""
    out = copy.deepcopy(base)
    defs: dict[str, Any] = {k: v for k, v in out["$defs"].items() if not k.startswith(PREFIX)}
    rules = []
    for name, kind in CONTRACTS.items():
        defs[PREFIX + name] = contract.schema_of(kind, with_required=False)
        rules.append({
            "if": {"properties": {"name": {"const": name}}, "required": ["name"]},
            "then": {
                "properties": {"data": {"$ref": f"#/$defs/{PREFIX}{name}"}},
                "if": {"properties": {"status": {"const": "ok"}}, "required": ["status"]},
                "then": {"properties": {"data": {"required": contract.required_keys(kind)}}},
            },
        })
    defs["section"]["allOf"] = rules
    out["$defs"] = defs
    return out


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    current = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    text = render(with_sections(current))
    if "--check" in sys.argv[1:]:
        same = text == SCHEMA_FILE.read_text(encoding="utf-8")
        print(f"{SCHEMA_FILE}: {'up to date' if same else 'out of date; run python -m diagnostics.sections.schemagen'}")
        return 0 if same else 1
    SCHEMA_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
