"""The TOML config file (`config.toml` in the config dir). Secrets never go here: they live in the keyring.

A malformed file is reported with its path and line, and never overwritten.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from . import paths


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
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"the config file {path} is not valid TOML ({exc}); fix it or move it away, Deskside left it as it is"
        ) from exc


def save(config: dict[str, Any], path: Path | None = None) -> Path:
    path = path or paths.config_file()
    paths.ensure(path.parent)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(tomli_w.dumps(config), encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
    return path
