"""What the Settings page shows: its sections, and for each setting of config.toml the words a person reads (the
label, a line of help), the kind of input, the default, and the key it is written to (shown in its tooltip).

The keys and their ranges are those of the one schema of config.toml (desktop/config_schema.py); a test checks
that every setting here is known there. Qt-free, so it can be read without a display.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from diagnostics.net.checks.config import DEFAULTS as NET

Path = tuple[str, ...]


@dataclass(frozen=True)
class Setting:
    path: Path  # ("diagnostics", "logs", "since_hours") is since_hours in [diagnostics.logs]
    label: str
    kind: str  # "bool", "int", "float", "text", "choice", "words", "file", "folder", "files"
    default: Any = None  # what applies when the key is not written (shown greyed in an empty field)
    help: str = ""
    unit: str = ""
    lo: float = 0
    hi: float = 1e6
    choices: tuple[tuple[Any, str], ...] = ()  # (value written, words shown)

    @property
    def key(self) -> str:
        """"since_hours in [diagnostics.logs]": how the tooltip names the config key."""
        return f"{self.path[-1]} in [{'.'.join(self.path[:-1])}]"


@dataclass(frozen=True)
class Group:
    title: str
    settings: tuple[Setting, ...]
    intro: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    intro: str
    groups: tuple[Group, ...] = ()


def _s(path: str, label: str, kind: str, default: Any = None, help: str = "", **kw: Any) -> Setting:
    return Setting(tuple(path.split(".")), label, kind, default, help, **kw)


_CONNECTIVITY_TIMEOUTS = tuple(
    _s(f"diagnostics.connectivity.{c}_timeout", f"Time limit: {title}", "float", None,
       "Seconds this check may take; empty: the time limit above", unit="seconds", lo=0.001, hi=10)
    for c, title in (("dns", "name lookup"), ("gateway", "router"), ("internet", "internet"), ("ip", "IP address"),
                     ("tls", "secure connection"), ("ntp", "clock"), ("proxy", "proxy"))
)

REDACTION = Section("redaction", "Redaction", (
    "Before a ticket leaves this computer, Deskside masks personal data and secrets in it, and you see the result "
    "first. Besides what it finds by itself (your user name, this computer's name, addresses, tokens), it masks "
    "these words. One per line."), (
    Group("Also mask", (
        _s("tickets.redaction.users", "User names", "words", [], "Account names to mask, e.g. a colleague's login"),
        _s("tickets.redaction.hosts", "Computer names", "words", [], "Host names to mask, e.g. fs01"),
        _s("tickets.redaction.keywords", "Words and phrases", "words", [],
           "Any text to mask, e.g. a project's code name"),
        _s("tickets.redaction.domains", "Domains", "words", [],
           "Internal domains: every name under them is masked, e.g. corp.example"),
    )),
))

DIAGNOSTICS = Section("diagnostics", "Diagnostics", (
    "What a diagnostics run looks at. These settings apply to the Diagnostics page and to the deskside diagnose "
    "command."), (
    Group("Running", (
        _s("gui.test_connection", "Start with “Test my connection” ticked", "bool", False,
           "The connection checks send a few small requests off this computer"),
        _s("diagnostics.updates.allow_network", "Let the update check ask the servers for new versions", "bool",
           False, "Flatpak, Snap or the software update servers are contacted (read when the app starts)"),
    )),
    Group("System logs", (
        _s("diagnostics.logs.since_hours", "Look back", "float", 24, "0 looks back to the last start",
           unit="hours", hi=1e6),
        _s("diagnostics.logs.max_lines", "Read at most", "int", 5000, unit="lines", lo=1, hi=1e6),
        _s("diagnostics.logs.source", "Read from", "choice", "auto", choices=(
            ("auto", "The journal, or log files without it"), ("journal", "The systemd journal only"),
            ("files", "Log files only"))),
        _s("diagnostics.logs.paths", "Log files", "files", [], "Files read when logs come from files; one per line"),
        _s("diagnostics.logs.tail_mib", "Read the end of each file, up to", "float", 4, unit="MiB", lo=0.001,
           hi=1024),
    )),
    Group("Services", (
        _s("diagnostics.services.log_lines", "Log lines shown per failed service", "int", 5, lo=1, hi=1000),
        _s("diagnostics.services.max_units", "Failed services listed at most", "int", 20, hi=1e6),
        _s("diagnostics.services.restart_threshold", "Report a service restarted at least", "int", 3,
           unit="times", lo=1, hi=1e6),
    )),
    Group("Crashes", (
        _s("diagnostics.crashes.since_days", "Look back", "float", 7, unit="days", hi=1e6),
        _s("diagnostics.crashes.crash_dir", "Crash report folder", "folder", "/var/crash"),
        _s("diagnostics.crashes.coredump_dir", "Core dump folder", "folder", "/var/lib/systemd/coredump"),
        _s("diagnostics.crashes.max_reports", "Reports listed at most", "int", 50, hi=1e6),
    )),
    Group("Connection checks", (
        _s("diagnostics.connectivity.dns_name", "Name to look up", "text", NET["dns_name"]),
        _s("diagnostics.connectivity.dns_servers", "DNS servers to ask", "words", [],
           "Empty: the servers this computer uses; one per line"),
        _s("diagnostics.connectivity.gateway", "Router address", "text", "", "Empty: the default route's router"),
        _s("diagnostics.connectivity.gateway_port", "Router port", "int", NET["gateway_port"], lo=1, hi=65535),
        _s("diagnostics.connectivity.internet_url", "Internet test address", "text", NET["internet_url"]),
        _s("diagnostics.connectivity.ip_endpoint", "Address reached without DNS", "text", NET["ip_endpoint"],
           "host:port"),
        _s("diagnostics.connectivity.tls_url", "Secure connection test address", "text", NET["tls_url"]),
        _s("diagnostics.connectivity.ca_file", "CA certificate file", "file", "",
           "Empty: the certificates this computer trusts"),
        _s("diagnostics.connectivity.ntp_server", "Time server", "text", "",
           "Empty: the clock is compared with the web servers' time"),
        _s("diagnostics.connectivity.proxy", "Proxy", "text", NET["proxy"],
           "auto: the proxy of the environment; none: no proxy check; or a proxy URL"),
        _s("diagnostics.connectivity.timeout", "Time limit per check", "float", NET["timeout"], unit="seconds",
           lo=0.001, hi=10),
        *_CONNECTIVITY_TIMEOUTS,
    )),
    Group("Background checks", (
        _s("agent.check_every_hours", "Check every", "float", 24, unit="hours", lo=0.01, hi=24 * 366),
        _s("agent.check_at_login", "Also check at login", "bool", True),
        _s("agent.notify", "Show a notification for a new problem", "bool", True),
        _s("agent.ticket_for_critical", "Open a ticket for a new critical problem", "bool", False,
           "Sent through the outbox, redacted, to the default support backend"),
    ), "The background agent (deskside agent) runs these checks while you work."),
))

REMOTE = Section("remote", "Remote", "How the Remote page connects to other computers over SSH.", (
    Group("Sign-in", (
        _s("remote.save_secrets", "Remember passwords and key passphrases in the system keyring", "bool", False,
           "The same as “Remember passwords” on the Remote page"),
    )),
))

BACKENDS_EXTRA = (
    _s("secrets.plaintext_fallback", "Without a keyring, keep passwords in a file only I can read", "bool", False,
       "Only for computers without a system keyring; the file is not encrypted"),
    _s("tickets.scale", "Impact and urgency scale", "choice", 3, choices=((3, "3 levels"), (5, "5 levels"))),
)

APPEARANCE = Section("appearance", "Appearance", "How Deskside looks.", (
    Group("Theme", (
        _s("gui.theme", "Colours", "choice", "system", "Applied at once and at every start", choices=(
            ("system", "As the system"), ("light", "Light"), ("dark", "Dark"))),
    )),
))

BACKENDS = Section("backends", "Support backends", "", (
    Group("Tickets", BACKENDS_EXTRA),
))

#: The sections in the order of the Settings page's list.
SECTIONS: tuple[Section, ...] = (BACKENDS, REDACTION, DIAGNOSTICS, REMOTE, APPEARANCE)


def all_settings() -> list[Setting]:
    return [s for sec in SECTIONS for g in sec.groups for s in g.settings]


def section(key: str) -> Section:
    return next(s for s in SECTIONS if s.key == key)
