"""Redaction beyond labelled values (issue 10): unlabelled secrets, syslog host column and DHCP names, a name in the
organisation's domain in the summary, control characters inside values, one MAC in several notations."""

from __future__ import annotations

from pathlib import Path

from tickets.redact import Redactor
from tickets.service import Draft, TicketService

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def redacted(text: str, **kw: object) -> str:
    r = Redactor(**kw)  # type: ignore[arg-type]
    r.scan({"x.log": text})
    return r.redact_text(text)


def test_a_bare_aws_secret_key_in_a_log_line_is_masked() -> None:
    out = redacted(f"Dec  2 10:00:01 wks7 backup[91]: uploading with {AWS_SECRET} to bucket\n")
    assert AWS_SECRET not in out and "<secret-1>" in out


def test_a_high_entropy_string_near_a_secret_word_is_masked_but_hashes_and_paths_are_not() -> None:
    out = redacted("the api key is a8f5f167f44f4964e6c998dee827110c for prod\n"
                   "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904 merged\n"
                   "keyboard layout loaded from /usr/lib/x86_64-linux-gnu/libxkb.so.1.2.3\n"
                   "session 123e4567-e89b-12d3-a456-426614174000 closed\n")
    assert "a8f5f167f44f4964e6c998dee827110c" not in out
    assert "4b825dc642cb6eb9a060e54bf8d69288fbee4904" in out  # a git commit id is not a secret
    assert "/usr/lib/x86_64-linux-gnu/libxkb.so.1.2.3" in out
    assert "123e4567-e89b-12d3-a456-426614174000" in out


def test_bare_well_known_tokens_are_masked() -> None:
    tokens = ["ghp_abcdefghijklmnopqrstuvwxyz0123456789", "xoxb-1234567890-abcdefghijkl", "AKIAIOSFODNN7EXAMPLE",
              "SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
              "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.dBjftJeZ4CVPmB92K27uhbUJU1p1r"]
    out = redacted("\n".join(f"seen {t} here" for t in tokens))
    assert [t for t in tokens if t in out] == []


def test_the_syslog_host_column_and_dhcp_server_names_are_learned_and_masked_everywhere() -> None:
    log = ("Dec  2 10:00:01 fs-backup-3 sshd[812]: Connection closed\n"
           "2026-12-02T10:00:02.123+01:00 wks9 dhclient[77]: DHCPACK of 10.1.2.3 from dhcp01 (xid=0x1)\n"
           "Dec  2 10:00:03 wks9 NetworkManager[610]: <info> dhcp4 (eth0): option domain_name 'lab.example'\n"
           "Dec  2 10:00:04 wks9 app[5]: replicating to fs-backup-3 and dhcp01 and nas2.lab.example\n")
    out = redacted(log)
    for name in ("fs-backup-3", "wks9", "dhcp01", "nas2.lab.example", "lab.example"):
        assert name not in out, name


def test_a_name_in_the_organisation_domain_typed_in_the_summary_is_a_host_even_over_a_keyword() -> None:
    r = Redactor(keywords=["fs01"], domains=["corp.example"])
    r.scan({"summary": "cannot reach fs01.corp.example since 9:00"})
    assert r.redact_text("cannot reach fs01.corp.example since 9:00") == "cannot reach <host-1> since 9:00"


def test_control_characters_do_not_cut_a_value_short() -> None:
    text = "hostname: ev\x1b[31mil-box\nuser=\x1b[1mjdoename\npassword=hun\x00ter2\n"
    r = Redactor()
    items = {i.value: i.kind for i in r.scan({"x.log": text})}
    assert items == {"evil-box": "host", "jdoename": "user", "hunter2": "secret"}
    out = r.redact_text(text)
    assert "ev" not in out.replace("\x1b", "") and "il-box" not in out and "jdoename" not in out
    assert "hun" not in out and "ter2" not in out


def test_one_mac_in_colon_dash_and_cisco_notation_gets_one_placeholder() -> None:
    out = redacted("a 3c:22:fb:9a:10:7e b 3C-22-FB-9A-10-7E c 3c22.fb9a.107e\n")
    assert out == "a <mac-1> b <mac-1> c <mac-1>\n"


def test_a_bare_aws_secret_in_the_reports_log_sample_is_masked_in_report_json_and_html(tmp_path: Path) -> None:
    """Issue 10's first finding, through the ticket service as `ticket new --attach-diagnostics` uses it: the key was
    in report.json (the logs section's sample message) and report.html."""
    report = {"host": "pc-alice", "findings": [], "sections": {"logs": {
        "title": "Logs", "status": "warn", "data": {"groups": [{
            "unit": "backup.service", "count": 3, "level": "error",
            "sample": f"upload failed with {AWS_SECRET} for bucket prod-eu"}]}}}}
    svc = TicketService(data_dir=tmp_path)
    p = svc.build_preview(Draft(summary="backups fail"), report=report)
    assert p.bundle is not None
    for member in ("report.json", "report.html"):
        body = p.bundle.files[member].decode()
        assert AWS_SECRET not in body and "pc-alice" not in body, member
        assert "secret-1" in body, member
    assert [i.kind for i in p.items if i.value == AWS_SECRET] == ["secret"]
