"""`deskside ticket list | show | reply | reopen | escalate` as a user runs them (real processes): before a ticket
is sent, and with a backend that cannot tell a ticket's state. The follow-up against the real RT is in
tests/integration/test_tickets_follow_rt.py."""

from __future__ import annotations

from tests.e2e.test_ticket_cli import deskside


def test_follow_commands_before_anything_was_sent_say_so() -> None:
    r = deskside("ticket", "list")
    assert r.returncode == 0 and "No sent tickets yet" in r.stdout
    assert deskside("ticket", "new", "--summary", "Held ticket", "--yes").returncode == 3  # no backend: held as #1
    for args in (["show", "1"], ["reply", "1", "-m", "hello", "--yes"], ["reopen", "1"],
                 ["escalate", "1", "--impact", "high", "--reason", "worse"]):
        r = deskside("ticket", *args)
        assert r.returncode == 2, (args, r.stderr)
        assert "ticket #1 has not been sent yet (held)" in r.stderr and "Traceback" not in r.stderr
    r = deskside("ticket", "escalate", "1", "--impact", "high")
    assert r.returncode == 64 and "--reason" in r.stderr  # a usage error, as argparse reports it
    r = deskside("ticket", "show", "42")
    assert r.returncode == 2 and "no ticket 42" in r.stderr
