"""Shared test helpers. In CI (CI=true) a missing real component is a failure, not a skip."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REPO = Path(__file__).resolve().parents[1]


def screenshot_dir(tmp_path: Path) -> Path:
    """Where screenshot tests write: docs/screenshots with DESKSIDE_SCREENSHOTS=1 (`make screenshot`), else tmp."""
    if os.environ.get("DESKSIDE_SCREENSHOTS") == "1":
        d = REPO / "docs" / "screenshots"
        d.mkdir(parents=True, exist_ok=True)
        return d
    return tmp_path


def need(condition: bool, what: str) -> None:
    """Skip locally, fail in CI, when a real component the test needs is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"missing in CI: {what}")
    pytest.skip(f"missing: {what}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test that used the real Request Tracker gets RT's state at that moment in its report."""
    outcome = yield
    report = outcome.get_result()
    rt = sys.modules.get("tests.integration.rt_server")  # loaded only where some test asked for RT
    if report.failed and rt is not None and item.nodeid in rt.USED_BY:
        report.sections.append(("Request Tracker at the failure", rt.state_report()))


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own config/data/cache/log dirs and system config path, so no test touches the user's or
    the machine's real files."""
    base = tmp_path_factory.mktemp("deskside-home")
    for name in ("CONFIG", "DATA", "CACHE", "LOG"):
        d = base / name.lower()
        d.mkdir()
        monkeypatch.setenv(f"DESKSIDE_{name}_DIR", str(d))
    # the organisation's system-wide config: none unless a test writes this file (never the machine's /etc one)
    monkeypatch.setenv("DESKSIDE_SYSTEM_CONFIG", str(base / "system" / "config.toml"))
    return base


@pytest.fixture
def user_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty ~/.ssh (no known host, no default key, no agent) and no keyring: a scan sees only its inventory."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return home
