"""The placeholder store (issue 10): no secret value at rest (keyed hashes, key in its own 0600 file), an older
plain store converted on first load, and tickets made at the same time (threads and processes) never sharing one
placeholder between different values."""

from __future__ import annotations

import json
import multiprocessing
import re
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from tickets.redact_placeholders import PlaceholderStore
from tickets.service import Draft, TicketService

SECRET = "Hunter2Secret!"


def test_the_store_keeps_no_value_only_keyed_hashes_and_the_key_apart(tmp_path: Path) -> None:
    svc = TicketService(data_dir=tmp_path)
    p = svc.build_preview(Draft(summary="login", description=f"password={SECRET} on hostname: wks-7 at 10.1.2.3"))
    svc.submit(p)
    everything = b"".join(f.read_bytes() for f in (tmp_path / "redaction-maps").iterdir())
    assert SECRET.encode() not in everything
    assert b"wks-7" not in (tmp_path / "redaction-maps" / "placeholders.json").read_bytes()
    store = json.loads((tmp_path / "redaction-maps" / "placeholders.json").read_text())
    assert set(store["placeholders"]) == {"<secret-1>", "<host-1>", "<ipv4-1>"}
    key = tmp_path / "redaction-key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and key.read_text().strip() not in json.dumps(store)
    # The per-ticket map keeps what a technician's answer needs, never the secret.
    assert json.loads((tmp_path / "redaction-maps" / f"{p.ticket.uid}.json").read_text()) == {
        "<host-1>": "wks-7", "<ipv4-1>": "10.1.2.3"}
    # ... and the hashes still give every value its placeholder again in the next ticket.
    again = TicketService(data_dir=tmp_path).build_preview(
        Draft(summary="again", description=f"10.9.9.9 then password={SECRET} and 10.1.2.3"))
    assert again.ticket.description == "<ipv4-2> then password=<secret-1> and <ipv4-1>"


def test_an_older_plain_store_is_converted_on_first_load(tmp_path: Path) -> None:
    maps = tmp_path / "redaction-maps"
    maps.mkdir()
    (maps / "placeholders.json").write_text(json.dumps({"<secret-1>": SECRET, "<host-1>": "pc-9"}))
    (maps / "0f0f.json").write_text(json.dumps({"<secret-1>": SECRET, "<host-1>": "pc-9"}))
    svc = TicketService(data_dir=tmp_path)
    p = svc.build_preview(Draft(summary="x", description=f"hostname: pc-9 says password={SECRET}"))
    assert p.ticket.description == "hostname: <host-1> says password=<secret-1>"
    for f in maps.iterdir():
        assert SECRET not in f.read_text(), f
    assert json.loads((maps / "0f0f.json").read_text()) == {"<host-1>": "pc-9"}


def _one_ticket(data_dir: str, n: int, start: object) -> str:
    if hasattr(start, "wait"):
        start.wait()
    svc = TicketService(data_dir=Path(data_dir))
    p = svc.build_preview(Draft(summary=f"ticket {n}", description=f"hostname: srv-{n}, then hostname: fs-common"))
    return svc.submit(p).uid


def _check_consistent(data_dir: Path) -> None:
    seen: dict[str, str] = {}
    for f in (data_dir / "redaction-maps").glob("*.json"):
        if f.name == "placeholders.json":
            continue
        for ph, value in json.loads(f.read_text()).items():
            assert seen.setdefault(ph, value) == value, (ph, value, seen[ph])  # one placeholder, one value
    values = sorted(seen.values())
    assert values == sorted({*(f"srv-{n}" for n in range(5)), "fs-common"})
    assert len(set(seen)) == len(values)  # and one value, one placeholder
    # what was sent agrees with the map
    for f in (data_dir / "redaction-maps").glob("*.json"):
        if f.name != "placeholders.json":
            assert all(re.fullmatch(r"<host-\d+>", ph) for ph in json.loads(f.read_text()))


@pytest.mark.parametrize("how", ["threads", "processes"])
def test_five_tickets_at_once_get_consistent_placeholders(tmp_path: Path, how: str) -> None:
    TicketService(data_dir=tmp_path).outbox_list()  # the outbox exists (its creation is not what is tested here)
    if how == "threads":
        start: Any = threading.Barrier(5)
        workers: list[Any] = [threading.Thread(target=_one_ticket, args=(str(tmp_path), n, start)) for n in range(5)]
    else:
        ctx = multiprocessing.get_context("spawn")
        start = ctx.Barrier(5)
        workers = [ctx.Process(target=_one_ticket, args=(str(tmp_path), n, start)) for n in range(5)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
        assert getattr(w, "exitcode", 0) == 0
    _check_consistent(tmp_path)


def test_a_renumbered_ticket_says_the_new_numbers_everywhere(tmp_path: Path) -> None:
    a = TicketService(data_dir=tmp_path)
    b = TicketService(data_dir=tmp_path)
    pa = a.build_preview(Draft(summary="a", description="hostname: alpha-host"), logs={"x.log": "alpha-host\n"})
    pb = b.build_preview(Draft(summary="b", description="hostname: beta-host"), logs={"x.log": "beta-host\n"})
    assert "<host-1>" in pa.ticket.description and "<host-1>" in pb.ticket.description  # made at the same time
    a.submit(pa)
    sent = b.submit(pb)
    import sqlite3

    with sqlite3.connect(tmp_path / "outbox.sqlite3") as db:
        (stored,) = db.execute("SELECT ticket_json FROM tickets WHERE id = ?", (sent.id,)).fetchone()
    assert json.loads(stored)["description"] == "hostname: <host-2>"
    maps = PlaceholderStore(tmp_path)
    assert json.loads((maps.directory / f"{pb.ticket.uid}.json").read_text()) == {"<host-2>": "beta-host"}
    import zipfile

    with zipfile.ZipFile(sent.bundle_path) as zf:
        assert "<host-2>" in zf.read("x.log").decode() and "&lt;host-2&gt;" in zf.read("report.html").decode()
