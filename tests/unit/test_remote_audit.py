"""The audit log: JSON lines with time, host, user, command and exit status, and never a secret."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from remote.audit import AuditLog, redact_command


@pytest.mark.parametrize(
    ("command", "secret"),
    [
        ("mysql -u root -pHunter2 db", "Hunter2"),
        ("curl -H 'Authorization: Bearer abc.def.ghi' http://127.0.0.1/", "abc.def.ghi"),
        ("PGPASSWORD=s3cret psql", "s3cret"),
        ("tool --password 'two words' --x", "two words"),
        ("tool --api-key=K123", "K123"),
        ("git clone https://bob:tok3n@127.0.0.1/r.git", "tok3n"),
        ("export TOKEN=zzz", "zzz"),
    ],
)
def test_secrets_are_redacted(command: str, secret: str) -> None:
    out = redact_command(command)
    assert secret not in out
    assert "[REDACTED]" in out


def test_plain_commands_are_kept() -> None:
    assert redact_command("systemctl status nginx && df -h /") == "systemctl status nginx && df -h /"


def test_log_lines(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "logs" / "audit.jsonl")
    log.record(host="127.0.0.1", port=2222, user="ops", command="uptime", exit_status=0)
    log.record(host="127.0.0.1", user="ops", command="PASSWORD=x ./run", exit_status=None, kind="exec")
    lines = (tmp_path / "logs" / "audit.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    assert {k: first[k] for k in ("host", "port", "user", "command", "exit_status")} == {
        "host": "127.0.0.1", "port": 2222, "user": "ops", "command": "uptime", "exit_status": 0}
    assert first["time"].endswith("Z")
    assert json.loads(lines[1])["command"] == "PASSWORD=[REDACTED] ./run"
    assert (tmp_path / "logs" / "audit.jsonl").stat().st_mode & 0o777 == 0o600
    assert len(log.entries()) == 2


def test_unwritable_audit_log_is_reported_once_and_does_not_raise(tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    log = AuditLog(blocker / "audit.jsonl")
    log.record(host="h", user="u", command="true", exit_status=0)
    log.record(host="h", user="u", command="true", exit_status=0)
    assert log.problem.startswith(f"cannot write the audit log {blocker / 'audit.jsonl'}")
    assert [r.getMessage() for r in caplog.records] == [log.problem]
