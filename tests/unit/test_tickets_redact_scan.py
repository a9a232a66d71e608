"""The fast redaction scan (tickets/redact_scan.py: triggers, windows, hoisted patterns) finds exactly what the
plain patterns find when each is run over the whole text, as redaction did before: on the test corpora, on generated
syslog, and on text made of the fragments that the patterns look for (hypothesis)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tickets.redact import Redactor
from tickets.redact_patterns import PATTERNS, SYSLOG_HOST, _lowered, accept, syslog_hosts, value_of
from tickets.redact_scan import Hit, pattern_hits, windows
from tickets.redact_secrets import (
    AWS_SECRET_SHAPE,
    BARE_TOKENS,
    CANDIDATE,
    HEX,
    NEAR,
    UUID,
    entropy,
    looks_random,
    unlabelled_secrets,
)

DATA = Path(__file__).resolve().parents[1] / "data"


def reference_hits(text: str) -> list[Hit]:
    """What redaction matched before: every pattern over the whole text."""
    low = text.lower()
    lowered = len(low) == len(text)
    hits: list[Hit] = []
    for kind, rx in PATTERNS:
        on_lower = lowered and bool(rx.flags & re.IGNORECASE)
        fast = _lowered(rx) if lowered else rx
        for m in fast.finditer(low if on_lower else text):
            us = ue = -1
            if "u" in fast.groupindex and m.group("u"):
                us, ue = m.span("u")
            val = value_of(m)
            if val is None:
                if us >= 0:
                    hits.append((kind, us, ue, -1, -1))
                continue
            hits.append((kind, us, ue, val[1], val[2]))
    return hits


def reference_unlabelled(text: str) -> list[tuple[int, int]]:
    words = re.compile(  # \bkey\b as it was written
        r"(?:secret|token|passw(?:or)?d|passphrase|pwd|api[ _-]?key|access[ _-]?key|private[ _-]?key|"
        r"credential|auth|bearer|\bkey\b|signature|session)", re.I)
    out = [m.span() for m in BARE_TOKENS.finditer(text)]
    for m in AWS_SECRET_SHAPE.finditer(text):
        t = m.group()
        if not HEX.fullmatch(t) and any(c.isdigit() for c in t) and any(c.isupper() for c in t) \
                and any(c.islower() for c in t) and entropy(t) >= 4.0:
            out.append(m.span())
    for w in words.finditer(text):
        end = text.find("\n", w.end())
        end = min(len(text) if end < 0 else end, w.end() + NEAR)
        for m in CANDIDATE.finditer(text, w.end(), end):
            if not UUID.fullmatch(m.group()) and looks_random(m.group()):
                out.append(m.span())
                break
    return out


def kept(text: str, hits: list[Hit]) -> list[Hit]:
    """The hits redaction keeps (an IPv6-looking run that `accept` rejects is not looked for any more)."""
    return sorted(h for h in hits if h[1] >= 0 or (h[3] >= 0 and accept(h[0], text[h[3]:h[4]])))


def assert_same(text: str) -> None:
    assert kept(text, pattern_hits(text)) == kept(text, reference_hits(text))
    assert sorted(set(unlabelled_secrets(text))) == sorted(set(reference_unlabelled(text)))
    assert list(syslog_hosts(text)) == [m.group("v") for m in SYSLOG_HOST.finditer(text)]


CORPORA = sorted(p for d in ("redaction", "redaction/planted", "logs") for p in (DATA / d).iterdir() if p.is_file())


@pytest.mark.parametrize("path", CORPORA, ids=lambda p: p.name)
def test_same_matches_on_the_corpora(path: Path) -> None:
    text = path.read_bytes().decode("utf-8", "replace")
    assert_same(text)
    assert_same(text.upper())  # the case-sensitive patterns and the triggers on the original text


def test_same_matches_on_generated_syslog() -> None:
    import sys
    sys.path.insert(0, str(DATA.parents[1] / "bench"))
    from bench_redact import syslog_text

    text = syslog_text(64 * 1024)
    assert_same(text)
    hits = kept(text, pattern_hits(text))
    assert {h[0] for h in hits} >= {"ipv4", "mac", "user"}  # the text does exercise the dense patterns


FRAGMENTS = [
    " ", " ", "\n", "\n\n", "\t", "=", ":", ": ", "=", "\"", "'", ".", "-", "_", "/", "//", "\\\\", "@", "(", ")", "?",
    "&", ";", "%", "#", "a", "b", "f", "x", "Z", "0", "1", "7", "42", "255", "1.2", ".3.4", "10.0.0.5", "fe80", "::",
    "::1", "2001:db8::7", "aa:bb:cc:dd:ee:ff", "AA-BB-CC-DD-EE-0F", "3c22.fb9a.107e", "12:00:01", "user", "User",
    "username", "ruser", "login", "owner", "account", "host", "Hostname", "fqdn", "nodename", "computer name",
    "serial", "Serial Number", "s/n", "sn", "uuid", "password", "passwd", "pwd", "secret", "token", "api_key",
    "session_id", "export ", "Authorization", "Bearer ", "cookie", "Set-Cookie", "--password", "sshpass -p",
    "mysql -u x -p", "https://", "bob:pa55w0rd@", "?token=", "&sig=", "/home/", "/Users/", "C:\\Users\\", "alice",
    "carol.d", "Accepted password for ", "Failed publickey for invalid user ", "for user ", "of user ", "by user ",
    "invalid user ", "fs01.corp.example", "AKIA", "ABCDEFGHIJKLMNOP", "ghp_",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl", "xoxb-1234567890-abc", "sk-", "K2x9QmVt7Lw4Rz8Pq3Ns6Yd1Hf5Jg0", "\u0130",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join))
def test_same_matches_on_generated_text(text: str) -> None:
    assert_same(text)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="ab01.:-_= \n/@", max_size=200))
def test_same_matches_on_random_characters(text: str) -> None:
    assert_same(text)


def test_windows_cover_each_trigger_line_and_merge() -> None:
    text = "one\ntwo user\nthree\nfour user\n\n\nfive\nsix"
    assert windows(text, ("user",)) == [(4, 13), (19, 29)]
    # extra=1: the next non-blank line too (a value after a line break), the blank ones on the way included;
    # (4, 19) and (19, 36) touch: one window
    assert windows(text, ("user",), extra=1) == [(4, 36)]
    assert windows(text, ("user",), back=2, ahead=4) == [(6, 12), (22, 28)]
    assert windows(text, ("nothing",)) == []


def test_a_busy_log_is_redacted_in_one_pass_per_pattern() -> None:
    """The host column learned from every line, masked everywhere, and the same placeholders as before."""
    text = "".join(f"Dec  2 10:00:{i % 60:02d} wks-alice-07 sshd[812]: Accepted password for carol from "
                   f"192.168.4.{i % 200 + 1} port 5{i:04d} ssh2\n" for i in range(2000))
    r = Redactor()
    items = {i.value: i for i in r.scan({"auth.log": text})}
    assert items["wks-alice-07"].count == 2000
    assert items["carol"].count == 2000
    out = r.redact_text(text)
    assert "wks-alice-07" not in out and "carol" not in out and "192.168.4." not in out


def test_dhclients_transaction_id_is_not_taken_for_a_dhcp_server_name() -> None:
    text = ("Dec  2 10:00:01 wks7 dhclient[801]: DHCPACK of 10.20.30.5 from 10.20.30.1 (xid=0x5a1f)\n"
            "Dec  2 10:00:02 wks7 dhclient[801]: DHCPOFFER of 10.20.30.5 from 10.20.30.1 (dhcp01)\n"
            "Dec  2 10:00:03 wks7 kernel: xid 12 checked\n")
    r = Redactor()
    values = {i.value for i in r.scan({"syslog": text})}
    assert "dhcp01" in values and "xid" not in values
    assert "xid 12 checked" in r.redact_text(text)


def test_the_quick_control_character_check_agrees_with_the_pattern() -> None:
    from tickets.redact_patterns import CONTROL, without_controls
    for c in [*range(0x00, 0x120), 0x2028, 0x1F600]:
        text = f"host: ev{chr(c)}il"
        assert (without_controls(text) is None) == (CONTROL.search(text) is None), hex(c)
    assert without_controls("wks\u20ac7 \x1b[0mx") == ("wks\u20ac7 x", [0, 1, 2, 3, 4, 5, 10])
