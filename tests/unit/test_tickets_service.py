"""TicketService, the facade the CLI and the Get Help page share (no network: no backend or a refused port)."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from pathlib import Path

import pytest

from tickets.errors import ConfigError
from tickets.service import Draft, TicketService

REPORT = {"host": "pc-alice", "findings": [],
          "sections": {"system": {"title": "System", "status": "ok", "data": {"hostname": "pc-alice"}}}}


def test_without_backend_the_ticket_is_held_and_the_bundle_saved(tmp_path: Path) -> None:
    svc = TicketService(data_dir=tmp_path, users=["alice"])
    p = svc.build_preview(Draft(summary="alice cannot print", since="Monday", affected="only me"), report=REPORT)
    assert p.backend is None
    assert p.ticket.summary == "<user-1> cannot print"
    assert "Since: Monday\nWho is affected: only me" in p.ticket.description
    e = svc.submit(p)
    assert e.state == "held"
    bundle = Path(e.bundle_path)
    assert bundle.parent == tmp_path / "bundles" and bundle.read_bytes() == p.bundle.data  # type: ignore[union-attr]
    with zipfile.ZipFile(io.BytesIO(bundle.read_bytes())) as zf:
        assert json.loads(zf.read("report.json"))["host"] == "<host-1>"
    mp = tmp_path / "redaction-maps" / f"{p.ticket.uid}.json"
    assert json.loads(mp.read_text()) == {"<user-1>": "alice", "<host-1>": "pc-alice"}
    assert stat.S_IMODE(mp.stat().st_mode) == 0o600
    assert [x.state for x in svc.outbox_list()] == ["held"]
    with pytest.raises(ConfigError, match="no backend is configured"):
        svc.retry(e.id)


def test_switching_an_item_off_keeps_the_placeholders_stable(tmp_path: Path) -> None:
    svc = TicketService(data_dir=tmp_path)
    p1 = svc.build_preview(Draft(summary="VPN down"), report=REPORT)
    assert {i.placeholder: i.value for i in p1.items} == {"<host-1>": "pc-alice"}
    p2 = svc.build_preview(Draft(summary="VPN down"), report=REPORT, disabled={"<host-1>"}, uid=p1.ticket.uid)
    assert p2.ticket.uid == p1.ticket.uid
    assert b"pc-alice" in p2.bundle.files["report.json"]  # type: ignore[union-attr]
    assert "1 left unmasked by you" in p2.redaction_summary()
    assert "1 distinct values masked (1 host)" in p1.redaction_summary()


def test_priority_and_configured_sla(tmp_path: Path) -> None:
    svc = TicketService(data_dir=tmp_path, sla={"P2": {"response_minutes": 20, "resolution_minutes": 300}})
    p = svc.build_preview(Draft(summary="x", impact="high", urgency="medium"))
    assert p.ticket.priority_label == "P2 high"
    assert p.sla is not None and (p.sla.response_minutes, p.sla.resolution_minutes) == (20, 300)
    five = TicketService(data_dir=tmp_path / "5", scale=5)
    assert five.build_preview(Draft(summary="x", impact=1, urgency=5)).ticket.priority == 3


def test_backend_selection(tmp_path: Path) -> None:
    rt = {"type": "rt", "url": "http://127.0.0.1:9", "queue": "General"}
    one = TicketService(data_dir=tmp_path / "a", backends={"only": rt})
    assert one.default_backend() == "only"
    two = TicketService(data_dir=tmp_path / "b", backends={"a": rt, "b": rt})
    assert two.default_backend() is None
    assert TicketService(data_dir=tmp_path / "c", backends={"a": rt, "b": rt}, default_backend="b").default_backend() \
        == "b"
    with pytest.raises(ConfigError, match=r"backend = 'zz' but there is no \[backends.zz\]"):
        TicketService(data_dir=tmp_path / "d", backends={"a": rt}, default_backend="zz")
    with pytest.raises(ConfigError, match="there is no backend 'x'"):
        one.build_preview(Draft(summary="s"), backend="x")


def test_missing_secret_fails_with_instructions_and_keeps_the_ticket(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring.backends.null

    from tickets.secrets import SecretStore

    store = SecretStore(plaintext_file=tmp_path / "s.json", backend=keyring.backends.null.Keyring())
    svc = TicketService(data_dir=tmp_path, backends={"desk": {"type": "rt", "url": "http://127.0.0.1:9",
                                                              "queue": "General"}}, secrets=store)
    e = svc.submit(svc.build_preview(Draft(summary="x")))
    assert e.state == "failed" and "deskside backend set-secret desk" in e.last_error
    monkeypatch.setenv("DESKSIDE_SECRET_DESK_TOKEN", "tok")
    e = svc.retry(e.id, timeout=5)  # port 9 on 127.0.0.1: nobody listens
    assert e.state == "retry" and "cannot be reached" in e.last_error


def test_next_due_at_tells_a_scheduler_when_to_retry(tmp_path: Path) -> None:
    now = [5000.0]
    svc = TicketService(data_dir=tmp_path, backends={"desk": {"type": "rt", "url": "http://127.0.0.1:9",
                                                              "queue": "General"}}, clock=lambda: now[0])
    assert svc.next_due_at() is None
    held = TicketService(data_dir=tmp_path, clock=lambda: now[0])  # same outbox, no backend
    held.submit(held.build_preview(Draft(summary="held")))
    assert svc.next_due_at() is None  # held tickets wait for the user, not for a timer
    e = svc.outbox.add(svc.make_ticket(Draft(summary="queued")), "desk")
    assert svc.next_due_at() == now[0] and e.state == "queued"


def test_a_value_keeps_its_placeholder_from_one_ticket_to_the_next(tmp_path: Path) -> None:
    """'The same value always gets the same placeholder': also across tickets from this machine, so the support
    team can tell that two tickets are about the same server. Each ticket's own map lists only its values."""
    import stat

    svc = TicketService(data_dir=tmp_path / "data")
    first = svc.build_preview(Draft(summary="x", description="gateway 10.1.2.3 down"))
    e1 = svc.submit(first)
    assert "<ipv4-1>" in first.ticket.description
    # A new process (a restart), a new ticket: the old address keeps <ipv4-1>, a new one gets <ipv4-2>.
    svc2 = TicketService(data_dir=tmp_path / "data")
    second = svc2.build_preview(Draft(summary="y", description="now 10.9.9.9 and again 10.1.2.3"))
    assert second.ticket.description.endswith("now <ipv4-2> and again <ipv4-1>")
    e2 = svc2.submit(second)
    maps = tmp_path / "data" / "redaction-maps"
    assert json.loads((maps / f"{e1.uid}.json").read_text()) == {"<ipv4-1>": "10.1.2.3"}
    assert json.loads((maps / f"{e2.uid}.json").read_text()) == {"<ipv4-1>": "10.1.2.3", "<ipv4-2>": "10.9.9.9"}
    for f in maps.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
    # A preview alone (not sent) hands out nothing for good.
    svc2.build_preview(Draft(summary="z", description="10.7.7.7"))
    third = svc2.build_preview(Draft(summary="z", description="10.8.8.8"))
    assert third.ticket.description == "<ipv4-3>"


def test_this_machines_dns_domains_come_from_resolv_conf(tmp_path: Path) -> None:
    """Read from the file (socket.getfqdn() may query a DNS server off the machine); one-label names are no
    domain to mask."""
    from desktop.wiring import local_domains

    conf = tmp_path / "resolv.conf"
    conf.write_text("# generated\nnameserver 10.0.0.53\ndomain Corp.Example.\nsearch branch.corp.example lan\n"
                    "options ndots:2 # search fake.example\n")
    assert local_domains(conf) == ["corp.example", "branch.corp.example"]
    assert local_domains(tmp_path / "missing.conf") == []
    svc = TicketService(data_dir=tmp_path / "data", domains=local_domains(conf))
    p = svc.build_preview(Draft(summary="x", description="printer01.branch.corp.example is offline"))
    assert p.ticket.description == "<host-1> is offline"
