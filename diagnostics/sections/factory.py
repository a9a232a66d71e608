"""Section data built from the definitions, for rule tests and examples: every required key gets a neutral
default ("", 0, False, [], {} or None where allowed), and the caller overrides what the test is about. A key the
definition does not have is refused, so a test written against an old shape fails instead of testing nothing."""

import dataclasses
import datetime as dt
import types
from typing import Any, Literal, Union, get_args, get_origin

from ..model import Report, Section, SectionStatus
from . import CONTRACTS, contract


def _default(tp: Any) -> Any:
    tp = contract._unwrap(tp)
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = get_args(tp)
        return None if type(None) in args else _default(args[0])
    if origin is Literal:
        return get_args(tp)[0]
    if origin is list:
        return []
    if origin is dict:
        return {}
    if contract._is_record(tp):
        return build(tp, {})
    return {str: "", int: 0, float: 0.0, bool: False}.get(tp)


def build(tp: Any, value: Any) -> Any:
    """`value` completed with the defaults of `tp`: records get their missing required keys, list items and
    dict values are completed in turn. Raises KeyError for a key `tp` does not define."""
    tp = contract._unwrap(tp)
    origin = get_origin(tp)
    if origin in (Union, types.UnionType) and isinstance(value, dict):
        records = [a for a in get_args(tp) if contract._is_record(a)]
        return build(records[0], value) if records else value
    if origin is list and isinstance(value, list):
        return [build(get_args(tp)[0], v) for v in value]
    if origin is dict and isinstance(value, dict):
        return {k: build(get_args(tp)[1], v) for k, v in value.items()}
    if not (contract._is_record(tp) and isinstance(value, dict)):
        return value
    hints, required = contract._fields(tp)
    out: dict[str, Any] = {}
    if dataclasses.is_dataclass(tp):  # the dataclass's own defaults, as stored
        for f in dataclasses.fields(tp):
            if f.default is not dataclasses.MISSING:
                out[f.name] = f.default
            elif f.default_factory is not dataclasses.MISSING:
                made = f.default_factory()
                stored = dataclasses.asdict(made) if dataclasses.is_dataclass(made) and not isinstance(made, type) \
                    else made
                out[f.name] = build(hints[f.name], stored)
    for k in sorted(required):
        if k not in out:
            out[k] = _default(hints[k])
    for k, v in value.items():
        if k not in hints and tp not in contract._OPEN:
            raise KeyError(f"{k!r} is not a key of {tp.__name__} (keys: {', '.join(hints)})")
        out[k] = build(hints[k], v) if k in hints else v
    return out


def make_data(name: str, **fields: Any) -> dict[str, Any]:
    """The data of section `name` with `fields` set and every other required key at its default."""
    data: dict[str, Any] = build(CONTRACTS[name], fields)
    return data


def make_section(name: str, status: SectionStatus = SectionStatus.OK, **fields: Any) -> Section:
    return Section(name=name, title=name, status=status, data=make_data(name, **fields))


def make_report(platform: str = "linux", **sections: dict[str, Any]) -> Report:
    """A report whose sections (`name=fields`) were collected `ok`, built with `make_data`."""
    return Report(host="test", generated_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC).isoformat(), platform=platform,
                  sections={name: make_section(name, **fields) for name, fields in sections.items()})
