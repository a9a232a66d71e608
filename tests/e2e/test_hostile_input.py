"""Hostile and broken input through the real CLI: a FIFO given as a log, a damaged outbox file, a full disk, a
read-only data folder. Each gives a clear message, never a hang, a traceback or exit 70, and nothing is lost."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_ticket_cli import REPORT, _deskside_limited, deskside

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def data_dir() -> Path:
    return Path(os.environ["DESKSIDE_DATA_DIR"])


def held(summary: str, description: str = "") -> None:
    r = deskside("ticket", "new", "--summary", summary, "--description", description, "--report", REPORT, "--yes")
    assert r.returncode == 3, r.stderr  # held: no backend configured


def outbox_json() -> list[dict]:  # type: ignore[type-arg]
    r = deskside("ticket", "outbox", "list", "--all", "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)  # type: ignore[no-any-return]


# -- --log on a FIFO ------------------------------------------------------------------------------------------
def test_log_on_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.log"
    os.mkfifo(fifo)
    # Nobody ever writes into the pipe: reading it would block for ever (the subprocess timeout catches a hang).
    r = deskside("ticket", "new", "--summary", "x", "--log", str(fifo), "--yes", timeout=60)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "cannot read the log file" in r.stderr and "named pipe (FIFO)" in r.stderr
    assert "not a regular file" in r.stderr and "Traceback" not in r.stderr
    r = deskside("ticket", "new", "--summary", "x", "--log", "/dev/zero", "--yes", timeout=60)
    assert r.returncode == 2 and "character device" in r.stderr


# -- a damaged outbox ---------------------------------------------------------------------------------------------
def _page_size(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return int(db.execute("PRAGMA page_size").fetchone()[0])


def _ticket_pages(path: Path) -> list[int]:
    """The page numbers (1-based) of the pages holding the tickets' rows: where each row's summary is (the uid is
    also in the UNIQUE index's pages; the summary only in the row)."""
    data = path.read_bytes()
    size = _page_size(path)
    with contextlib.closing(sqlite3.connect(path)) as db:
        summaries = [r[0] for r in db.execute("SELECT summary FROM tickets")]
    return sorted({data.index(s.encode()) // size + 1 for s in summaries})


def test_a_damaged_data_page_is_moved_aside_and_the_rest_is_kept(tmp_path: Path) -> None:
    for i in range(6):  # long descriptions: about one ticket per page
        held(f"ticket number {i} with a printer problem", f"step {i}: " + "the tray clicks and stops. " * 120)
    box = data_dir() / "outbox.sqlite3"
    size = _page_size(box)
    pages = _ticket_pages(box)
    assert len(pages) >= 4, pages
    before = box.read_bytes()
    # Garbage over a page in the middle of the tickets (a bad sector): its rows are lost, the others must survive.
    victim = pages[len(pages) // 2]
    damaged = bytearray(before)
    damaged[(victim - 1) * size:(victim - 1) * size + size] = os.urandom(size)
    box.write_bytes(bytes(damaged))
    with contextlib.closing(sqlite3.connect(box)) as db, pytest.raises(sqlite3.DatabaseError):
        db.execute("SELECT * FROM tickets").fetchall()  # it really is damaged
    r = deskside("ticket", "outbox", "list", "--all")
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "was damaged" in r.stderr and "moved aside to" in r.stderr and "Traceback" not in r.stderr
    m = re.search(r"moved aside to (\S+) ", r.stderr)
    assert m and Path(m.group(1)).read_bytes() == bytes(damaged)  # the evidence is kept as it was
    entries = outbox_json()
    # Every ticket is there: read back from the file, or made again from its bundle on disk.
    assert sorted(e["summary"] for e in entries) == sorted(f"ticket number {i} with a printer problem"
                                                          for i in range(6))
    read_back = int(re.search(r"(\d+) read back from the damaged file", r.stderr).group(1))  # type: ignore[union-attr]
    remade = int(re.search(r"(\d+) made again from their support bundles", r.stderr).group(1))  # type: ignore[union-attr]
    assert read_back >= 4 and remade >= 1 and read_back + remade == 6, r.stderr
    states = sorted(e["state"] for e in entries)
    assert states.count("held") == read_back and states.count("uncertain") == remade
    # Each command works again, without a repair message the second time.
    for args in (["ticket", "outbox"], ["ticket", "outbox", "show", str(entries[-1]["id"])]):
        again = deskside(*args)
        assert again.returncode == 0 and "damaged" not in again.stderr, again.stderr


def test_a_damaged_header_does_not_block_commands_nor_lose_tickets() -> None:
    for i in range(3):
        held(f"held ticket {i}")
    box = data_dir() / "outbox.sqlite3"
    original = {e["uid"]: e for e in outbox_json()}
    data = bytearray(box.read_bytes())
    data[0:100] = os.urandom(100)  # the header: SQLite says "file is not a database"
    box.write_bytes(bytes(data))
    r = deskside("backend", "list")  # any command that opens the outbox
    assert r.returncode == 0, r.stderr
    assert "was damaged" in r.stderr and "3 ticket(s) were saved into it: 3 read back" in r.stderr, r.stderr
    entries = {e["uid"]: e for e in outbox_json()}
    assert entries.keys() == original.keys()
    for uid, e in entries.items():  # ids, states and history are kept
        assert (e["id"], e["state"], e["summary"]) == (original[uid]["id"], "held", original[uid]["summary"])
    show = deskside("ticket", "outbox", "show", str(next(iter(entries.values()))["id"]))
    assert "written to the outbox" in show.stdout and "read back from the damaged outbox" in show.stdout


def test_an_unreadable_outbox_is_remade_from_the_bundles_on_disk() -> None:
    held("the VPN drops every hour")
    box = data_dir() / "outbox.sqlite3"
    box.write_bytes(os.urandom(box.stat().st_size))  # nothing of it can be read
    r = deskside("ticket", "outbox", "list")
    assert r.returncode == 0, r.stderr
    assert "1 made again from their support bundles" in r.stderr
    (entry,) = outbox_json()
    assert entry["summary"] == "the VPN drops every hour" and entry["state"] == "uncertain"
    assert "may have been sent already" in entry["status"]


# -- disk full ------------------------------------------------------------------------------------------------
def test_a_full_disk_leaves_no_orphan_files_and_says_it_plainly(tmp_path: Path) -> None:
    assert deskside("ticket", "outbox").returncode == 0  # the outbox exists
    big = tmp_path / "big.log"
    big.write_text(os.urandom(150_000).hex())
    maps = data_dir() / "redaction-maps"
    bundles = data_dir() / "bundles"
    before = {p.name for d in (maps, bundles) if d.exists() for p in d.iterdir()}
    for _ in range(3):
        r = _deskside_limited("ticket", "new", "--summary", "x", "--log", str(big), "--yes", max_file_bytes=200_000)
        assert r.returncode == 2, (r.stdout, r.stderr)
        assert "disk is full" in r.stderr and "nothing was sent" in r.stderr
        for internal in ("rollback", "sqlite", "SQLITE", "Errno", "transaction"):
            assert internal not in r.stderr, r.stderr
    after = {p.name for d in (maps, bundles) if d.exists() for p in d.iterdir()}
    # What may stay: the machine-wide placeholder store, its lock and its key; nothing of the failed tickets.
    assert {n for n in after - before if not n.endswith(".json") or n == "placeholders.json"} <= {
        "placeholders.json", ".lock", "placeholders.key", "key"}, after - before
    assert not [n for n in after - before if n.endswith((".zip", ".tmp")) or
                (n.endswith(".json") and n != "placeholders.json")], after - before


@contextlib.contextmanager
def _small_mount(where: Path, size: str) -> Iterator[None]:
    where.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)], check=True)
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.mark.skipif(not ROOT, reason="mounting a small tmpfs needs root")
def test_a_really_full_disk(tmp_path: Path) -> None:
    mnt = tmp_path / "small"
    with _small_mount(mnt, "600k"):
        env = {"DESKSIDE_DATA_DIR": str(mnt / "data")}
        assert deskside("ticket", "outbox", env=env).returncode == 0
        (mnt / "filler").write_bytes(b"\0" * 50_000)
        big = tmp_path / "big.log"
        big.write_text(os.urandom(200_000).hex())
        for _ in range(3):
            r = deskside("ticket", "new", "--summary", "x", "--log", str(big), "--yes", env=env)
            assert r.returncode == 2, (r.stdout, r.stderr)
            assert "disk is full" in r.stderr and "Traceback" not in r.stderr and "rollback" not in r.stderr
        assert not list((mnt / "data" / "bundles").glob("*")) if (mnt / "data" / "bundles").exists() else True
        maps = mnt / "data" / "redaction-maps"
        left = [p.name for p in maps.glob("*") if p.name not in ("placeholders.json", ".lock")] if maps.exists() else []
        assert not left, left
        (mnt / "filler").unlink()
        r = deskside("ticket", "new", "--summary", "after space was freed", "--yes", env=env)
        assert r.returncode == 3, r.stderr
        assert "No open tickets" not in deskside("ticket", "outbox", env=env).stdout


# -- a read-only data folder ----------------------------------------------------------------------------------
@pytest.mark.skipif(not ROOT, reason="a read-only mount needs root (root ignores file permissions)")
def test_a_read_only_data_folder_can_be_listed(tmp_path: Path) -> None:
    mnt = tmp_path / "ro"
    with _small_mount(mnt, "4m"):
        env = {"DESKSIDE_DATA_DIR": str(mnt / "data")}
        r = deskside("ticket", "new", "--summary", "kept on a read-only disk", "--yes", env=env)
        assert r.returncode == 3, r.stderr
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        r = deskside("ticket", "outbox", "list", env=env)
        assert r.returncode == 0, r.stderr
        assert "kept on a read-only disk" in r.stdout and "cannot be created" not in r.stderr
        r = deskside("ticket", "outbox", "show", "1", env=env)
        assert r.returncode == 0 and "written to the outbox" in r.stdout, r.stderr
        r = deskside("ticket", "outbox", "discard", "1", env=env)
        assert r.returncode == 2 and "read-only" in r.stderr and "Traceback" not in r.stderr
        r = deskside("ticket", "new", "--summary", "y", "--yes", env=env)
        assert r.returncode == 2 and "read-only" in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_a_damaged_outbox_alone_in_its_folder_keeps_its_uid_marker() -> None:
    """A ticket made again from its bundle keeps its Deskside reference, so a retry can find it at the backend."""
    held("printer on floor 3 jams")
    (entry,) = outbox_json()
    box = data_dir() / "outbox.sqlite3"
    box.write_bytes(b"\0" * box.stat().st_size)
    (again,) = outbox_json()
    assert again["uid"] == entry["uid"] and uuid.UUID(again["uid"])


# -- config values ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("toml", "text"), [
    ("[tickets.sla.P1]\nresolution_minutes = 1e400\n",
     "[tickets.sla.P1] resolution_minutes must be a whole number of minutes from 1 to 5270400, e.g. "
     "resolution_minutes = 240; it is inf"),
    ("[diagnostics.crashes]\ncrash_dir = 5\n",
     '[diagnostics.crashes] crash_dir must be a folder path in quotes, e.g. crash_dir = "/var/crash"; it is 5'),
    ('[diagnostics.logs]\npaths = "/var/log/app.log"\n',
     '[diagnostics.logs] paths must be a list: write paths = ["/var/log/app.log"]'),
    ("[diagnostics.logs]\nsince_hours = -3\n", "[diagnostics.logs] since_hours must be a number of hours from 0"),
    ("[diagnostics.connectivity]\ngateway_port = 70000\n", "gateway_port must be a whole number from 1 to 65535"),
    ("[tickets.sla.P9]\nresponse_minutes = 5\n", "[tickets.sla] P9 is not a valid name here; use P1 to P5"),
    ("[diagnostics.updates]\nallow_network = \"yes\"\n", "allow_network must be true or false (without quotes)"),
])
def test_config_values_are_checked_by_one_schema_everywhere(toml: str, text: str) -> None:
    cfg = Path(os.environ["DESKSIDE_CONFIG_DIR"]) / "config.toml"
    cfg.write_text(toml)
    for args in (["diagnose", "--only", "system"], ["ticket", "new", "--summary", "x", "--dry-run"],
                 ["ticket", "outbox"], ["backend", "list"]):
        r = deskside(*args)
        assert r.returncode in (2, 3), (args, r.stdout, r.stderr)
        assert text in r.stderr and str(cfg) in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr and "OverflowError" not in r.stderr
    assert cfg.read_text() == toml  # left as it is
