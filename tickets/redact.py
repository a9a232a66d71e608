"""Redaction before anything leaves the machine.

Masks user names, host names, IPv4/IPv6 and MAC addresses, e-mail addresses, serial numbers, secrets (passwords,
tokens, private key blocks, API keys in URLs and environment variables, Authorization headers, cookies) and the
user's own keywords. The same value always gets the same placeholder (``<host-1>``, ``<secret-2>``...); the
mapping placeholder -> value stays on this machine (see `Redactor.mapping`).

Use: create one `Redactor` for everything that goes into one ticket, call `scan()` on all documents (the preview:
each masked item, where it was found, and a switch), then `redact_text()` / `redact_obj()` with the set of
placeholders the user switched off.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

KINDS = ("secret", "email", "user", "host", "ipv4", "ipv6", "mac", "serial", "keyword")

# Higher number = wins when two matches overlap (then: earlier start, longer match).
_RANK = {"secret": 90, "email": 70, "keyword": 65, "known": 60, "serial": 50, "user": 45, "host": 45,
         "mac": 40, "ipv6": 35, "ipv4": 30}

# A pattern of key names, not a password.
_SENSITIVE_NAMES = (
    r"[A-Za-z0-9_.-]*(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|"
    r"private[_-]?key|credentials?|auth[_-]?key|session[_-]?id|client[_-]?secret)[A-Za-z0-9_]*"
)
_VALUE = r"(?:\"(?P<q1>[^\"\n]*)\"|'(?P<q2>[^'\n]*)'|(?P<v>[^\s,;&\"'}<>\]]+))"

# (kind, pattern). Named groups: v/q1/q2 = the value to mask (else the whole match); u = a user name too.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("secret", re.compile(
        r"(?im)\b(?:proxy-)?authorization\b[\"']?\s*[:=]\s*[\"']?"
        r"(?:(?:bearer|basic|token|digest|negotiate|ntlm|apikey)\s+)?(?P<v>[^\r\n\"']+)")),
    ("secret", re.compile(r"(?im)\b(?:set-)?cookie\b[\"']?\s*[:=]\s*[\"']?(?P<v>[^\r\n\"']+)")),
    ("secret", re.compile(r"(?i)(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*://(?P<u>[^\s:/@]+):(?P<v>[^\s@/]+)@")),
    ("secret", re.compile(
        r"(?i)[?&;](?:[a-z0-9]+[_-])*(?:api[_-]?key|apikey|access[_-]?token|id[_-]?token|refresh[_-]?token|token|auth|"
        r"key|secret|password|passwd|pwd|sig|signature|credential|client[_-]?secret|session(?:id)?|sid|code)"
        r"=(?P<v>[^&\s\"'#<>]+)")),
    # Command-line flags: --password VALUE, --api-key=VALUE, sshpass -p VALUE.
    ("secret", re.compile(
        r"(?i)(?<![\w-])(?:--(?:pass(?:word|wd|phrase)?|token|api[_-]?key|access[_-]?key|secret|client[_-]?secret|"
        r"auth[_-]?token)(?:=|\s+)|\bsshpass\s+-p\s*)" + _VALUE)),
    # A bare bearer token (e.g. pasted from a curl command without its header name).
    ("secret", re.compile(r"(?i)\bbearer\s+(?P<v>[A-Za-z0-9._~+/=-]{8,})")),
    ("secret", re.compile(rf"(?i)(?<![A-Za-z0-9_.-])(?:export\s+)?{_SENSITIVE_NAMES}[\"']?\s*[:=]\s*{_VALUE}")),
    ("secret", re.compile(
        r"\b(?:gh[opsur]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}|"
        r"xox[abprs]-[A-Za-z0-9-]{10,}|npm_[A-Za-z0-9]{36}|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|(?:AKIA|ASIA)[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}|sk-[A-Za-z0-9_-]{20,}|"
        r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,})")),
    ("email", re.compile(r"(?i)(?<![A-Za-z0-9._%+-])[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b")),
    ("serial", re.compile(
        r"(?i)\b(?:serial(?:[ _-]?(?:number|no|num))?|serialnumber|s/n|sn|product[ _-]?serial|board[ _-]?serial|"
        r"chassis[ _-]?serial|uuid)\b[\"']?\s*[:=#]?\s*[\"']?(?P<v>[A-Za-z0-9][A-Za-z0-9_-]{3,}[A-Za-z0-9])")),
    ("user", re.compile(
        r"(?:/home/|/Users/|/var/home/|[A-Za-z]:\\{1,2}Users\\{1,2})(?P<v>[A-Za-z0-9_][A-Za-z0-9_.-]*)")),
    ("user", re.compile(
        r"(?i)(?<!\()\b(?:r?user(?:name)?|login|logname|owner|account)\b[\"']?\s*[:=]\s*[\"']?"
        r"(?P<v>[A-Za-z_][A-Za-z0-9_.-]{1,31})")),
    # Authentication logs: sshd "Accepted password for carol from", "Invalid user x from", PAM "for user erin",
    # systemd "Session 3 of user frank".
    ("user", re.compile(
        r"(?i)\b(?:(?:accepted|failed)\s+[\w-]+\s+for(?:\s+(?:invalid|illegal)\s+user)?|invalid\s+user|"
        r"illegal\s+user|(?:for|of|by)\s+user)\s+[\"']?(?P<v>[A-Za-z_][A-Za-z0-9_.-]{0,31})(?=[\s\"'(),:;]|\.?$|\.\s)")),
    ("host", re.compile(
        r"(?i)\b(?:r?host(?:name)?|fqdn|nodename|computer[ _-]?name|machine[ _-]?name)\b[\"']?\s*[:=]\s*[\"']?"
        r"(?P<v>[A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9])")),
    # UNC paths \\server\share and //server/share (SMB mounts).
    ("host", re.compile(
        r"(?:(?<![\\\w])\\\\|(?<![\w:/.])//)(?P<v>[A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9])(?=[\\/])")),
    ("mac", re.compile(
        r"(?<![0-9A-Fa-f:-])(?:[0-9A-Fa-f]{2}([:-]))(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![0-9A-Fa-f:-])")),
    ("mac", re.compile(r"(?i)(?<![0-9a-f.])[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}(?![0-9a-f.])")),  # Cisco form
    ("ipv6", re.compile(
        r"(?i)(?<![0-9a-f:.])(?:(?:[0-9a-f]{0,4}:){2,6}(?:\d{1,3}\.){3}\d{1,3}|(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4})"
        r"(?:%[A-Za-z0-9_.]+)?(?![0-9a-f:]|\.\d)")),
    ("ipv4", re.compile(r"(?<![0-9.])(?:\d{1,3}\.){3}\d{1,3}(?![0-9]|\.\d)")),
]

# Not personal: loopback/unspecified addresses, system accounts, placeholder-looking values.
_SYSTEM_USERS = {"root", "nobody", "daemon", "system", "admin", "administrator", "localservice", "networkservice",
                 "bin", "sys", "www-data", "syslog", "messagebus", "systemd-network", "systemd-resolve", "gdm",
                 "none", "null", "true", "false", "unknown", "n/a"}
_HARMLESS_VALUES = {"", "none", "null", "true", "false", "yes", "no", "0", "1", "*", "***", "****", "xxx", "redacted",
                    "<redacted>", "unset", "required", "optional", "n/a", "-"}
_NOT_HOSTS = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", "unknown", "none", "true", "false"}
_PLACEHOLDER = re.compile(r"<(?:" + "|".join(KINDS) + r")-\d+>")

# Keys of the report dict whose values are personal or secret in themselves.
_KEY_KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("secret", re.compile(rf"(?i)^{_SENSITIVE_NAMES}$|^(?:cookie|authorization)$")),
    ("host", re.compile(r"(?i)^(?:host|hostname|host_name|fqdn|nodename|node|computer_?name|machine_?name)$")),
    ("user", re.compile(r"(?i)^(?:user|username|user_name|login|owner|account|logged_in_users?|users)$")),
    ("serial", re.compile(r"(?i)^(?:serial|serial_?number|serialnumber|product_serial|board_serial|chassis_serial|"
                          r"uuid|product_uuid|machine_id)$")),
    ("email", re.compile(r"(?i)^(?:e?mail|email_address)$")),
]


@dataclass
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


def _normalize(kind: str, value: str) -> str:
    return value if kind in ("secret", "serial") else value.lower()


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
    ) -> None:
        """`earlier`: placeholder -> value from this machine's earlier tickets, so that a value keeps its
        placeholder from one ticket to the next (see `TicketService`)."""
        self._known: dict[str, str] = {}  # normalized value -> kind
        self._known_re: re.Pattern[str] | None = None
        # The organisation's DNS domains (e.g. corp.example): every name in them is a host name to mask.
        self._domains: set[str] = set()
        self._domains_re: re.Pattern[str] | None = None
        self._placeholders: dict[tuple[str, str], str] = {}  # (kind, normalized) -> placeholder
        self._values: dict[str, str] = {}  # placeholder -> original value
        self._counters: dict[str, int] = {}
        self._used: set[str] = set()  # placeholders given out for this ticket (the rest came from `earlier`)
        for ph, value in (earlier or {}).items():
            m = re.fullmatch(r"<([a-z0-9]+)-(\d+)>", ph)
            if m is None or m.group(1) not in KINDS or not isinstance(value, str):
                continue
            kind, n = m.group(1), int(m.group(2))
            key = (kind, _normalize(kind, value))
            if key in self._placeholders:
                continue
            self._placeholders[key] = ph
            self._values[ph] = value
            self._counters[kind] = max(self._counters.get(kind, 0), n)
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
        v = value.strip()
        if not self._worth_masking(kind, v):
            return
        key = _normalize(kind, v)
        if kind == "host" and key.count(".") >= 2:
            self.add_domain(key.split(".", 1)[1])  # wks7.corp.example teaches corp.example
        if key in self._known and _RANK.get(self._known[key], 0) >= _RANK.get(kind, 0):
            return
        self._known[key] = kind
        self._known_re = None

    def add_domain(self, domain: str) -> None:
        """Mask every name in `domain` (and the domain itself); needs two labels at least (corp.example)."""
        d = domain.strip().strip(".").lower()
        if d.count(".") < 1 or _is_ip(d) or d in _NOT_HOSTS or not re.fullmatch(r"[a-z0-9.-]+", d):
            return
        if d not in self._domains:
            self._domains.add(d)
            self._domains_re = None

    def _domain_pattern(self) -> re.Pattern[str] | None:
        if not self._domains:
            return None
        if self._domains_re is None:
            alts = sorted(self._domains, key=len, reverse=True)
            self._domains_re = re.compile(
                r"(?<![A-Za-z0-9_.-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*(?:"
                + "|".join(re.escape(a) for a in alts) + r")(?![A-Za-z0-9_-]|\.[A-Za-z0-9])", re.I)
        return self._domains_re

    def _worth_masking(self, kind: str, v: str) -> bool:
        low = v.lower()
        if _PLACEHOLDER.fullmatch(v) or low in _HARMLESS_VALUES:
            return False
        if kind == "user":
            return low not in _SYSTEM_USERS and len(v) >= 2
        if kind == "host":
            if low in _NOT_HOSTS or _is_ip(v):
                return False
            return len(v) >= 2
        if kind == "secret":
            return len(v) >= 4
        if kind == "serial":
            return len(v) >= 4 and any(c.isdigit() for c in v)
        return len(v) >= 2

    def _known_pattern(self) -> re.Pattern[str] | None:
        if not self._known:
            return None
        if self._known_re is None:
            alts = sorted(self._known, key=len, reverse=True)
            # A known host name also takes its domain along (fs9 -> fs9.corp.example): group "dom".
            self._known_re = re.compile(
                r"(?<![A-Za-z0-9_])(?P<base>" + "|".join(re.escape(a) for a in alts) + r")"
                r"(?P<dom>(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?![A-Za-z0-9_])", re.I)
        return self._known_re

    def learn_from_obj(self, obj: Any) -> None:
        """Learn personal values from labelled keys of a report dict (hostname, user, serial, password...)."""
        for key, value in _walk_keyed(obj):
            if not isinstance(value, str) or key is None:
                continue
            for kind, rx in _KEY_KINDS:
                if rx.search(key):
                    self.add_known(kind, value)
                    break

    def learn_from_text(self, text: str) -> None:
        """Learn values from labelled text (password=..., Hostname: ..., /home/<user>) so that the same value
        is also masked where it appears without a label."""
        for kind, rx in _PATTERNS:
            if kind not in ("secret", "user", "host", "serial"):
                continue
            for m in rx.finditer(text):
                if "u" in rx.groupindex and m.group("u"):
                    self.add_known("user", m.group("u"))
                val = _value_of(m)
                if val is None:
                    continue
                if kind == "secret" and ("\n" in val[0] or len(val[0]) > 200):
                    continue
                self.add_known(kind, val[0])

    # ---- matching -----------------------------------------------------------------------------------------
    def _matches(self, text: str, skip: frozenset[str] = frozenset()) -> list[tuple[int, int, str, str]]:
        """Non-overlapping (start, end, kind, value) spans to mask, in text order. `skip`: pattern kinds not
        to look for (e.g. ipv4 in a version field, where 17.0.21.1 is a version, not an address)."""
        cands: list[tuple[int, int, int, str, str]] = []  # rank, start, end, kind, value
        for kind, rx in _PATTERNS:
            if kind in skip:
                continue
            for m in rx.finditer(text):
                if "u" in rx.groupindex and m.group("u") and self._worth_masking("user", m.group("u")):
                    cands.append((_RANK["user"], m.start("u"), m.end("u"), "user", m.group("u")))
                val = _value_of(m)
                if val is None:
                    continue
                value, start, end = val
                if not self._accept(kind, value):
                    continue
                cands.append((_RANK[kind], start, end, kind, value))
        for s, e in _pem_spans(text):
            cands.append((_RANK["secret"], s, e, "secret", text[s:e]))
        for kw in self._keywords:
            for m in re.finditer(re.escape(kw), text, re.I):
                cands.append((_RANK["keyword"], m.start(), m.end(), "keyword", m.group(0)))
        known = self._known_pattern()
        if known is not None:
            for m in known.finditer(text):
                base = m.group("base")
                kk = self._known.get(base.lower()) or self._known.get(base)
                if kk is None:
                    continue
                end = m.end() if kk == "host" else m.end("base")
                cands.append((_RANK["known"] if kk != "secret" else _RANK["secret"], m.start(), end, kk,
                              text[m.start():end]))
        domains = self._domain_pattern()
        if domains is not None:
            for m in domains.finditer(text):
                cands.append((_RANK["known"], m.start(), m.end(), "host", m.group(0)))
        cands.sort(key=lambda c: (-c[0], c[1], -(c[2] - c[1])))
        # The taken spans never overlap, so sorted by start a new span can only collide with its two
        # neighbours (bisect): n log n, where scanning every taken span was quadratic on a busy log.
        starts: list[int] = []
        taken: list[tuple[int, int, str, str]] = []
        for _rank, s, e, kind, value in cands:
            i = bisect.bisect_right(starts, s)
            if (i > 0 and taken[i - 1][1] > s) or (i < len(taken) and taken[i][0] < e):
                continue
            starts.insert(i, s)
            taken.insert(i, (s, e, kind, value))
        return taken

    def _accept(self, kind: str, value: str) -> bool:
        if _PLACEHOLDER.search(value):
            return False
        if kind == "ipv4":
            try:
                ip4 = ipaddress.IPv4Address(value)
            except ValueError:
                return False
            # netmasks (255.x) and loopback/unspecified addresses say nothing about the user
            return not (ip4.is_loopback or ip4.is_unspecified or value.startswith("255."))
        if kind == "mac":
            if "." in value and not re.search(r"[a-fA-F]", value):
                return False  # 1234.5678.9012 is more likely a version than a Cisco-style MAC
            return value.replace("-", ":").lower() not in ("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff")
        if kind == "ipv6":
            try:
                ip6 = ipaddress.IPv6Address(value.split("%", 1)[0])
            except ValueError:
                return False
            return not (ip6.is_loopback or ip6.is_unspecified)
        if kind == "secret":
            return value.strip().lower() not in _HARMLESS_VALUES and len(value.strip()) >= 3
        return self._worth_masking(kind, value)

    def placeholder(self, kind: str, value: str) -> str:
        key = (kind, _normalize(kind, value))
        ph = self._placeholders.get(key)
        if ph is None:
            n = self._counters.get(kind, 0) + 1
            self._counters[kind] = n
            ph = f"<{kind}-{n}>"
            self._placeholders[key] = ph
            self._values[ph] = value
        self._used.add(ph)
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
                return self.redact_text(o, off, _skip_for(key, o))
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
        for kind, rx in _KEY_KINDS:
            if rx.search(key):
                return kind if self._worth_masking(kind, v) and (kind != "email" or "@" in v) else None
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
                item = items[ph] = RedactionItem(ph, kind, self._values[ph])
            item.occurrences.append(occ)

        for name, text in texts.items():
            # Line starts by "\n" alone (splitlines() also splits at \r, \f... and CRLF text drifted).
            starts = [0, *(m.end() for m in re.finditer("\n", text))]
            for start, end, kind, value in self._matches(text):
                lineno = _line_of(starts, start)
                ls = starts[lineno - 1]
                le = text.find("\n", ls)
                le = len(text) if le < 0 else le
                if "\n" in value:
                    ctx = text[ls:min(le, ls + 200)]
                else:  # a window around the value: a long line must not cost its whole length per match
                    a, b = max(ls, start - 60), min(le, end + 100)
                    ctx = (("…" if a > ls else "") + text[a:start] + "«" + value + "»" + text[end:b]
                           + ("…" if b < le else "")).rstrip("\r")
                add(kind, value, Occurrence(f"{name}:{lineno}", lineno, _clip(ctx)))
        for name, o in objs.items():
            for path, sval in _walk_strings(o, with_keys=True):
                key = path.rsplit(".", 1)[-1].split("[", 1)[0] if path else None
                whole = self._labelled_kind(key, sval)
                if whole is not None:
                    add(whole, sval.strip(), Occurrence(f"{name}: {path}", 0, _clip(f"{key} = «{sval}»")))
                    continue
                for _s, _e, kind, value in self._matches(sval, _skip_for(key, sval)):
                    add(kind, value, Occurrence(f"{name}: {path}", 0,
                                                _clip(sval.replace(value, f"«{value}»", 1))))
        return sorted(items.values(), key=lambda i: (KINDS.index(i.kind), int(i.placeholder.rsplit("-", 1)[1][:-1])))

    def mapping(self) -> dict[str, str]:
        """placeholder -> original value of this ticket's placeholders. Keep it on this machine; never attach
        it to a ticket."""
        return {ph: v for ph, v in self._values.items() if ph in self._used}


_VERSION_KEY = re.compile(r"(?i)version|candidate|installed|available|release|build|kernel|package|pkg")


_VERSION_VALUE = re.compile(r"(?:\d+:)?v?\d+(?:\.\d+)+(?:[-+~][\w.+~:-]*)?")


def _skip_for(key: str | None, value: str) -> frozenset[str]:
    """A version field holding a version (17.0.21.1-1, 1:2.6.1) is not an IPv4 address; an address in such a field
    (package_source = "http://10.1.2.3/debian") still is one."""
    if key and _VERSION_KEY.search(key) and _VERSION_VALUE.fullmatch(value.strip()):
        return frozenset({"ipv4"})
    return frozenset()


_PEM_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_PEM_BODY = re.compile(r"[A-Za-z0-9+/=]+|[A-Za-z-]+: .*|")  # base64, a header (Proc-Type: ...), blank


def _pem_spans(text: str) -> list[tuple[int, int]]:
    """Private key blocks, whole; also a block cut by an excerpt's edge (BEGIN without END: up to where the
    key's lines stop; END without BEGIN: back to where they start). Linear in the text (no regex backtracking
    over a BEGIN that never ends)."""
    begins = list(_PEM_BEGIN.finditer(text))
    ends = list(_PEM_END.finditer(text))
    spans: list[tuple[int, int]] = []
    used_ends: set[int] = set()
    for i, b in enumerate(begins):
        limit = begins[i + 1].start() if i + 1 < len(begins) else len(text)
        end = next((e for e in ends if b.end() <= e.start() < limit and e.start() not in used_ends), None)
        if end is not None:
            used_ends.add(end.start())
            spans.append((b.start(), end.end()))
            continue
        pos = stop = b.end()
        if pos < len(text) and text[pos] != "\n":  # more on BEGIN's own line (an escaped "\\n" key): all of it
            nl = text.find("\n", pos)
            stop = len(text) if nl < 0 else nl
        while pos < len(text) and text[pos] == "\n":  # the key's own lines after BEGIN
            nl = text.find("\n", pos + 1)
            line_end = len(text) if nl < 0 else nl
            line = text[pos + 1:line_end].strip()
            if not line or not _PEM_BODY.fullmatch(line):
                break
            stop = pos = line_end
        spans.append((b.start(), stop))
    for e in ends:
        if e.start() in used_ends:
            continue
        start = e.start()
        line_start = text.rfind("\n", 0, start) + 1
        if text[line_start:start].strip():  # more before END on its line (an escaped key): that word, whole
            word = max(text.rfind(c, line_start, start) for c in " \t") + 1
            spans.append((max(word, line_start), e.end()))
            continue
        pos = line_start
        while pos > 0:  # the key's own lines before END
            prev = text.rfind("\n", 0, pos - 1) + 1
            line = text[prev:pos - 1].strip()
            if not line or not _PEM_BODY.fullmatch(line):
                break
            start = pos = prev
        if start < line_start:
            spans.append((start, e.end()))
    return spans


def _value_of(m: re.Match[str]) -> tuple[str, int, int] | None:
    for g in ("q1", "q2", "v"):
        if g in m.re.groupindex and m.group(g) is not None:
            value = m.group(g)
            if g == "v":
                stripped = value.rstrip(".:)")
                return stripped, m.start(g), m.start(g) + len(stripped)
            return value, m.start(g), m.end(g)
    if any(g in m.re.groupindex for g in ("q1", "q2", "v")):
        return None
    return m.group(0), m.start(), m.end()


def _is_ip(v: str) -> bool:
    try:
        ipaddress.ip_address(v.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _line_of(starts: list[int], pos: int) -> int:
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid] <= pos:
            lo = mid
        else:
            hi = mid - 1
    return lo + 1


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
