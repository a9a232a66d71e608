"""Redaction: every kind of personal value and secret, consistent placeholders, the preview and its switches."""

from __future__ import annotations

import json
from pathlib import Path

from tickets.redact import Redactor

DATA = Path(__file__).resolve().parents[1] / "data" / "redaction"


def values() -> list[str]:
    return [v for v in (DATA / "values.txt").read_text().splitlines() if v and not v.startswith("#")]


def test_corpus_nothing_left() -> None:
    r = Redactor(keywords=["Bluebird"])
    log = (DATA / "corpus.log").read_text()
    report = json.loads((DATA / "report.json").read_text())
    r.scan({"log": log}, {"report.json": report})
    out = (r.redact_text(log) + json.dumps(r.redact_obj(report))).lower()
    assert [v for v in values() if v.lower() in out] == []
    # What is not personal stays readable.
    assert "sshd[812]: accepted publickey for <user-1>" in out
    assert "network.dns_failing" in out and "/dev/sda" in out


def test_same_value_same_placeholder_across_documents() -> None:
    r = Redactor(hosts=["pc-17"])
    a = r.redact_text("pc-17 failed to reach 10.1.2.3")
    b = r.redact_text("10.1.2.3 answered pc-17; PC-17 again")
    assert a == "<host-1> failed to reach <ipv4-1>"
    assert b == "<ipv4-1> answered <host-1>; <host-1> again"
    assert r.mapping() == {"<host-1>": "pc-17", "<ipv4-1>": "10.1.2.3"}


def test_each_kind() -> None:
    r = Redactor(users=["jdoe"], keywords=["Falcon"])
    cases = {
        "user jdoe logged in": "user <user-1> logged in",
        "open /home/jdoe/x": "open /home/<user-1>/x",
        "mail jdoe@corp.example.com": "mail <email-1>",
        "ip 192.0.2.55 and ::1 and 127.0.0.1": "ip <ipv4-1> and ::1 and 127.0.0.1",
        "v6 2001:db8::7 up": "v6 <ipv6-1> up",
        "mac AA:BB:CC:00:11:22": "mac <mac-1>",
        "Serial Number: C02XK1ABJG5H": "Serial Number: <serial-1>",
        "token=abcdef123456": "token=<secret-1>",
        "Authorization: Bearer abc.def.ghi": "Authorization: Bearer <secret-2>",
        "Cookie: sid=1234abcd": "Cookie: <secret-3>",
        "https://bob:pa55word@example.org/x": "https://<user-2>:<secret-4>@example.org/x",
        "https://x.example/?api_key=zzz999&q=1": "https://x.example/?api_key=<secret-5>&q=1",
        "export DB_PASSWORD='hunter22'": "export DB_PASSWORD='<secret-6>'",
        "Project FALCON launch": "Project <keyword-1> launch",
    }
    for text, want in cases.items():
        assert r.redact_text(text) == want, text


def test_private_key_block_is_one_secret() -> None:
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\ndef==\n-----END RSA PRIVATE KEY-----"
    r = Redactor()
    assert r.redact_text(f"key:\n{key}\nafter") == "key:\n<secret-1>\nafter"


def test_preview_lists_items_with_where_and_switches_work() -> None:
    r = Redactor(hosts=["srv9"])
    text = "line one\nsrv9 is down, ip 198.51.100.4\nsrv9 again\n"
    items = r.scan({"logs/x.log": text})
    by = {i.placeholder: i for i in items}
    assert by["<host-1>"].value == "srv9" and by["<host-1>"].count == 2
    assert [o.where for o in by["<host-1>"].occurrences] == ["logs/x.log:2", "logs/x.log:3"]
    assert "«srv9»" in by["<host-1>"].occurrences[0].context
    assert by["<ipv4-1>"].kind == "ipv4"
    # Switch one item off: it stays, the others are masked.
    assert r.redact_text(text, disabled={"<ipv4-1>"}) == "line one\n<host-1> is down, ip 198.51.100.4\n<host-1> again\n"


def test_labelled_report_values_are_learned_and_masked_in_logs_too() -> None:
    r = Redactor()
    report = {"sections": {"system": {"data": {"hostname": "lab-pc-3", "serial_number": "SN12345X"}}}}
    r.scan({"log": "lab-pc-3 kernel: SN12345X ok"}, {"report.json": report})
    assert r.redact_text("lab-pc-3 kernel: SN12345X ok") == "<host-1> kernel: <serial-1> ok"
    assert r.redact_obj(report) == {"sections": {"system": {"data": {"hostname": "<host-1>",
                                                                     "serial_number": "<serial-1>"}}}}


def test_versions_and_null_macs_are_not_personal() -> None:
    r = Redactor()
    report = {"updates": {"pending": [{"name": "firefox", "candidate": "17.0.21.1-1", "installed": "17.0.20.4"}]},
              "interfaces": [{"name": "lo", "mac": "00:00:00:00:00:00", "gateway": "10.2.3.4"}]}
    out = r.redact_obj(report)
    assert out["updates"]["pending"][0] == {"name": "firefox", "candidate": "17.0.21.1-1", "installed": "17.0.20.4"}
    assert out["interfaces"][0] == {"name": "lo", "mac": "00:00:00:00:00:00", "gateway": "<ipv4-1>"}
    # A version-like key holding an address is still masked (the exemption is for version values only).
    other = r.redact_obj({"package_source": "http://10.9.8.7/debian", "build_host": "10.9.8.7:8080",
                          "installed": "1:17.0.20.4-2+deb12u1"})
    assert other == {"package_source": "http://<ipv4-2>/debian", "build_host": "<ipv4-2>:8080",
                     "installed": "1:17.0.20.4-2+deb12u1"}


def test_review_gaps_unc_auth_logs_flags_and_tokens() -> None:
    """Values a first version let through (found in review); each line must lose its personal/secret part."""
    r = Redactor()
    cases = {
        r"opening \\fileserver02\share\q3.xlsx": "opening \\\\<host-1>\\share\\q3.xlsx",
        r"mapped \\NAS01.corp.example\home": "mapped \\\\<host-2>\\home",
        "mount //nas7/backup /mnt": "mount //<host-3>/backup /mnt",
        "sshd[1]: Accepted password for carol from 203.0.113.9 port 22 ssh2":
            "sshd[1]: Accepted password for <user-1> from <ipv4-1> port 22 ssh2",
        "sshd[1]: Failed password for invalid user mallory from 203.0.113.9":
            "sshd[1]: Failed password for invalid user <user-2> from <ipv4-1>",
        "pam_unix(login:session): session opened for user erin(uid=1001) by (uid=0)":
            "pam_unix(login:session): session opened for user <user-3>(uid=1001) by (uid=0)",
        "systemd[1]: Started Session 3 of user frank.": "systemd[1]: Started Session 3 of user <user-4>.",
        "pam_unix(sshd:auth): authentication failure; ruser=gina rhost=ws-gina-2":
            "pam_unix(sshd:auth): authentication failure; ruser=<user-5> rhost=<host-4>",
        "v6 mapped ::ffff:192.0.2.9 ok": "v6 mapped <ipv6-1> ok",
        "up at fd00::2.": "up at <ipv6-2>.",
        "curl -H 'x' https://h/ Bearer ya29.a0AfH6SMBxyz": "curl -H 'x' https://h/ Bearer <secret-1>",
        "app --password hunter77 --user x": "app --password <secret-2> --user x",
        "app --api-key=k-998877 run": "app --api-key=<secret-3> run",
        "sshpass -p 'hunter99' ssh x": "sshpass -p '<secret-4>' ssh x",
        "GET /o?X-Amz-Signature=deadbeefcafe1234&X-Amz-Credential=AKIDEXAMPLE%2F2024":
            "GET /o?X-Amz-Signature=<secret-5>&X-Amz-Credential=<secret-6>",
        "npmrc npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789": "npmrc <secret-7>",
        "stripe sk_live_51HabcdefGHIJKLmnop": "stripe <secret-8>",
        "switch saw 3c22.fb9a.107e": "switch saw <mac-1>",
    }
    for text, want in cases.items():
        assert r.redact_text(text) == want, text
    # Not personal: a help text mentioning a flag, a version, the system account.
    assert r.redact_text("sudo: root : TTY=pts/0") == "sudo: root : TTY=pts/0"
    assert r.redact_text("release 1234.5678.9012") == "release 1234.5678.9012"


def test_names_in_the_organisations_domain_are_masked() -> None:
    """A host name labelled once (or the machine's own domain) teaches the domain: other names in it are masked
    wherever they appear, also in free text such as a finding's title."""
    r = Redactor(domains=["corp.example"])
    assert r.redact_text("Name resolution fails for fileserver02.corp.example.") == \
        "Name resolution fails for <host-1>."
    assert r.redact_text("https://intranet.corp.example/wiki and corp.example") == \
        "https://<host-2>/wiki and <host-3>"
    # Also the host part of a URL with credentials; an e-mail address stays one e-mail item.
    assert r.redact_text("https://bob:pw12345@git.corp.example/x and ann@corp.example") == \
        "https://<user-1>:<secret-1>@<host-4>/x and <email-1>"
    # Not in the domain: stays.
    assert r.redact_text("deb.debian.org and corp.example.com.au") == "deb.debian.org and corp.example.com.au"
    r2 = Redactor()
    r2.scan({"log": "resolver: hostname: proxy.branch.example.net\nfailed: db1.branch.example.net timed out"})
    assert r2.redact_text("failed: db1.branch.example.net timed out") == "failed: <host-2> timed out"
    # A bare host name learned from a UNC path is masked with its domain too, not just its first label.
    r3 = Redactor()
    r3.scan({"log": r"open \\fs9\x" + "\nping fs9.corp.example"})
    assert "fs9" not in r3.redact_text("ping fs9.corp.example")


def test_a_private_key_cut_by_an_excerpt_is_still_masked() -> None:
    """Log excerpts are cut (40 lines around a line, 256 KB): a key block may lose its END or its BEGIN there. The
    key material must not go out because the block is incomplete."""
    body = "MIIEowIBAAKCAQEAzQ2\nb3BlbnNzaC1rZXktdjEAAAAA\nZm9vYmFyYmF6cXV4\n"
    r = Redactor()
    cut_end = "before\n-----BEGIN RSA PRIVATE KEY-----\n" + body + "Nov 24 10:00:01 host app[1]: next line\n"
    assert r.redact_text(cut_end) == "before\n<secret-1>\nNov 24 10:00:01 host app[1]: next line\n"
    cut_begin = "# excerpt of x, lines 5-9\n" + body + "-----END OPENSSH PRIVATE KEY-----\nafter\n"
    assert r.redact_text(cut_begin) == "# excerpt of x, lines 5-9\n<secret-2>\nafter\n"
    escaped = 'cfg: {"key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\nkqhkiG9w0B'
    assert r.redact_text(escaped) == 'cfg: {"key": "<secret-3>'
    escaped_end = 'tail: kqhkiG9w0B\\nAQEFAAOC\\n-----END PRIVATE KEY-----"} ok'
    assert r.redact_text(escaped_end) == 'tail: <secret-4>"} ok'
    for part in ("MIIEowIBAAKCAQEAzQ2", "b3BlbnNzaC1rZXktdjEAAAAA", "Zm9vYmFyYmF6cXV4", "kqhkiG9w0B"):
        assert part not in r.redact_text(cut_end + cut_begin + escaped + escaped_end)



def test_preview_lines_are_right_in_crlf_text() -> None:
    """Windows logs end lines with CRLF: the preview's line numbers and context must not drift."""
    r = Redactor()
    text = "one\r\ntwo\r\nthree 10.1.2.3 here\r\nfour\r\nfive ann@example.org\r\n"
    by = {i.kind: i for i in r.scan({"app.log": text})}
    assert by["ipv4"].occurrences[0].where == "app.log:3"
    assert by["ipv4"].occurrences[0].context == "three «10.1.2.3» here"
    assert by["email"].occurrences[0].where == "app.log:5"
    assert by["email"].occurrences[0].context == "five «ann@example.org»"
