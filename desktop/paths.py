"""Where Deskside keeps its files (platformdirs), overridable for tests and portable installs.

DESKSIDE_CONFIG_DIR, DESKSIDE_DATA_DIR, DESKSIDE_CACHE_DIR and DESKSIDE_LOG_DIR override the defaults.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "deskside"


def _dir(env: str, default: str) -> Path:
    p = Path(os.environ.get(env) or default)
    return p


def config_dir() -> Path:
    return _dir("DESKSIDE_CONFIG_DIR", platformdirs.user_config_dir(APP))


def data_dir() -> Path:
    return _dir("DESKSIDE_DATA_DIR", platformdirs.user_data_dir(APP))


def cache_dir() -> Path:
    return _dir("DESKSIDE_CACHE_DIR", platformdirs.user_cache_dir(APP))


def log_dir() -> Path:
    return _dir("DESKSIDE_LOG_DIR", platformdirs.user_log_dir(APP))


def config_file() -> Path:
    return config_dir() / "config.toml"


def ensure(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True, mode=0o700)
    return p
