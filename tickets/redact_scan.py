"""How the patterns of `redact_patterns` are run fast: each one only where it can match.

Python's `re` searches fast only for a pattern that starts with a literal or a character class: then it jumps from one
candidate character to the next in C. A leading ``\\b`` or lookbehind (which almost every pattern of ours needs, so
that ``user=`` does not match inside ``superuser=``) makes it try the whole pattern at every position: about 3 MB/s
each, and there are twenty of them. So each pattern gets one of:

- a *trigger*: a literal (or a pattern starting with one) that occurs in every match, found at hundreds of MB/s; the
  pattern is then run only on the lines that hold a trigger (plus, for a pattern whose ``\\s`` can run over a line
  break, the next non-blank lines), or only around the trigger for the dense address patterns. Where no trigger
  occurs (the usual case for ``Authorization:``, cookies, ``--password`` ...), the pattern costs one search;
- a *hoisted* form, for keyword patterns whose keywords are common in logs (user, host, serial): the same pattern
  with its ``\\b``/lookbehind moved after the first character (``\\buser`` is ``u(?<!\\w.)ser``), so the search
  starts with a character class again.

Each form finds exactly what the pattern of `redact_patterns.PATTERNS` finds (tests/unit/test_tickets_redact_scan.py
compares them on the test corpora and on generated text). One exception, by design: the IPv6 trigger skips address-like
runs that cannot be an IPv6 address (``10:00:01`` has neither ``::`` nor six colons), which `accept` rejected anyway.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .redact_patterns import PATTERNS, _lowered

Trigger = tuple[str | re.Pattern[str], ...]  # literals (found with str.find) or patterns starting with a literal


@dataclass(frozen=True)
class Scan:
    kind: str
    rx: re.Pattern[str]  # run on the lower-cased text when `on_lower`
    on_lower: bool
    trigger: Trigger = ()  # one of them occurs in every match (none: run `rx` everywhere)
    back: int = -1  # how far before its trigger a match can start (-1: anywhere on the trigger's line)
    extra: int = 0  # how many non-blank lines after its trigger's line a match can reach (its \s runs over breaks)
    ahead: int = -1  # how far after its trigger's start a match and its lookahead can reach (-1: the line's end)
    whole: bool = False  # the trigger only tells whether to run `rx` at all, then over the whole text (where the
    # trigger is on most lines and `rx` is hoisted, the windows would cost more than they save)

    def finditer(self, s: str) -> Iterator[re.Match[str]]:
        if not self.trigger:
            yield from self.rx.finditer(s)
            return
        if self.whole:
            if any(t in s if isinstance(t, str) else t.search(s) for t in self.trigger):
                yield from self.rx.finditer(s)
            return
        for a, b in windows(s, self.trigger, self.back, self.extra, self.ahead):
            yield from self.rx.finditer(s, a, b)


def _occurrences(s: str, trigger: str | re.Pattern[str]) -> Iterator[tuple[int, int]]:
    """(start, end) of each occurrence of `trigger` in `s`, left to right, without overlaps."""
    if isinstance(trigger, str):
        i = s.find(trigger)
        while i >= 0:
            yield i, i + len(trigger)
            i = s.find(trigger, i + len(trigger))
    else:
        for m in trigger.finditer(s):
            yield m.span()


def windows(s: str, trigger: Trigger, back: int = -1, extra: int = 0, ahead: int = -1) -> list[tuple[int, int]]:
    """(start, end) ranges of `s` around the occurrences of `trigger`, sorted and merged: from `back` characters
    before an occurrence (or its line's start) to `ahead` characters after its start (or its line's end, with the
    newline, and `extra` non-blank lines more)."""
    found: list[tuple[int, int]] = []
    n = len(s)
    for t in trigger:
        pos = 0
        for hs, he in _occurrences(s, t):
            if hs < pos:
                continue  # on a line that is in already
            # (looking for the line's ends no further than needed: on one long line that would be quadratic)
            lo = 0 if back < 0 else max(0, hs - back)
            start = max(lo, s.rfind("\n", lo, hs) + 1)
            hi = n if ahead < 0 else max(he, min(n, hs + ahead))
            nl = s.find("\n", he, hi)
            end = hi if nl < 0 else nl + 1
            if ahead < 0:
                pos = end  # the rest of this line is in already
            more = extra
            while more and end < n:
                nl = s.find("\n", end)
                nxt = n if nl < 0 else nl + 1
                if s[end:nxt].strip():
                    more -= 1
                end = nxt
            found.append((start, end))
    if len(trigger) > 1:
        found.sort()
    out: list[tuple[int, int]] = []
    for start, end in found:
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _t(*literals: str) -> Trigger:
    return literals


def _labels(*words: str) -> Trigger:
    """A label and its separator (``user =``, ``hostname:``), one pattern per label (each starts with a literal)."""
    return tuple(re.compile(w + r"\b[\"']?\s*[:=]") for w in words)


# Hoisted forms, for the lower-cased text: `c(?<!\w.)` after a first character c is `\b` before it.
_SERIAL = (
    r"(?:s(?<!\w.)(?:erial(?:[ _-]?(?:number|no|num))?|erialnumber|/n|n)|p(?<!\w.)roduct[ _-]?serial|"
    r"b(?<!\w.)oard[ _-]?serial|c(?<!\w.)hassis[ _-]?serial|u(?<!\w.)uid)"
    r"\b[\"']?\s*[:=#]?\s*[\"']?(?P<v>[a-za-z0-9][a-za-z0-9_-]{3,}[a-za-z0-9])")
_B = r"(?<![(\w].)"  # (?<!\()\b
_USER_LABEL = (
    rf"(?:r{_B}user(?:name)?|u{_B}ser(?:name)?|l{_B}ogin|l{_B}ogname|o{_B}wner|a{_B}ccount)"
    r"\b[\"']?\s*[:=]\s*[\"']?(?P<v>[a-z_][a-z0-9_.-]{1,31})")
_FOR = r"\s+[\w-]+\s+for(?:\s+(?:invalid|illegal)\s+user)?"
_USER_AUTH = (
    rf"(?:a(?<!\w.)ccepted{_FOR}|f(?<!\w.)ailed{_FOR}|i(?<!\w.)nvalid\s+user|i(?<!\w.)llegal\s+user|"
    r"f(?<!\w.)or\s+user|o(?<!\w.)f\s+user|b(?<!\w.)y\s+user)"
    r"\s+[\"']?(?P<v>[a-z_][a-z0-9_.-]{0,31})(?=[\s\"'(),:;]|\.?$|\.\s)")
_HOST_LABEL = (
    r"(?:r(?<!\w.)host(?:name)?|h(?<!\w.)ost(?:name)?|f(?<!\w.)qdn|n(?<!\w.)odename|c(?<!\w.)omputer[ _-]?name|"
    r"m(?<!\w.)achine[ _-]?name)"
    r"\b[\"']?\s*[:=]\s*[\"']?(?P<v>[a-z0-9][a-z0-9.-]*[a-z0-9])")
_HEX4 = r"[0-9a-f]{0,4}"

# One entry per pattern of PATTERNS, in its order: (hoisted form or None, trigger, back, extra, ahead).
_HOW: list[tuple[str | None, Trigger, int, int, int]] = [
    (None, _t("authorization"), -1, 3, -1),
    (None, _t("cookie"), -1, 2, -1),
    (None, _t("://"), -1, 0, -1),
    (None, _t("="), -1, 0, -1),
    (None, (re.compile("--(?:pass|token|api|access|secret|client|auth)"), "sshpass"), -1, 2, -1),
    (None, _t("mysql", "mariadb"), -1, 1, -1),
    (None, _t("bearer"), -1, 1, -1),
    (None, ("pass", "pwd", "secret", "token", "credential", *(re.compile(w + "[_-]?" + k) for w, k in (
        ("api", "key"), ("access", "key"), ("private", "key"), ("auth", "key"), ("session", "id")))), -1, 2, -1),
    (None, _t("@"), -1, 0, -1),
    (_SERIAL, _t("serial", "s/n", "sn", "uuid"), -1, 2, -1),
    (None, _t("/home/", "/Users/", "Users\\"), -1, 0, -1),
    (_USER_LABEL, _labels("user(?:name)?", "log(?:in|name)", "owner", "account"), -1, 2, -1),
    (_USER_AUTH, _t("accepted", "failed", "user"), -1, 2, -2),  # -2: whole (the words are common in logs)
    (_HOST_LABEL, _labels("host(?:name)?", "fqdn", "nodename", "computer[ _-]?name", "machine[ _-]?name"), -1, 2, -1),
    (None, _t("\\\\", "//"), -1, 0, -1),
    # Around the separators of a MAC address (17 characters), its dots (Cisco form), an IPv4 address's inner dots.
    (None, (re.compile(r":[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}:"),
            re.compile(r"-[0-9A-Fa-f]{2}-[0-9A-Fa-f]{2}-[0-9A-Fa-f]{2}-[0-9A-Fa-f]{2}-")), 3, 0, 32),
    (None, (re.compile(r"\.[0-9a-f]{4}\."),), 5, 0, 24),
    # An IPv6 address has "::" or six colons or more (an IPv4 tail after six): 12:00:01 is not one.
    (None, (re.compile(rf"::|:{_HEX4}:{_HEX4}:{_HEX4}:{_HEX4}:{_HEX4}:"),), 48, 0, -1),
    (None, (re.compile(r"\.\d{1,3}\.\d{1,3}\."),), 4, 0, 24),
]
assert len(_HOW) == len(PATTERNS)


def _scan(kind: str, rx: re.Pattern[str], how: tuple[str | None, Trigger, int, int, int]) -> Scan:
    hoisted, trigger, back, extra, ahead = how
    on_lower = bool(rx.flags & re.IGNORECASE)
    fast = re.compile(hoisted, _lowered(rx).flags) if hoisted is not None else _lowered(rx)
    if ahead == -2:
        return Scan(kind, fast, on_lower, trigger, whole=True)
    return Scan(kind, fast, on_lower, trigger, back, extra, ahead)


# What `Redactor` matches with on text whose lower-cased form has its length (else PATTERNS, as they are).
SCANS: list[Scan] = [_scan(kind, rx, how) for (kind, rx), how in zip(PATTERNS, _HOW, strict=True)]


# (kind, user start, user end, value start, value end) of one match; -1 where a match has no user (or no value).
Hit = tuple[str, int, int, int, int]


def pattern_hits(text: str) -> list[Hit]:
    """Every match of every pattern in `text` (values not yet judged by `accept`), pattern by pattern."""
    low = text.lower()
    if len(low) == len(text):
        scans = SCANS
    else:  # a few characters change length when lower-cased (İ): the patterns as they are, on the text itself
        low = text
        scans = [Scan(kind, rx, False) for kind, rx in PATTERNS]
    hits: list[Hit] = []
    for sc in scans:
        has_u = "u" in sc.rx.groupindex
        groups = [g for g in ("q1", "q2", "v") if g in sc.rx.groupindex]  # the value (see value_of)
        for m in sc.finditer(low if sc.on_lower else text):
            us = ue = -1
            if has_u and m.group("u"):
                us, ue = m.span("u")
            if not groups:
                hits.append((sc.kind, us, ue, m.start(), m.end()))
                continue
            for g in groups:
                vs, ve = m.span(g)
                if vs >= 0:
                    if g == "v":  # without trailing punctuation
                        ve = vs + len(m.group(g).rstrip(".:)"))
                    hits.append((sc.kind, us, ue, vs, ve))
                    break
            else:
                if us >= 0:
                    hits.append((sc.kind, us, ue, -1, -1))
    return hits
