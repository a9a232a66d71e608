"""`deskside ticket ...` and `deskside backend ...` as a user runs them: real processes, a real Request Tracker."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

DESKSIDE = str(Path(sys.executable).with_name("deskside"))
REPORT = str(REPO / "tests" / "data" / "redaction" / "report.json")


def deskside(*args: str, env: dict[str, str] | None = None, stdin: str | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ)
    full.pop("DISPLAY", None)
    full.update(env or {})
    return subprocess.run([DESKSIDE, *args], capture_output=True, text=True, timeout=timeout, env=full,
                          input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL)


def config(text: str) -> None:
    (Path(os.environ["DESKSIDE_CONFIG_DIR"]) / "config.toml").write_text(text)


def test_without_a_backend_the_bundle_is_saved_and_the_ticket_waits() -> None:
    r = deskside("ticket", "new", "--summary", "Wi-Fi keeps dropping", "--impact", "high", "--urgency", "high",
                 "--report", REPORT, "--yes")
    assert r.returncode == 3, r.stderr
    assert "Priority:  P1 critical" in r.stdout
    assert "SLA:       response within 15 min, resolution within 4 hours" in r.stdout
    assert re.search(r"Redaction: \d+ distinct values masked", r.stdout)
    assert "wks-alice-07" in r.stdout  # the local preview shows what is masked ...
    m = re.search(r"The support bundle was saved to (\S+)", r.stdout)
    assert m and Path(m.group(1)).is_file()
    assert b"wks-alice-07" not in Path(m.group(1)).read_bytes()  # ... the bundle does not contain it
    assert Path(m.group(1)).is_relative_to(Path(os.environ["DESKSIDE_DATA_DIR"]))
    out = deskside("ticket", "outbox")
    assert out.returncode == 0 and "held" in out.stdout and "Wi-Fi keeps dropping" in out.stdout
    r = deskside("ticket", "outbox", "retry", "1")
    assert r.returncode == 2 and "no backend is configured" in r.stderr
    assert deskside("ticket", "outbox", "discard", "1").returncode == 0
    assert "No open tickets" in deskside("ticket", "outbox").stdout
    assert "discarded" in deskside("ticket", "outbox", "list", "--all").stdout


def test_bad_input_is_a_clear_error_without_traceback() -> None:
    cases = [
        (["ticket", "new", "--summary", "x", "--impact", "huge"], "unknown level 'huge'"),
        (["ticket", "new", "--summary", "x", "--type", "complaint"], "unknown incident type"),
        (["ticket", "new", "--summary", "x", "--report", "/nonexistent/r.json"], "does not exist"),
        (["ticket", "new", "--summary", " "], "summary is empty"),
        (["ticket", "new", "--summary", "x", "--backend", "nope"], "there is no backend 'nope'"),
        (["backend", "test", "nope"], "there is no backend 'nope'"),
        (["ticket", "outbox", "discard", "42"], "no ticket 42"),
    ]
    for args, text in cases:
        r = deskside(*args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert text in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
    config('[backends.desk]\ntype = "rt"\nurl = "http://rt.example.org"\nqueue = "General"\n')
    r = deskside("backend", "test", "desk")
    assert r.returncode == 2 and "plain http" in r.stderr


@pytest.mark.parametrize(("toml", "text"), [
    ("backends = 3\n", "[backends] must be a table"),
    ("tickets = \"rt\"\n", "[tickets] must be a table"),
    ("[backends]\nhelpdesk = 3\n", "[backends.helpdesk] must be a table"),
    ("[tickets]\nscale = \"x\"\n", "[tickets] scale must be 3 or 5"),
    ("[tickets]\nbackend = 3\n", "[tickets] backend must be the name of a [backends.NAME] table"),
    # A string where a list belongs used to be split into letters: bob was then never masked.
    ("[tickets.redaction]\nusers = \"bob\"\n", 'users = ["bob"]'),
    ("[tickets.redaction]\nkeywords = [\"Falcon\", 3]\n", "[tickets.redaction] keywords must be a list of"),
    ("[secrets]\nplaintext_fallback = \"yes\"\n", "[secrets] plaintext_fallback must be true or false"),
])
def test_a_wrongly_shaped_config_is_a_clear_error(toml: str, text: str) -> None:
    config(toml)
    for args in (["ticket", "new", "--summary", "x", "--dry-run"], ["ticket", "outbox"], ["backend", "list"]):
        r = deskside(*args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert text in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)


def test_an_invalid_default_backend_is_refused_before_anything_is_saved() -> None:
    config('[backends.desk]\ntype = "rt"\nurl = "ftp://rt.example.org"\n')
    r = deskside("ticket", "new", "--summary", "x", "--yes")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "[backends.desk] (rt) is not valid" in r.stderr and "'queue' is a required property" in r.stderr
    assert "No open tickets" in deskside("ticket", "outbox").stdout


def test_no_confirmation_no_sending() -> None:
    r = deskside("ticket", "new", "--summary", "x")
    assert r.returncode == 1 and "add --yes" in r.stderr
    assert "No open tickets" in deskside("ticket", "outbox").stdout
    r = deskside("ticket", "new", "--summary", "x", "--report", REPORT, stdin="n\n")
    assert "No open tickets" in deskside("ticket", "outbox").stdout


def test_new_ticket_through_the_cli_arrives_in_rt() -> None:
    from tests.integration.rt_server import rt_or_skip

    rt = rt_or_skip()
    config(f'[backends.helpdesk]\ntype = "rt"\nurl = "{rt.url}"\nqueue = "General"\n'
           '[tickets.sla.P5]\nresponse_minutes = 2880\n')
    env = {"DESKSIDE_SECRET_HELPDESK_TOKEN": rt.token}
    t = deskside("backend", "test", "helpdesk", env=env)
    assert t.returncode == 0 and "the queue 'General' exists" in t.stdout, t.stderr
    r = deskside("ticket", "new", "--summary", "Please install Inkscape", "--type", "request", "--impact", "low",
                 "--urgency", "low", "--report", REPORT, "--yes", env=env)
    assert r.returncode == 0, r.stderr
    assert "Priority:  P5 planning" in r.stdout and "response within 2 days" in r.stdout
    m = re.search(r"Sent: ticket (\d+) \(the helpdesk's number, backend helpdesk; outbox #1\) (\S+)", r.stdout)
    assert m and m.group(2).startswith(rt.url.rstrip("/")), r.stdout
    ticket = rt.ticket(m.group(1))
    assert ticket["Subject"].startswith("Please install Inkscape [deskside:")
    assert int(ticket["Priority"]) == 10
    assert "sent" in deskside("ticket", "outbox", "--all", env=env).stdout
    # The token was used, and written nowhere: not in the config, the outbox (and its journal), bundles, logs.
    for var in ("DESKSIDE_CONFIG_DIR", "DESKSIDE_DATA_DIR", "DESKSIDE_CACHE_DIR", "DESKSIDE_LOG_DIR"):
        for f in Path(os.environ[var]).rglob("*"):
            if f.is_file():
                assert rt.token.encode() not in f.read_bytes(), f


@pytest.mark.parametrize("action", ["retry", "show"])
def test_outbox_actions_need_known_ids(action: str) -> None:
    r = deskside("ticket", "outbox", action, "7")
    assert r.returncode == 2 and "no ticket 7" in r.stderr


def test_backend_down_then_back_through_the_cli() -> None:
    import json

    from tests.integration.rt_server import rt_or_skip

    rt = rt_or_skip()
    env = {"DESKSIDE_SECRET_HELPDESK_TOKEN": rt.token}
    config('[backends.helpdesk]\ntype = "rt"\nurl = "http://127.0.0.1:9"\nqueue = "General"\n')  # nobody there
    r = deskside("ticket", "new", "--summary", "Scanner jams", "--yes", "--timeout", "5", env=env)
    assert r.returncode == 3, r.stderr
    assert "Not sent yet" in r.stdout and "cannot be reached" in r.stdout and "#1" in r.stdout
    assert "or by the background agent once you run `deskside agent install`" in r.stdout  # not installed here
    (entry,) = json.loads(deskside("ticket", "outbox", "list", "--json").stdout)
    assert entry["state"] == "retry" and entry["attempts"] == 1 and entry["summary"] == "Scanner jams"
    r = deskside("ticket", "outbox", "retry", "--timeout", "5", env=env)  # tried now, whatever the backoff says
    assert r.returncode == 3 and "Retried 1 ticket(s) now: 0 sent, 1 not." in r.stdout
    (again,) = json.loads(deskside("ticket", "outbox", "list", "--json").stdout)
    assert again["attempts"] == 2
    config(f'[backends.helpdesk]\ntype = "rt"\nurl = "{rt.url}"\nqueue = "General"\n')  # the backend is back
    r = deskside("ticket", "outbox", "retry", "1", env=env)
    assert r.returncode == 0, r.stderr
    m = re.search(r"Sent: ticket (\d+)", r.stdout)
    assert m and rt.search_marker(entry["uid"]) == [m.group(1)]
    r = deskside("ticket", "outbox", "retry", "--wait", env=env)  # nothing left: returns at once
    assert r.returncode == 0 and "Waiting" not in r.stderr


def test_cli_killed_mid_send_then_retry_finds_the_ticket_instead_of_sending_twice(
        request: pytest.FixtureRequest) -> None:
    """`ticket new` is killed while RT holds its request (SIGSTOP); RT then creates the ticket. The next
    `outbox retry` must adopt that ticket (marker search) at once, not wait 15 minutes or create a second."""
    import json
    import signal
    import time
    from urllib.parse import urlsplit

    from tests.e2e.http_watch import HttpWatch
    from tests.integration.rt_server import rt_or_skip

    rt = rt_or_skip()
    env = {"DESKSIDE_SECRET_HELPDESK_TOKEN": rt.token}
    parsed = urlsplit(rt.url)
    watch = HttpWatch(parsed.hostname or "127.0.0.1", parsed.port or 80)  # tells when the request is in RT's socket
    request.addfinalizer(watch.close)  # also when an assertion fails: no proxy left holding RT connections
    created = watch.handed_over("POST", "/REST/2.0/ticket")
    config(f'[backends.helpdesk]\ntype = "rt"\nurl = "{watch.url}{parsed.path.rstrip("/")}"\nqueue = "General"\n')
    full = {**os.environ, **env}
    full.pop("DISPLAY", None)
    rt.stop()
    try:
        proc = subprocess.Popen([DESKSIDE, "ticket", "new", "--summary", "Killed while sending", "--yes",
                                 "--timeout", "120"], env=full, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert created.wait(60), "the create request never reached RT"
        r = deskside("ticket", "outbox", "list", "--json")
        assert '"sending"' in r.stdout, r.stdout  # in the outbox and being sent
        # Meanwhile a retry from another process leaves the live attempt alone, and says so.
        r = deskside("ticket", "outbox", "retry", "1", env=env)
        assert r.returncode == 3 and "#1 is being sent right now by another Deskside process" in r.stdout, r
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        rt.cont()
    (entry,) = json.loads(deskside("ticket", "outbox", "list", "--json").stdout)
    assert entry["state"] == "retry" and entry["maybe_sent"], entry
    assert "interrupted" in entry["last_error"]
    for _ in range(60):  # RT handles the request it had received
        if rt.search_marker(entry["uid"]):
            break
        time.sleep(0.5)
    assert len(rt.search_marker(entry["uid"])) == 1
    r = deskside("ticket", "outbox", "retry", "1", env=env)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert rt.search_marker(entry["uid"]) == [re.search(r"Sent: ticket (\d+)", r.stdout).group(1)]  # type: ignore[union-attr]
    assert "marker search" in deskside("ticket", "outbox", "show", "1").stdout


def test_log_excerpts_come_only_from_the_machine_the_report_was_made_on(tmp_path: Path) -> None:
    """A report from another host points at paths that, on this machine, hold this machine's logs: those must not
    be attached as if they were the other host's."""
    import socket
    import zipfile

    log = tmp_path / "app.log"
    log.write_text("boot\nTHIS-MACHINE-ONLY failure here\n")

    def report(host: str) -> str:
        path = tmp_path / f"report-{host}.json"
        path.write_text(json.dumps({
            "schema_version": "1", "host": host, "generated_at": "2026-11-24T09:00:00Z", "platform": "linux",
            "findings": [{"id": "x", "severity": "warning", "title": "App fails",
                          "evidence": [f"see {log} line 2"], "fix": ""}], "sections": {}}))
        return str(path)

    def bundle_names(stdout: str) -> list[str]:
        m = re.search(r"The support bundle was saved to (\S+)", stdout)
        assert m, stdout
        return zipfile.ZipFile(m.group(1)).namelist()

    r = deskside("ticket", "new", "--summary", "other host", "--report", report("far-away-pc"), "--yes")
    assert r.returncode == 3, r.stderr
    assert not [n for n in bundle_names(r.stdout) if n.startswith("logs/")]
    assert "log excerpts are not attached" in r.stderr
    r = deskside("ticket", "new", "--summary", "this host", "--report", report(socket.gethostname()), "--yes")
    assert r.returncode == 3, r.stderr
    assert [n for n in bundle_names(r.stdout) if n.startswith("logs/")]


def _deskside_limited(*args: str, max_file_bytes: int) -> subprocess.CompletedProcess[str]:
    """deskside with RLIMIT_FSIZE: a write past `max_file_bytes` fails as on a full disk (EFBIG)."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    env = dict(os.environ)
    env.pop("DISPLAY", None)
    return subprocess.run([DESKSIDE, *args], capture_output=True, text=True, timeout=120, env=env,
                          stdin=subprocess.DEVNULL, preexec_fn=limit)


def test_no_room_to_save_is_a_clear_error_not_a_crash(tmp_path: Path) -> None:
    """A full disk or an unusable data folder: say what to do; never 'this is a bug', never advise moving the
    outbox away (that would drop the tickets in it)."""
    # The outbox cannot even be created.
    r = _deskside_limited("ticket", "new", "--summary", "x", "--yes", max_file_bytes=4096)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "cannot be written" in r.stderr and "disk full" in r.stderr
    assert "move it away" not in r.stderr and "bug" not in r.stderr and "Traceback" not in r.stderr
    # The outbox exists, the bundle does not fit: nothing is sent, nothing half-written is left in the outbox.
    assert deskside("ticket", "outbox").returncode == 0
    big = tmp_path / "big.log"
    big.write_text(os.urandom(150_000).hex())  # does not compress: the bundle is bigger than the limit
    r = _deskside_limited("ticket", "new", "--summary", "x", "--log", str(big), "--yes", max_file_bytes=200_000)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "could not be saved" in r.stderr and "nothing was sent" in r.stderr and "bug" not in r.stderr
    assert "No open tickets" in deskside("ticket", "outbox").stdout
    # The data folder cannot be made at all.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    r = deskside("ticket", "outbox", env={"DESKSIDE_DATA_DIR": str(blocker / "data")})
    assert r.returncode == 2 and "the data folder" in r.stderr and "DESKSIDE_DATA_DIR" in r.stderr, r.stderr
    assert "bug" not in r.stderr


def test_the_outbox_and_its_journal_are_private(tmp_path: Path) -> None:
    import stat

    assert deskside("ticket", "new", "--summary", "x", "--report", REPORT, "--yes").returncode == 3
    data = Path(os.environ["DESKSIDE_DATA_DIR"])
    for f in data.glob("outbox.sqlite3*"):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    for f in (data / "redaction-maps").iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f


def test_mask_adds_the_users_own_words_for_this_ticket() -> None:
    r = deskside("ticket", "new", "--summary", "Project Kestrel build fails", "--description",
                 "kestrel-ci cannot reach the ACME vault", "--mask", "Kestrel", "--mask", "ACME", "--yes")
    assert r.returncode == 3, r.stderr
    assert "Subject:   Project <keyword-1> build fails" in r.stdout
    (entry,) = json.loads(deskside("ticket", "outbox", "list", "--json").stdout)
    assert entry["summary"] == "Project <keyword-1> build fails"
    import sqlite3

    with sqlite3.connect(Path(os.environ["DESKSIDE_DATA_DIR"]) / "outbox.sqlite3") as db:
        (stored,) = db.execute("SELECT ticket_json FROM tickets").fetchone()
    assert "<keyword-1>-ci cannot reach the <keyword-2> vault" in json.loads(stored)["description"]
    assert "kestrel" not in stored.lower() and "acme" not in stored.lower()  # what would be sent


def test_a_big_log_is_attached_by_its_end_not_read_whole(tmp_path: Path) -> None:
    import zipfile

    big = tmp_path / "huge.log"
    with big.open("w") as fh:
        for i in range(200_000):  # about 6 MB
            fh.write(f"line {i:06d} something happened\n")
        fh.write("LAST LINE: the crash\n")
    r = deskside("ticket", "new", "--summary", "x", "--log", str(big), "--yes")
    assert r.returncode == 3, r.stderr
    assert "its last 256 KB are attached" in r.stderr
    m = re.search(r"The support bundle was saved to (\S+)", r.stdout)
    assert m
    text = zipfile.ZipFile(m.group(1)).read("logs/huge.log").decode()
    assert text.endswith("LAST LINE: the crash\n") and len(text) <= 256 * 1024 + 200
    assert text.splitlines()[1].startswith("line ")  # starts at a whole line
    assert "line 000000" not in text
    r = deskside("ticket", "new", "--summary", "x", "--log", str(tmp_path / "nope.log"), "--yes")
    assert r.returncode == 2 and "cannot read the log file" in r.stderr and "No such file" in r.stderr


def test_attach_diagnostics_runs_with_the_diagnostics_settings() -> None:
    """`ticket new --attach-diagnostics` runs the diagnostics as `deskside diagnose` does (desktop/wiring.py): with
    the [diagnostics] settings of config.toml and the collectors' cache."""
    import zipfile

    config("[diagnostics.crashes]\nsince_days = 3\n")
    r = deskside("ticket", "new", "--summary", "apps crash", "--attach-diagnostics", "--yes")
    assert r.returncode == 3, r.stderr
    m = re.search(r"The support bundle was saved to (\S+)", r.stdout)
    assert m, r.stdout
    report = json.loads(zipfile.ZipFile(m.group(1)).read("report.json"))
    assert report["sections"]["crashes"]["data"]["since_days"] == 3  # the default is 7
    assert (Path(os.environ["DESKSIDE_CACHE_DIR"]) / "diagnostics").is_dir()


@pytest.mark.timeout(1800)  # a hang guard only: 100 real RT tickets take a minute idle, much longer on a busy machine
def test_held_tickets_go_out_once_a_backend_is_configured() -> None:
    """100 tickets made while no backend existed are sent by one `outbox retry --wait --backend NAME`."""
    from tests.integration.rt_server import rt_or_skip
    from tickets.service import Draft, TicketService

    rt = rt_or_skip()
    svc = TicketService(data_dir=Path(os.environ["DESKSIDE_DATA_DIR"]))
    uids = [svc.submit(svc.build_preview(Draft(summary=f"Held ticket {i}"))).uid for i in range(100)]
    assert {e.state for e in svc.outbox_list()} == {"held"}
    config(f'[backends.helpdesk]\ntype = "rt"\nurl = "{rt.url}"\nqueue = "General"\n')
    env = {"DESKSIDE_SECRET_HELPDESK_TOKEN": rt.token}
    r = deskside("ticket", "outbox", "retry", "--wait", "--backend", "helpdesk", env=env, timeout=1700)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "Retried 100 ticket(s) now: 100 sent, 0 not." in r.stdout
    assert "No open tickets" in deskside("ticket", "outbox").stdout
    for uid in (uids[0], uids[57], uids[99]):
        assert len(rt.search_marker(uid)) == 1
