"""Backend secrets in a real Secret Service (gnome-keyring in a private D-Bus session, set up by
scripts/run-tests.sh with DESKSIDE_TEST_KEYRING=1), and the clear message where no keyring exists."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import keyring.backends.fail
import pytest
from keyring.backend import KeyringBackend

from tests.conftest import REPO, need
from tickets.errors import SecretUnavailable
from tickets.secrets import SERVICE, SecretStore, keyring_problem

pytestmark = pytest.mark.integration


def _need_secret_service() -> KeyringBackend:
    """The Secret Service backend itself (not keyring's process-wide choice, which another test may have set)."""
    need(os.environ.get("DESKSIDE_TEST_KEYRING") == "1",
         "a Secret Service (run through scripts/run-tests.sh: dbus-run-session + gnome-keyring-daemon)")
    from keyring.backends.SecretService import Keyring as SecretServiceKeyring

    backend = SecretServiceKeyring()
    need(keyring_problem(backend) is None, "a usable Secret Service keyring backend")
    return backend


def _cli(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], input=stdin, capture_output=True,
                          text=True, cwd=REPO, env=env or dict(os.environ), timeout=120)


def test_store_read_delete_in_the_secret_service() -> None:
    store = SecretStore(backend=_need_secret_service())
    assert "SecretService" in store.backend_name()
    where = store.set("helpdesk", "token", "s3cr3t-token-value")
    assert "system keyring" in where
    assert store.get("helpdesk", "token") == "s3cr3t-token-value"
    # It really is in the Secret Service (read back over D-Bus, not through keyring).
    import secretstorage

    conn = secretstorage.dbus_init()
    items = list(secretstorage.get_default_collection(conn).search_items(
        {"service": SERVICE, "username": "backend:helpdesk:token"}))
    assert [i.get_secret() for i in items] == [b"s3cr3t-token-value"]
    assert store.delete("helpdesk", "token") is True
    assert store.get("helpdesk", "token") is None
    assert store.delete("helpdesk", "token") is False


def test_cli_set_secret_goes_to_the_keyring_and_never_to_the_config(tmp_path: Path) -> None:
    store = SecretStore(backend=_need_secret_service())
    cfg_dir = Path(os.environ["DESKSIDE_CONFIG_DIR"])
    (cfg_dir / "config.toml").write_text(
        '[backends.desk]\ntype = "rt"\nurl = "http://127.0.0.1:9"\nqueue = "General"\n')
    r = _cli("backend", "set-secret", "desk", stdin="tok-from-stdin-123\n")
    assert r.returncode == 0, r.stderr
    assert "system keyring" in r.stdout
    assert store.get("desk", "token") == "tok-from-stdin-123"
    on_disk = b"".join(p.read_bytes() for p in Path(os.environ["DESKSIDE_CONFIG_DIR"]).rglob("*") if p.is_file())
    on_disk += b"".join(p.read_bytes() for p in Path(os.environ["DESKSIDE_DATA_DIR"]).rglob("*") if p.is_file())
    assert b"tok-from-stdin-123" not in on_disk
    store.delete("desk", "token")


def test_cli_backend_test_reads_the_token_from_the_keyring() -> None:
    store = SecretStore(backend=_need_secret_service())
    from tests.integration.rt_server import rt_or_skip

    rt = rt_or_skip()
    cfg_dir = Path(os.environ["DESKSIDE_CONFIG_DIR"])
    (cfg_dir / "config.toml").write_text(f'[backends.desk]\ntype = "rt"\nurl = "{rt.url}"\nqueue = "General"\n')
    assert _cli("backend", "set-secret", "desk", stdin=rt.token + "\n").returncode == 0
    try:
        r = _cli("backend", "test", "desk", "--timeout", "60")  # a shared RT under load may take seconds
        assert r.returncode == 0, r.stderr
        assert f"Connected to Request Tracker at {rt.url} as user {rt.user}; the queue 'General' exists" in r.stdout
    finally:
        store.delete("desk", "token")


def test_no_keyring_gives_a_clear_message_and_no_plaintext_fallback(tmp_path: Path) -> None:
    store = SecretStore(backend=keyring.backends.fail.Keyring())
    with pytest.raises(SecretUnavailable, match=r"no usable system keyring.*Secret Service"):
        store.set("desk", "token", "abc")
    with pytest.raises(SecretUnavailable, match="no usable system keyring"):
        store.get("desk", "token")


def test_cli_without_any_keyring_says_so(tmp_path: Path) -> None:
    """A real process with no D-Bus session: keyring finds no backend; Deskside says what to do, stores nothing."""
    cfg_dir = Path(os.environ["DESKSIDE_CONFIG_DIR"])
    (cfg_dir / "config.toml").write_text('[backends.desk]\ntype = "rt"\nurl = "http://127.0.0.1:9"\nqueue = "Q"\n')
    env = {k: v for k, v in os.environ.items() if k not in ("DBUS_SESSION_BUS_ADDRESS", "PYTHON_KEYRING_BACKEND")}
    env["XDG_RUNTIME_DIR"] = str(tmp_path)  # no bus socket here either
    env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={tmp_path}/no-such-bus"
    r = _cli("backend", "set-secret", "desk", stdin="tok-123\n", env=env)
    assert r.returncode == 2
    assert "no usable system keyring" in r.stderr and "plaintext_fallback = true" in r.stderr
    assert "Traceback" not in r.stderr
    data_dir = Path(os.environ["DESKSIDE_DATA_DIR"])
    assert not (data_dir / "secrets.json").exists()
    # Only when the user explicitly asks does a 0600 plaintext file hold it.
    (cfg_dir / "config.toml").write_text(
        (cfg_dir / "config.toml").read_text() + "\n[secrets]\nplaintext_fallback = true\n")
    r = _cli("backend", "set-secret", "desk", stdin="tok-123\n", env=env)
    assert r.returncode == 0, r.stderr
    assert "plaintext file" in r.stdout
    f = data_dir / "secrets.json"
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert b"tok-123" in f.read_bytes()


def test_renaming_a_backend_moves_its_token_and_leaves_none_behind() -> None:
    """Settings: renaming helpdesk -> desk keeps the token under the new name and removes it under the old one
    (an orphaned credential nobody sees any more is still a credential)."""
    from desktop.tickets_hub import TicketsHub

    store = SecretStore(backend=_need_secret_service())
    hub = TicketsHub(secrets=store)
    table = {"type": "rt", "url": "http://127.0.0.1:9", "queue": "General"}
    hub.save_backend("helpdesk", table, {"token": "rename-me-token"})
    assert store.get("helpdesk", "token") == "rename-me-token"
    hub.save_backend("desk", table, {}, old_name="helpdesk")
    assert store.get("desk", "token") == "rename-me-token"
    assert store.get("helpdesk", "token") is None
    assert "rename-me-token" not in (Path(os.environ["DESKSIDE_CONFIG_DIR"]) / "config.toml").read_text()
    hub.remove_backend("desk")
    assert store.get("desk", "token") is None
