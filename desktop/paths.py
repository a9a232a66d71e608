"""Where Deskside keeps its files (platformdirs), overridable for tests and portable installs, and where it reads
the user's OpenSSH files.

DESKSIDE_CONFIG_DIR, DESKSIDE_DATA_DIR, DESKSIDE_CACHE_DIR and DESKSIDE_LOG_DIR override the defaults;
DESKSIDE_SSH_CONFIG overrides ~/.ssh/config; DESKSIDE_SYSTEM_CONFIG overrides the organisation's system-wide
config file (/etc/deskside/config.toml and its Windows and macOS equivalents).
"""

from __future__ import annotations

import os
import sys
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


def system_config_file() -> Path:
    """The organisation's config, layered under the user's (desktop/config_layers.py); read only, never written."""
    env = os.environ.get("DESKSIDE_SYSTEM_CONFIG")
    if env:
        return Path(env)
    if sys.platform == "win32":
        return Path(os.environ.get("PROGRAMDATA") or r"C:\ProgramData") / "Deskside" / "config.toml"
    if sys.platform == "darwin":
        return Path("/Library/Application Support/Deskside/config.toml")
    return Path("/etc/deskside/config.toml")


def ensure(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True, mode=0o700)
    return p


# -- the SSH files (the CLI and the Remote page use the same ones) ---------------------------------------------
def ssh_dir() -> Path:
    """~/.ssh: known_hosts and the default keys, as OpenSSH reads them."""
    return Path(os.path.expanduser("~")) / ".ssh"


def ssh_config_path() -> Path:
    return Path(os.environ.get("DESKSIDE_SSH_CONFIG") or ssh_dir() / "config")


def address_book_path() -> Path:
    return config_dir() / "hosts.toml"


def known_hosts_store_path() -> Path:
    """Deskside's own store of trusted host keys (read together with ~/.ssh/known_hosts)."""
    return data_dir() / "known_hosts"


def audit_log_path() -> Path:
    return log_dir() / "remote-audit.jsonl"
