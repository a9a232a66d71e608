"""What redaction looks for: the kinds of personal and secret values, the patterns that find them in text, the
report keys whose values are personal in themselves, and the rules for what is not worth masking.

Data and pure functions only; `redact.Redactor` applies them (through `redact_scan`, which runs each pattern only
where it can match). A new pattern goes here (with its kind in `KINDS` and `RANK`, and its trigger in
`redact_scan._HOW`), a new labelled report key in `KEY_KINDS`.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterator

KINDS = ("secret", "email", "user", "host", "ipv4", "ipv6", "mac", "serial", "keyword")

# Higher number = wins when two matches overlap (then: earlier start, longer match).
RANK = {"secret": 90, "email": 70, "domain": 66, "keyword": 65, "known": 60, "serial": 50, "user": 45, "host": 45,
         "mac": 40, "ipv6": 35, "ipv4": 30}

# A pattern of key names, not a password.
SENSITIVE_NAMES = (
    r"[A-Za-z0-9_.-]*(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|"
    r"private[_-]?key|credentials?|auth[_-]?key|session[_-]?id|client[_-]?secret)[A-Za-z0-9_]*"
)
VALUE = r"(?:\"(?P<q1>[^\"\n]*)\"|'(?P<q2>[^'\n]*)'|(?P<v>[^\s,;&\"'}<>\]]+))"

# (kind, pattern). Named groups: v/q1/q2 = the value to mask (else the whole match); u = a user name too.
PATTERNS: list[tuple[str, re.Pattern[str]]] = [
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
        r"auth[_-]?token)(?:=|\s+)|\bsshpass\s+-p\s*)" + VALUE)),
    # mysql/mysqldump/mariadb -pPASSWORD (the password glued to -p).
    ("secret", re.compile(r"\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump)\b[^\n]*?\s-p(?P<v>[^\s'\"]+)")),
    # A bare bearer token (e.g. pasted from a curl command without its header name).
    ("secret", re.compile(r"(?i)\bbearer\s+(?P<v>[A-Za-z0-9._~+/=-]{8,})")),
    ("secret", re.compile(rf"(?i)(?<![A-Za-z0-9_.-])(?:export\s+)?{SENSITIVE_NAMES}[\"']?\s*[:=]\s*{VALUE}")),
    # Bare token forms (ghp_..., AKIA..., JWTs) and high-entropy strings: redact_secrets.unlabelled_secrets().
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
SYSTEM_USERS = {"root", "nobody", "daemon", "system", "admin", "administrator", "localservice", "networkservice",
                 "bin", "sys", "www-data", "syslog", "messagebus", "systemd-network", "systemd-resolve", "gdm",
                 "none", "null", "true", "false", "unknown", "n/a"}
HARMLESS_VALUES = {"", "none", "null", "true", "false", "yes", "no", "0", "1", "*", "***", "****", "xxx", "redacted",
                    "<redacted>", "unset", "required", "optional", "n/a", "-"}
NOT_HOSTS = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", "unknown", "none", "true", "false"}
PLACEHOLDER = re.compile(r"<(?:" + "|".join(KINDS) + r")-\d+>")

# Keys of the report dict whose values are personal or secret in themselves.
KEY_KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("secret", re.compile(rf"(?i)^{SENSITIVE_NAMES}$|^(?:cookie|authorization)$")),
    ("host", re.compile(r"(?i)^(?:host|hostname|host_name|fqdn|nodename|node|computer_?name|machine_?name)$")),
    ("user", re.compile(r"(?i)^(?:user|username|user_name|login|owner|account|logged_in_users?|users)$")),
    ("serial", re.compile(r"(?i)^(?:serial|serial_?number|serialnumber|product_serial|board_serial|chassis_serial|"
                          r"uuid|product_uuid|machine_id)$")),
    ("email", re.compile(r"(?i)^(?:e?mail|email_address)$")),
]


def worth_masking(kind: str, v: str) -> bool:
    """False for values that say nothing about anyone: placeholders, harmless words, system accounts, loopback."""
    low = v.lower()
    if PLACEHOLDER.fullmatch(v) or low in HARMLESS_VALUES:
        return False
    if kind == "user":
        return low not in SYSTEM_USERS and len(v) >= 2
    if kind == "host":
        if low in NOT_HOSTS or is_ip(v):
            return False
        return len(v) >= 2
    if kind == "secret":
        return len(v) >= 4
    if kind == "serial":
        return len(v) >= 4 and any(c.isdigit() for c in v)
    return len(v) >= 2


@functools.lru_cache(maxsize=8192)  # a log repeats its addresses on every line
def accept(kind: str, value: str) -> bool:
    """Whether a pattern's match is worth masking (a valid, non-loopback address; not a placeholder...)."""
    if PLACEHOLDER.search(value):
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
        if "::" not in value and value.count(":") < 6:
            return False  # no address (12:00:01): without ipaddress's exception, which costs
        try:
            ip6 = ipaddress.IPv6Address(value.split("%", 1)[0])
        except ValueError:
            return False
        return not (ip6.is_loopback or ip6.is_unspecified)
    if kind == "secret":
        return value.strip().lower() not in HARMLESS_VALUES and len(value.strip()) >= 3
    return worth_masking(kind, value)


VERSION_KEY = re.compile(r"(?i)version|candidate|installed|available|release|build|kernel|package|pkg")


VERSION_VALUE = re.compile(r"(?:\d+:)?v?\d+(?:\.\d+)+(?:[-+~][\w.+~:-]*)?")


def skip_for(key: str | None, value: str) -> frozenset[str]:
    """A version field holding a version (17.0.21.1-1, 1:2.6.1) is not an IPv4 address; an address in such a field
    (package_source = "http://10.1.2.3/debian") still is one."""
    if key and VERSION_KEY.search(key) and VERSION_VALUE.fullmatch(value.strip()):
        return frozenset({"ipv4"})
    return frozenset()


PEM_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
PEM_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
PEM_BODY = re.compile(r"[A-Za-z0-9+/=]+|[A-Za-z-]+: .*|")  # base64, a header (Proc-Type: ...), blank


def pem_spans(text: str) -> list[tuple[int, int]]:
    """Private key blocks, whole; also a block cut by an excerpt's edge (BEGIN without END: up to where the
    key's lines stop; END without BEGIN: back to where they start). Linear in the text (no regex backtracking
    over a BEGIN that never ends)."""
    begins = list(PEM_BEGIN.finditer(text))
    ends = list(PEM_END.finditer(text))
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
            if not line or not PEM_BODY.fullmatch(line):
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
            if not line or not PEM_BODY.fullmatch(line):
                break
            start = pos = prev
        if start < line_start:
            spans.append((start, e.end()))
    return spans


def value_of(m: re.Match[str]) -> tuple[str, int, int] | None:
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


def is_ip(v: str) -> bool:
    try:
        ipaddress.ip_address(v.split("%", 1)[0])
    except ValueError:
        return False
    return True


# ---- values learned like labelled ones --------------------------------------------------------------------------
# The host column of syslog / journal short output: "Dec  2 10:00:01 <host> sshd[812]: ..." and RFC 3339 stamps.
_SYSLOG_LINE = (
    r"(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
    r" (?P<v>[A-Za-z0-9][A-Za-z0-9._-]*) [^\s:\[]+(?:\[\d+\])?:")
SYSLOG_HOST = re.compile(r"(?m)^" + _SYSLOG_LINE)
_SYSLOG_AFTER_NL = re.compile("\n" + _SYSLOG_LINE)  # the same after a line break: searched at C speed (no ^)


def syslog_hosts(text: str) -> Iterator[str]:
    """The host column of each syslog line (what SYSLOG_HOST finds)."""
    m = SYSLOG_HOST.match(text)
    if m is not None:
        yield m.group("v")
    yield from _SYSLOG_AFTER_NL.findall(text)  # the one group, "v"


# dhclient: "DHCPACK of 10.0.0.5 from dhcp01.corp.example", "DHCPOFFER from 10.0.0.1 (dhcp01)"; NetworkManager's
# "option host_name 'wks7'" / "option domain_name 'corp.example'".
DHCP_HOST = re.compile(
    r"D(?<!\w.)HCP[A-Z]+\b[^\n]*?\b(?:from|to)\s+(?:[0-9a-fA-F.:]+\s+\()?"
    r"(?P<v>(?>[A-Za-z][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*))(?!=)")  # not dhclient's "(xid=0x5a1f)"
DHCP_OPTION = re.compile(
    r"o(?<!\w.)ption\s+(?P<k>host_name|domain_name|domain_search|fqdn_fqdn|dhcp_server_name|server_name|nis_domain)"
    r"\s*(?:=>|=|:)?\s*'?(?P<v>[A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9])")

# Terminal escape sequences and other control characters: removed before matching (a value cut by an ESC sequence
# is matched whole), then the match is mapped back onto the original text. Tab, newline and CR stay.
ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|\x1b[ -/]*[0-~]|\x9b[0-?]*[ -/]*[@-~]|"
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


CONTROL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f]")  # every sequence of ESCAPES starts with one
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0b, 0x0c, *range(0x0e, 0x20), *range(0x7f, 0xa0)])  # the same


def without_controls(text: str) -> tuple[str, list[int]] | None:
    """`text` without escape sequences and control characters, and for each of its characters the index it had in
    `text`; None when there is nothing to remove (the usual case, at the cost of one fast search)."""
    try:  # the usual case, text without any: one pass in C over its bytes (a character class search costs more)
        raw = text.encode("latin-1")
    except UnicodeEncodeError:
        if CONTROL.search(text) is None:
            return None
    else:
        if len(raw.translate(None, _CONTROL_BYTES)) == len(raw):
            return None
    first = ESCAPES.search(text)
    if first is None:
        return None
    parts: list[str] = []
    index: list[int] = []
    pos = 0
    for m in ESCAPES.finditer(text, first.start()):
        parts.append(text[pos:m.start()])
        index.extend(range(pos, m.start()))
        pos = m.end()
    parts.append(text[pos:])
    index.extend(range(pos, len(text)))
    return "".join(parts), index


def _lowered(rx: re.Pattern[str]) -> re.Pattern[str]:
    """The same pattern for lower-cased text, without IGNORECASE (Python's case-insensitive matching is about ten
    times slower): literal capitals lower-cased, escapes (\\S, \\W) and classes kept."""
    if not rx.flags & re.IGNORECASE:
        return rx
    src = re.sub(r"^\(\?([a-z]*)i([a-z]*)\)", lambda m: f"(?{m.group(1)}{m.group(2)})" if m.group(1) + m.group(2)
                 else "", rx.pattern)
    src = re.sub(r"(?<!\\)(?<!\(\?)[A-Z]", lambda m: m.group().lower(), src)
    return re.compile(src, rx.flags & ~re.IGNORECASE)
