"""Validate a report (as a dict) against the versioned JSON schema shipped with the package."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def report_schema() -> dict[str, Any]:
    text = resources.files("diagnostics.schema").joinpath("report.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validation_errors(report: dict[str, Any]) -> list[str]:
    """Every way `report` breaks the schema, as 'path: message' lines (empty when valid)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(report_schema())
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '(root)'}: {err.message}"
        for err in sorted(validator.iter_errors(report), key=lambda e: list(map(str, e.absolute_path)))
    ]


def validate(report: dict[str, Any]) -> None:
    errors = validation_errors(report)
    if errors:
        raise ValueError("report does not match schema " + report_schema()["$id"] + ":\n  " + "\n  ".join(errors))
