"""Redaction before anything leaves the machine.
(Long because: learning, matching, applying and the preview share the learned values and the match cache.)

Masks user names, host names, IPv4/IPv6 and MAC addresses, e-mail addresses, serial numbers, secrets (passwords,
tokens, private key blocks, API keys in URLs and environment variables, Authorization headers, cookies) and the
user's own keywords. The same value always gets the same placeholder (``<host-1>``, ``<secret-2>``...); the
mapping placeholder -> value stays on this machine (see `Redactor.mapping`).

Use: create one `Redactor` for everything that goes into one ticket, call `scan()` on all documents (the preview:
each masked item, where it was found, and a switch), then `redact_text()` / `redact_obj()` with the set of
placeholders the user switched off.

Parts: `redact_patterns` (what to look for and what is not worth masking), `redact_placeholders` (placeholder <->
value, and the files that keep it on this machine), this module (learning known values, matching, applying, the
preview).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .redact_patterns import (
    DHCP_HOST,
    DHCP_OPTION,
    KEY_KINDS,
    KINDS,
    NOT_HOSTS,
    RANK,
    accept,
    is_ip,
    pem_spans,
    skip_for,
    syslog_hosts,
    without_controls,
    worth_masking,
)
from .redact_placeholders import Digest, PlaceholderMap, normalize
from .redact_scan import Hit, pattern_hits
from .redact_secrets import unlabelled_secrets


@dataclass(slots=True)
class Occurrence:
    where: str  # document name (e.g. "logs/syslog.txt", "report.json") and path or line
    line: int  # 1-based line in the document text (0 for a JSON value)
    context: str  # the line, with this value shown as «value» (local preview only)


@dataclass
class RedactionItem:
    placeholder: str  # e.g. "<host-1>"
    kind: str
    value: str
    occurrences: list[Occurrence] = field(default_factory=list)
    enabled: bool = True  # the user's switch: False leaves this value unmasked

    @property
    def count(self) -> int:
        return len(self.occurrences)


class Redactor:
    def __init__(
        self,
        *,
        users: Iterable[str] = (),
        hosts: Iterable[str] = (),
        keywords: Iterable[str] = (),
        serials: Iterable[str] = (),
        secrets: Iterable[str] = (),
        domains: Iterable[str] = (),
        earlier: Mapping[str, str] | None = None,
        digest: Digest | None = None,
    ) -> None:
        """`earlier`: placeholder -> value from this machine's earlier tickets, so that a value keeps its
        placeholder from one ticket to the next; with `digest`, placeholder -> keyed hash of the value (what
        `PlaceholderStore.earlier()` gives: the store keeps no value; see `TicketService`)."""
        self._known: dict[str, str] = {}  # normalized value -> kind
        self._known_re: re.Pattern[str] | None = None
        self._known_low_re: re.Pattern[str] | None = None
        # The organisation's DNS domains (e.g. corp.example): every name in them is a host name to mask.
        self._domains: set[str] = set()
        self._domains_re: re.Pattern[str] | None = None
        self._domains_low_re: re.Pattern[str] | None = None
        self._map = PlaceholderMap(earlier, digest)
        # _matches() of the last texts: scan() and redact_text() of one document match it once. Emptied whenever
        # something new is learned (the matches would differ).
        self._cache: dict[tuple[str, frozenset[str]], list[tuple[int, int, str, str]]] = {}
        self._last_cleaned: tuple[str | None, tuple[str, list[int]] | None] = (None, None)
        self._added: set[tuple[str, str]] = set()  # (kind, value) given to add_known() already
        self._placeholders: dict[tuple[str, str], str] = {}  # (kind, value) -> placeholder, once asked
        self._hit_cache: dict[str, list[Hit]] = {}  # pattern_hits() of the last texts (they learn nothing)
        # The user's own keywords match anywhere (also inside words), case-insensitively.
        self._keywords = sorted({k.strip() for k in keywords if len(k.strip()) >= 2}, key=len, reverse=True)
        for kind, values in (("user", users), ("host", hosts), ("serial", serials),
                             ("secret", secrets)):
            for v in values:
                self.add_known(kind, v)
        for d in domains:
            self.add_domain(d)

    # ---- known values -------------------------------------------------------------------------------------
    def add_known(self, kind: str, value: str) -> None:
        if (kind, value) in self._added:  # a log teaches the same value on every line
            return
        self._added.add((kind, value))
        v = value.strip()
        if not worth_masking(kind, v):
            return
        key = normalize(kind, v)
        if kind == "host" and key.count(".") >= 2:
            self.add_domain(key.split(".", 1)[1])  # wks7.corp.example teaches corp.example
        if key in self._known and RANK.get(self._known[key], 0) >= RANK.get(kind, 0):
            return
        self._known[key] = kind
        self._known_re = None
        self._cache.clear()

    def add_domain(self, domain: str) -> None:
        """Mask every name in `domain` (and the domain itself); needs two labels at least (corp.example)."""
        d = domain.strip().strip(".").lower()
        if d.count(".") < 1 or is_ip(d) or d in NOT_HOSTS or not re.fullmatch(r"[a-z0-9.-]+", d):
            return
        if d not in self._domains:
            self._domains.add(d)
            self._domains_re = None
            self._cache.clear()

    def _domain_pattern(self, lowered: bool) -> re.Pattern[str] | None:
        """Names in the organisation's domains; `lowered`: for the lower-cased text (without IGNORECASE)."""
        if not self._domains:
            return None
        if self._domains_re is None:
            alts = sorted(self._domains, key=len, reverse=True)
            src = (r"(?<![A-Za-z0-9_.-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*(?:"
                   + "|".join(re.escape(a) for a in alts) + r")(?![A-Za-z0-9_-]|\.[A-Za-z0-9])")
            self._domains_re = re.compile(src, re.I)
            self._domains_low_re = re.compile(src.replace("A-Z", ""))  # the domains are lower-case already
        return self._domains_low_re if lowered else self._domains_re

    def _known_pattern(self, lowered: bool) -> re.Pattern[str] | None:
        """The known values as one pattern; `lowered`: for the lower-cased text (then without IGNORECASE, and with
        the leading lookbehind moved after each value's first character, so that the search jumps in C)."""
        if not self._known:
            return None
        if self._known_re is None:
            alts = sorted(self._known, key=len, reverse=True)
            # A known host name also takes its domain along (fs9 -> fs9.corp.example): group "dom".
            dom = r"(?P<dom>(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?![A-Za-z0-9_])"
            self._known_re = re.compile(
                r"(?<![A-Za-z0-9_])(?P<base>" + "|".join(re.escape(a) for a in alts) + ")" + dom, re.I)
            low = sorted({a.lower() for a in alts}, key=len, reverse=True)
            self._known_low_re = re.compile(
                "(?P<base>" + "|".join(re.escape(a[0]) + "(?<![a-z0-9_].)" + re.escape(a[1:]) for a in low) + ")"
                + dom.replace("A-Z", ""))
        return self._known_low_re if lowered else self._known_re

    def learn_from_obj(self, obj: Any) -> None:
        """Learn personal values from labelled keys of a report dict (hostname, user, serial, password...)."""
        for key, value in _walk_keyed(obj):
            if not isinstance(value, str) or key is None:
                continue
            for kind, rx in KEY_KINDS:
                if rx.search(key):
                    self.add_known(kind, value)
                    break

    def learn_from_text(self, text: str) -> None:
        """Learn values from labelled text (password=..., Hostname: ..., /home/<user>) so that the same value
        is also masked where it appears without a label. Also learned: the host column of syslog lines, the
        names of DHCP servers and the host and domain names DHCP gave (dhclient, NetworkManager)."""
        cleaned = self._without_controls(text)
        if cleaned is not None:  # "hostname: ev<ESC>[0mil" teaches "evil"
            text = cleaned[0]
        for host in dict.fromkeys(syslog_hosts(text)):  # the same host on every line: learned once
            self.add_known("host", host)
        if "DHCP" in text:
            for m in DHCP_HOST.finditer(text):
                self.add_known("host", m.group("v"))
        if "option" in text:
            for m in DHCP_OPTION.finditer(text):
                if m.group("k") in ("domain_name", "domain_search", "nis_domain"):
                    self.add_domain(m.group("v"))
                else:
                    self.add_known("host", m.group("v"))
        for kind, us, ue, vs, ve in self._hits(text):
            if kind not in ("secret", "user", "host", "serial"):
                continue
            if us >= 0:
                self.add_known("user", text[us:ue])
            if vs < 0:
                continue
            value = text[vs:ve]
            if kind == "secret" and ("\n" in value or len(value) > 200):
                continue
            self.add_known(kind, value)

    def _without_controls(self, text: str) -> tuple[str, list[int]] | None:
        """without_controls() of the last text (learning and matching of one document ask for the same)."""
        if self._last_cleaned[0] is not text:
            self._last_cleaned = (text, without_controls(text))
        return self._last_cleaned[1]

    def _hits(self, text: str) -> list[Hit]:
        """The patterns' matches in `text`: learning and matching of one document share them."""
        hits = self._hit_cache.get(text)
        if hits is None:
            if len(self._hit_cache) >= 16:
                self._hit_cache.clear()
            hits = self._hit_cache[text] = pattern_hits(text)
        return hits

    # ---- matching -----------------------------------------------------------------------------------------
    def _matches(self, text: str, skip: frozenset[str] = frozenset()) -> list[tuple[int, int, str, str]]:
        """Non-overlapping (start, end, kind, value) spans to mask, in text order. `skip`: pattern kinds not
        to look for (e.g. ipv4 in a version field, where 17.0.21.1 is a version, not an address).

        Control characters and escape sequences do not cut a value short: the text is matched without them and
        each span mapped back (it then covers the escape sequences inside the value too)."""
        key = (text, skip)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        cleaned = self._without_controls(text)
        if cleaned is None:
            found = self._matches_plain(text, skip)
        else:
            clean, index = cleaned
            found = [(index[s], index[e - 1] + 1, kind, value)
                     for s, e, kind, value in self._matches_plain(clean, skip)]
        if len(self._cache) > 64:
            self._cache.clear()
        self._cache[key] = found
        return found

    def _matches_plain(self, text: str, skip: frozenset[str]) -> list[tuple[int, int, str, str]]:
        # (-rank, start, -length, n, end, kind, value): sorted, the highest rank first, then the earliest start, then
        # the longest; n keeps the order in which they were found (the sort never compares further)
        cands: list[tuple[int, int, int, int, int, str, str]] = []

        def cand(rank: int, s: int, e: int, kind: str, value: str) -> None:
            cands.append((-rank, s, s - e, len(cands), e, kind, value))

        rank_user = RANK["user"]
        for kind, us, ue, vs, ve in self._hits(text):
            if kind in skip:
                continue
            if us >= 0:
                u = text[us:ue]
                if worth_masking("user", u):
                    cand(rank_user, us, ue, "user", u)
            if vs < 0:
                continue
            value = text[vs:ve]
            if accept(kind, value):
                cand(RANK[kind], vs, ve, kind, value)
        for s, e in pem_spans(text):
            cand(RANK["secret"], s, e, "secret", text[s:e])
        if "secret" not in skip:
            for s, e in unlabelled_secrets(text):
                cand(RANK["secret"], s, e, "secret", text[s:e])
        low = text.lower()
        lowered = len(low) == len(text)  # then matched on `low`, without IGNORECASE (which is many times slower)
        if not lowered:
            low = text
        for kw in self._keywords:
            for m in re.finditer(re.escape(kw), text, re.I):
                cand(RANK["keyword"], m.start(), m.end(), "keyword", m.group(0))
        known = self._known_pattern(lowered)
        if known is not None:
            known_get = self._known.get
            for m in known.finditer(low):
                s, be = m.span("base")
                kk = known_get(low[s:be]) if lowered else known_get(text[s:be].lower())
                kk = kk or known_get(text[s:be])
                if kk is None:
                    continue
                end = m.end() if kk == "host" else be
                cand(RANK["known"] if kk != "secret" else RANK["secret"], s, end, kk, text[s:end])
        domains = self._domain_pattern(lowered)
        if domains is not None and (not lowered or any(d in low for d in self._domains)):
            for m in domains.finditer(low):  # a whole name in the organisation's domain beats a keyword inside it
                cand(RANK["domain"], m.start(), m.end(), "host", text[m.start():m.end()])
        cands.sort()
        # The spans taken so far, as a map of the characters they cover: a candidate is taken when none of its
        # characters is (one C-speed search per candidate, however busy the log).
        covered = bytearray(len(text))
        taken: list[tuple[int, int, str, str]] = []
        for _rank, s, _len, _n, e, kind, value in cands:
            if covered.find(1, s, e) >= 0:
                continue
            covered[s:e] = b"\x01" * (e - s)
            taken.append((s, e, kind, value))
        taken.sort()
        return taken

    def placeholder(self, kind: str, value: str) -> str:
        ph = self._placeholders.get((kind, value))
        if ph is None:
            ph = self._placeholders[(kind, value)] = self._map.placeholder(kind, value)
        return ph

    # ---- applying -----------------------------------------------------------------------------------------
    def redact_text(self, text: str, disabled: Iterable[str] = (), skip: frozenset[str] = frozenset()) -> str:
        off = set(disabled)
        out: list[str] = []
        pos = 0
        for s, e, kind, value in self._matches(text, skip):
            ph = self.placeholder(kind, value)
            if ph in off:
                continue
            out.append(text[pos:s])
            out.append(ph)
            pos = e
        out.append(text[pos:])
        return "".join(out)

    def redact_obj(self, obj: Any, disabled: Iterable[str] = ()) -> Any:
        """A copy of a JSON-like object with every string (and dict key) redacted; labelled values whole."""
        off = set(disabled)

        def walk(o: Any, key: str | None) -> Any:
            if isinstance(o, str):
                whole = self._labelled_kind(key, o)
                if whole is not None:
                    ph = self.placeholder(whole, o.strip())
                    if ph not in off:
                        return ph
                return self.redact_text(o, off, skip_for(key, o))
            if isinstance(o, dict):
                return {self.redact_text(str(k), off): walk(v, str(k)) for k, v in o.items()}
            if isinstance(o, list | tuple):
                return [walk(v, key) for v in o]
            return o

        return walk(obj, None)

    def _labelled_kind(self, key: str | None, value: str) -> str | None:
        if key is None:
            return None
        v = value.strip()
        for kind, rx in KEY_KINDS:
            if rx.search(key):
                return kind if worth_masking(kind, v) and (kind != "email" or "@" in v) else None
        return None

    # ---- preview ------------------------------------------------------------------------------------------
    def scan(
        self, texts: Mapping[str, str] | None = None, objs: Mapping[str, Any] | None = None
    ) -> list[RedactionItem]:
        """Everything that would be masked: one item per distinct value, with where it occurs.

        Learns first from all documents (so a host name labelled in the report is also masked in a log), then
        lists the matches. Call again after changing the inputs.
        """
        texts = dict(texts or {})
        objs = dict(objs or {})
        for o in objs.values():
            self.learn_from_obj(o)
            for _path, s in _walk_strings(o):
                self.learn_from_text(s)
        for t in texts.values():
            self.learn_from_text(t)
        items: dict[str, RedactionItem] = {}

        def add(kind: str, value: str, occ: Occurrence) -> None:
            ph = self.placeholder(kind, value)
            item = items.get(ph)
            if item is None:
                item = items[ph] = RedactionItem(ph, kind, self._map.value(ph))
            item.occurrences.append(occ)

        known_ph = self._placeholders.get
        for name, text in texts.items():
            # Line starts by "\n" alone (splitlines() also splits at \r, \f... and CRLF text drifted).
            starts = [0, *(m.end() for m in re.finditer("\n", text))]
            n_lines, n = len(starts), len(text)
            for start, end, kind, value in self._matches(text):
                lineno = bisect.bisect_right(starts, start)
                ls = starts[lineno - 1]
                le = starts[lineno] - 1 if lineno < n_lines else n
                if "\n" in value:
                    ctx = text[ls:min(le, ls + 200)]
                else:  # a window around the value: a long line must not cost its whole length per match
                    a, b = max(ls, start - 60), min(le, end + 100)
                    ctx = (f"{'…' if a > ls else ''}{text[a:start]}«{value}»{text[end:b]}"
                           f"{'…' if b < le else ''}").rstrip("\r")
                ctx = ctx.strip()
                ph = known_ph((kind, value)) or self.placeholder(kind, value)
                item = items.get(ph)
                if item is None:
                    item = items[ph] = RedactionItem(ph, kind, self._map.value(ph))
                item.occurrences.append(Occurrence(f"{name}:{lineno}", lineno, ctx if len(ctx) <= 160 else _clip(ctx)))
        for name, o in objs.items():
            for path, sval in _walk_strings(o, with_keys=True):
                key = path.rsplit(".", 1)[-1].split("[", 1)[0] if path else None
                whole = self._labelled_kind(key, sval)
                if whole is not None:
                    add(whole, sval.strip(), Occurrence(f"{name}: {path}", 0, _clip(f"{key} = «{sval}»")))
                    continue
                for _s, _e, kind, value in self._matches(sval, skip_for(key, sval)):
                    add(kind, value, Occurrence(f"{name}: {path}", 0,
                                                _clip(sval.replace(value, f"«{value}»", 1))))
        return sorted(items.values(), key=lambda i: (KINDS.index(i.kind), int(i.placeholder.rsplit("-", 1)[1][:-1])))

    def mapping(self) -> dict[str, str]:
        """placeholder -> original value of this ticket's placeholders. Keep it on this machine; never attach
        it to a ticket."""
        return self._map.used()


def _clip(s: str, n: int = 160) -> str:
    s = s.strip()
    if len(s) <= n:
        return s
    i = s.find("«")
    start = max(0, i - 40)
    return ("…" if start else "") + s[start:start + n] + "…"


def _walk_keyed(o: Any, key: str | None = None) -> Iterable[tuple[str | None, Any]]:
    if isinstance(o, dict):
        for k, v in o.items():
            yield from _walk_keyed(v, str(k))
    elif isinstance(o, list | tuple):
        for v in o:
            yield from _walk_keyed(v, key)
    else:
        yield key, o


def _walk_strings(o: Any, path: str = "", with_keys: bool = False) -> Iterable[tuple[str, str]]:
    if isinstance(o, dict):
        for k, v in o.items():
            p = f"{path}.{k}" if path else str(k)
            if with_keys:
                yield f"{p} (key)", str(k)
            yield from _walk_strings(v, p, with_keys)
    elif isinstance(o, list | tuple):
        for i, v in enumerate(o):
            yield from _walk_strings(v, f"{path}[{i}]", with_keys)
    elif isinstance(o, str):
        yield path, o
