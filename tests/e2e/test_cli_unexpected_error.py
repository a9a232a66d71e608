"""An error no command expected (a bug) reaches the user as one plain line, with the traceback in a log file."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from desktop import cli
from desktop.commands import diagnose


def _boom(args: argparse.Namespace) -> int:
    raise RuntimeError("a collector registry that cannot happen\nsecond line")


def test_a_bug_is_one_line_for_the_user_and_a_traceback_in_the_log(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("DESKSIDE_DEBUG", raising=False)
    monkeypatch.setattr(diagnose, "run", _boom)
    rc = cli.main(["diagnose", "--only", "system"])
    err = capsys.readouterr().err
    log = Path(os.environ["DESKSIDE_LOG_DIR"]) / "crash.log"
    assert rc == cli.EXIT_BUG == 70
    assert err.startswith("deskside: unexpected error (RuntimeError: a collector registry that cannot happen). "
                          "This is a bug in Deskside: please report it; the details are in ")
    assert str(log) in err and "Traceback" not in err and err.count("\n") == 1
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "in _boom" in text
    assert "diagnose --only (values not logged)" in text and "system" not in text.splitlines()[0]


def test_the_crash_log_never_holds_option_values_or_remote_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DESKSIDE_DEBUG", raising=False)
    monkeypatch.setattr(diagnose, "run", _boom)
    cli.main(["diagnose", "--html=/home/alice/secret-report.html", "--only", "system"])
    text = (Path(os.environ["DESKSIDE_LOG_DIR"]) / "crash.log").read_text()
    assert "alice" not in text and "diagnose --html --only (values not logged)" in text
    line = cli._command_for_log(["ssh", "--accept-new", "db1", "--", "mysql", "-pS3cret"])
    assert line == "ssh --accept-new (values not logged)"


def test_deskside_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKSIDE_DEBUG", "1")
    monkeypatch.setattr(diagnose, "run", _boom)
    with pytest.raises(RuntimeError, match="cannot happen"):
        cli.main(["diagnose"])


def test_a_reader_that_goes_away_is_not_a_bug() -> None:
    """`deskside diagnose --list-collectors | head -c 1` reported a BrokenPipeError (a traceback, then a 'bug')."""
    import subprocess
    import sys

    deskside = str(Path(sys.executable).with_name("deskside"))
    for _ in range(3):
        res = subprocess.run(["sh", "-c", f"'{deskside}' diagnose --list-collectors | head -c 1 >/dev/null"],
                             capture_output=True, text=True, timeout=60)
        assert res.stderr == "", res.stderr
