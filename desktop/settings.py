"""The TOML config file (`config.toml` in the config dir). Secrets never go here: they live in the keyring.

What the app reads is the organisation's system file merged under the user's (config_layers.py); what it writes is
the user's file only. A malformed file is reported with its path and line, and never overwritten. Values are
checked against the one schema of the file (config_schema.py) on every read: a wrong type or an out-of-range
number is an error naming the key and what to write.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

from . import config_schema, paths


class ConfigError(Exception):
    pass


def read(path: Path) -> tuple[dict[str, Any], str]:
    """One config file parsed, and its text (for line numbers), not yet checked against the schema.
    FileNotFoundError when it does not exist; ConfigError when it cannot be read or is not TOML."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc}") from exc
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"the config file {path} is not valid TOML ({exc}); fix it or move it away, Deskside left it as it is"
        ) from exc


def load(path: Path | None = None) -> dict[str, Any]:
    """The settings every part of Deskside reads: the organisation's system file merged under the user's
    config.toml, locks applied (desktop/config_layers.py; its warnings go to stderr once per process). With
    `path`: that one file alone, checked (what to edit before `save()`)."""
    if path is None:
        from . import config_layers

        layered = config_layers.load()
        report(layered.notices)
        return layered.merged
    try:
        config, _text = read(path)
    except FileNotFoundError:
        return {}
    check(config, path)
    return config


def load_user() -> dict[str, Any]:
    """The user's config.toml alone, checked: what a writer changes and hands to `save()` (never the merged
    settings, which would copy the organisation's values into the user's file)."""
    return load(paths.config_file())


_reported: set[str] = set()


def report(notices: Any) -> None:
    """Print each warning about the config files once per process to stderr ("deskside: warning: ..."), control
    characters escaped (the files' text is data)."""
    for notice in notices:
        text = str(notice)
        if text in _reported:
            continue
        _reported.add(text)
        from common.terminal import shown  # only with a warning to print (not on every start)

        print(f"deskside: warning: {shown(text, one_line=True)}", file=sys.stderr)


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
    import tomli_w  # only when writing: reading config.toml at start-up does not need it

    tmp.write_text(tomli_w.dumps(config), encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
    return path
