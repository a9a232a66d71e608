"""The TOML config file (`config.toml` in the config dir). Secrets never go here: they live in the keyring.

A malformed file is reported with its path and line, and never overwritten. Values are checked against the one
schema of the file (config_schema.py) on every read: a wrong type or an out-of-range number is an error naming the
key and what to write.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from . import config_schema, paths


class ConfigError(Exception):
    pass


def load(path: Path | None = None) -> dict[str, Any]:
    path = path or paths.config_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc}") from exc
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"the config file {path} is not valid TOML ({exc}); fix it or move it away, Deskside left it as it is"
        ) from exc
    check(config, path)
    return config


def check(config: dict[str, Any], path: Path | None = None) -> None:
    """Raise ConfigError naming every value that breaks the one schema of config.toml (desktop/config_schema.py)."""
    found = config_schema.problems(config)
    if found:
        where = path or paths.config_file()
        listed = "; ".join(found) if len(found) > 1 else found[0]
        raise ConfigError(f"{listed} (in {where}; Deskside left the file as it is)")


def save(config: dict[str, Any], path: Path | None = None) -> Path:
    path = path or paths.config_file()
    check(config, path)  # never write a file the next read would refuse
    paths.ensure(path.parent)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(tomli_w.dumps(config), encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
    return path
