"""One walker over a section's typed definition (a TypedDict, or a dataclass serialised with `asdict`) that both
writes its JSON Schema and checks collected data against it, so the schema, the runtime check and mypy agree.

Understood annotations: str, int, float (an int is a number too), bool, None, Any, list[X], dict[str, X],
`X | Y`, Literal[...], TypedDict (its required keys are required; no other keys allowed) and dataclasses (every
field required). A section's top-level keys are checked for presence only when it finished `ok`: a partial, timed
out or cancelled section keeps what was ready, and its skips say what is missing.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any, Literal, NotRequired, Required, Union, get_args, get_origin, is_typeddict

JSON = dict[str, Any]
_OPEN: set[type] = set()


def allow_extra_keys(record: type) -> None:
    """Let `record` carry keys beyond its declared ones (their types are free): for entries whose detail varies
    by source, such as a connectivity check's extras. The declared keys are still checked."""
    _OPEN.add(record)


@cache
def _fields(contract: type) -> tuple[dict[str, Any], frozenset[str]]:
    """The keys of a TypedDict or dataclass with their annotations, and the keys that must be present."""
    hints = typing.get_type_hints(contract)
    if is_typeddict(contract):
        return hints, frozenset(contract.__required_keys__)  # type: ignore[attr-defined]
    if dataclasses.is_dataclass(contract):
        names = [f.name for f in dataclasses.fields(contract)]
        return {n: hints[n] for n in names}, frozenset(names)
    raise TypeError(f"{contract!r} is neither a TypedDict nor a dataclass")


def _is_record(tp: Any) -> bool:
    return isinstance(tp, type) and (is_typeddict(tp) or dataclasses.is_dataclass(tp))


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) in (Required, NotRequired):
        tp = get_args(tp)[0]
    return tp


def schema_of(tp: Any, *, with_required: bool = True) -> JSON:
    """The JSON Schema (draft 2020-12) of annotation `tp`. `with_required=False` leaves out the top level's
    `required` (the report schema adds it only for a section whose status is `ok`)."""
    tp = _unwrap(tp)
    origin = get_origin(tp)
    if tp is Any:
        return {}
    if tp is None or tp is type(None):
        return {"type": "null"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"type": "number"}
    if tp is str:
        return {"type": "string"}
    if origin is Literal:
        return {"enum": list(get_args(tp))}
    if origin in (Union, types.UnionType):
        options = [schema_of(a) for a in get_args(tp)]
        simple = [o["type"] for o in options if list(o) == ["type"]]
        if len(simple) == len(options):
            return {"type": simple}
        return {"anyOf": options}
    if origin is list:
        return {"type": "array", "items": schema_of(get_args(tp)[0])}
    if origin is dict:
        key, value = get_args(tp)
        if key is not str:
            raise TypeError(f"JSON object keys are strings, not {key!r}")
        return {"type": "object", "additionalProperties": schema_of(value)}
    if _is_record(tp):
        hints, required = _fields(tp)
        out: JSON = {"type": "object", "properties": {k: schema_of(v) for k, v in hints.items()}}
        if tp not in _OPEN:
            out["additionalProperties"] = False
        if with_required and required:
            out["required"] = sorted(required)
        if tp.__doc__ and not tp.__doc__.startswith(tp.__name__ + "("):  # a dataclass's generated doc is noise
            out["description"] = " ".join(tp.__doc__.split())
        return out
    raise TypeError(f"no JSON Schema for the annotation {tp!r}")


def required_keys(contract: type) -> list[str]:
    return sorted(_fields(contract)[1])


def _kind(value: Any) -> str:
    return "null" if value is None else {bool: "boolean", int: "integer", float: "number", str: "string",
                                          list: "array", dict: "object"}.get(type(value), type(value).__name__)


def problems(value: Any, tp: Any, path: str = "", *, check_required: bool = True) -> list[str]:
    """Every way `value` differs from annotation `tp`, as short sentences naming the key ('missing key
    'uptime_s'', 'key 'os.source' should be string, not integer'); empty when it fits."""
    if _fits(tp, check_required)(value):  # the common case, fast; the walk below only names what is wrong
        return []
    return _problems(value, tp, path, check_required=check_required)


Fits = Callable[[Any], bool]
_SCALARS: dict[Any, Fits] = {
    None: lambda v: v is None, type(None): lambda v: v is None, bool: lambda v: type(v) is bool,
    int: lambda v: type(v) is int, float: lambda v: type(v) in (int, float), str: lambda v: isinstance(v, str),
}


@cache
def _fits(tp: Any, check_required: bool = True) -> Fits:
    """A compiled yes/no check of `tp` (the rules read sections many times per run)."""
    tp = _unwrap(tp)
    origin = get_origin(tp)
    if tp is Any:
        return lambda v: True
    if tp in _SCALARS:
        return _SCALARS[tp]
    if origin in (Union, types.UnionType):
        options = [_fits(a) for a in get_args(tp)]
        return lambda v: any(f(v) for f in options)
    if origin is Literal:
        allowed = get_args(tp)
        return lambda v: v in allowed and type(v) in {type(a) for a in allowed}
    if origin is list:
        item = _fits(get_args(tp)[0])
        return lambda v: isinstance(v, list) and all(item(x) for x in v)
    if origin is dict:
        value = _fits(get_args(tp)[1])
        return lambda v: isinstance(v, dict) and all(value(x) for x in v.values())
    if _is_record(tp):
        hints, required = _fields(tp)
        keys = {k: _fits(h) for k, h in hints.items()}
        must = required if check_required else frozenset()
        is_open = tp in _OPEN

        def record(v: Any) -> bool:
            if not isinstance(v, dict) or not must <= v.keys():
                return False
            for k, x in v.items():
                f = keys.get(k)
                if f is None:
                    if not is_open:
                        return False
                elif not f(x):
                    return False
            return True

        return record
    raise TypeError(f"cannot check the annotation {tp!r}")


def _problems(value: Any, tp: Any, path: str = "", *, check_required: bool = True) -> list[str]:
    tp = _unwrap(tp)
    origin = get_origin(tp)
    where = f"key '{path}'" if path else "the data"
    if tp is Any:
        return []
    if origin in (Union, types.UnionType):
        found = [_problems(value, a, path) for a in get_args(tp)]
        if any(not f for f in found):
            return []
        expected = " or ".join(_expected(a) for a in get_args(tp))
        return [f"{where} should be {expected}, not {_kind(value)}"] if not _is_nested(tp) else min(found, key=len)
    if origin is Literal:
        allowed = get_args(tp)
        return [] if value in allowed and type(value) in {type(a) for a in allowed} else [
            f"{where} should be one of {', '.join(map(repr, allowed))}, not {value!r}"]
    ok = {type(None): value is None, bool: type(value) is bool, int: type(value) is int,
          float: type(value) in (int, float), str: isinstance(value, str)}
    base = type(None) if tp is None else tp
    if base in ok:
        return [] if ok[base] else [f"{where} should be {_expected(tp)}, not {_kind(value)}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{where} should be array, not {_kind(value)}"]
        return [p for i, v in enumerate(value) for p in _problems(v, get_args(tp)[0], f"{path}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where} should be object, not {_kind(value)}"]
        item = get_args(tp)[1]
        return [p for k, v in value.items() for p in _problems(v, item, f"{path}.{k}" if path else str(k))]
    if _is_record(tp):
        if not isinstance(value, dict):
            return [f"{where} should be object, not {_kind(value)}"]
        hints, required = _fields(tp)
        out = [f"missing key '{path + '.' if path else ''}{k}'" for k in sorted(required)
               if check_required and k not in value]
        for k, v in value.items():
            sub = f"{path}.{k}" if path else str(k)
            if k not in hints:
                if tp in _OPEN:
                    continue
                out.append(f"unexpected key '{sub}' (not in the section's definition)")
            else:
                out.extend(_problems(v, hints[k], sub))
        return out
    raise TypeError(f"cannot check the annotation {tp!r}")


def _is_nested(tp: Any) -> bool:
    return any(_is_record(a) or get_origin(a) in (list, dict) for a in get_args(tp))


def _expected(tp: Any) -> str:
    tp = _unwrap(tp)
    if tp is None or tp is type(None):
        return "null"
    if _is_record(tp) or get_origin(tp) is dict:
        return "object"
    if get_origin(tp) is list:
        return "array"
    return {bool: "boolean", int: "integer", float: "number", str: "string"}.get(tp, str(tp))
