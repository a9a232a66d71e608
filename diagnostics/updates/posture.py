"""The patch posture of one host: a plain, JSON-serialisable record.

It is what the `updates` collector puts into its section's data, what the health rules read, and what a compliance
run stores per host and scores against a policy. Every field is a plain value (str, int, bool, list, dict), dates
are ISO 8601 strings, and `from_dict(to_dict(p)) == p`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, TypeVar

POSTURE_VERSION = 1

# Thresholds for the age of a package manager's metadata cache (days).
CACHE_STALE_DAYS = 7.0
CACHE_VERY_STALE_DAYS = 30.0


T = TypeVar("T")


def _build(cls: type[T], d: dict[str, Any] | None) -> T:
    """A record from a dict, ignoring keys this version does not know (records written by a newer Deskside)."""
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in (d or {}).items() if k in known})


_FIELDS: dict[type, tuple[str, ...]] = {}
_SCALARS = (str, int, float, bool, type(None))


def plain(value: Any) -> Any:
    """What `dataclasses.asdict` gives, without its deep copy of every value: a fleet scan turns each host's posture
    (hundreds of updates) into plain data several times, and asdict's copies were most of its CPU per host."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    kind = type(value)
    names = _FIELDS.get(kind)
    if names is None:
        if not is_dataclass(value) or isinstance(value, type):
            return value
        names = _FIELDS.setdefault(kind, tuple(f.name for f in fields(value)))
    return {n: plain(getattr(value, n)) for n in names}


@dataclass
class PendingUpdate:
    """One update that is available but not installed."""

    name: str
    manager: str  # "apt", "dnf", "zypper", "pacman", "flatpak", "snap", "windows", "macos"
    installed: str | None = None  # installed version, when the source says
    candidate: str | None = None  # the version that would be installed
    source: str = ""  # archive(s) / repository / remote, comma-separated when several offer it
    arch: str | None = None
    security: bool = False
    advisories: list[str] = field(default_factory=list)  # e.g. RHSA-2024:1234, FEDORA-2024-..., KB5034441
    severity: str | None = None  # the vendor's rating where given (Important, Critical, ...)
    title: str | None = None  # a human title where the source gives one (Windows, macOS)
    reboot: bool = False  # installing it needs a restart (Windows, macOS)
    # ISO UTC time by which the host's package lists show it published: for apt, the Date of the Release file of
    # the archive offering it (an upper bound on its publication); None where the host shows none
    published: str | None = None

    def label(self) -> str:
        """Short text for evidence lines: `openssl 3.0.11-1 -> 3.0.13-1 (bookworm-security)`."""
        name = self.title or self.name
        if self.installed and self.candidate:
            text = f"{name} {self.installed} -> {self.candidate}"
        elif self.candidate:
            text = f"{name} {self.candidate}"
        else:
            text = name
        extra = ", ".join(x for x in (self.source, ", ".join(self.advisories)) if x)
        return f"{text} ({extra})" if extra else text


@dataclass
class RebootStatus:
    required: bool | None = None  # None: cannot tell
    reasons: list[str] = field(default_factory=list)  # why, in plain language
    packages: list[str] = field(default_factory=list)  # from /var/run/reboot-required.pkgs
    running_kernel: str | None = None
    newest_kernel: str | None = None


@dataclass
class EolStatus:
    os_id: str | None = None  # os-release ID, "windows", "macos"
    version: str | None = None  # VERSION_ID (or Windows/macOS version)
    name: str | None = None  # human name, e.g. "Debian GNU/Linux 12 (bookworm)"
    eol: str | None = None  # end of standard security support, ISO date
    extended_eol: str | None = None  # end of LTS / ESM, ISO date
    extended_kind: str | None = None  # "LTS" (free, same archive) or "ESM" (needs a subscription)
    extended_free: bool = False
    days_left: int | None = None  # until `eol`; negative when past
    extended_days_left: int | None = None
    state: str = "unknown"  # "supported", "extended", "ended", "unknown"
    source: str | None = None  # "distro-info" or "deskside table"
    note: str | None = None


@dataclass
class CacheAge:
    """How old a package manager's metadata is: a stale cache means the pending list may be incomplete."""

    manager: str
    path: str | None = None
    updated_at: str | None = None  # ISO 8601, UTC
    age_days: float | None = None
    stale: bool = False  # older than CACHE_STALE_DAYS, or missing


@dataclass
class Confidence:
    level: str = "high"  # "high", "medium", "low"
    reasons: list[str] = field(default_factory=list)


NO_MANAGER = "package manager"  # the SourceSkip.source recorded when no system package manager is found


@dataclass
class SourceSkip:
    source: str
    reason: str


@dataclass
class Posture:
    host: str
    collected_at: str  # ISO 8601, UTC
    platform: str  # "linux", "windows", "darwin"
    managers: list[str] = field(default_factory=list)  # package managers / update sources detected
    checked: list[str] = field(default_factory=list)  # those whose pending list was read
    pending: list[PendingUpdate] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # "pending", "security", "<manager>", ...
    security_data: dict[str, bool] = field(default_factory=dict)  # manager -> tells security updates apart
    reboot: RebootStatus = field(default_factory=RebootStatus)
    eol: EolStatus = field(default_factory=EolStatus)
    cache: list[CacheAge] = field(default_factory=list)
    confidence: Confidence = field(default_factory=Confidence)
    skipped: list[SourceSkip] = field(default_factory=list)
    from_cache: bool = False  # the pending list came from Deskside's own result cache (nothing had changed)
    version: int = POSTURE_VERSION

    # -- derived -------------------------------------------------------------------------------------------
    def security_updates(self) -> list[PendingUpdate]:
        return [p for p in self.pending if p.security]

    def other_updates(self) -> list[PendingUpdate]:
        return [p for p in self.pending if not p.security]

    def recount(self) -> None:
        counts = {"pending": len(self.pending), "security": len(self.security_updates())}
        for p in self.pending:
            counts[p.manager] = counts.get(p.manager, 0) + 1
        self.counts = counts

    # -- serialisation -------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = plain(self)
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Posture:
        return cls(
            host=d.get("host", ""),
            collected_at=d.get("collected_at", ""),
            platform=d.get("platform", ""),
            managers=list(d.get("managers", [])),
            checked=list(d.get("checked", [])),
            pending=[_build(PendingUpdate, p) for p in d.get("pending", [])],
            counts=dict(d.get("counts", {})),
            security_data=dict(d.get("security_data", {})),
            reboot=_build(RebootStatus, d.get("reboot")),
            eol=_build(EolStatus, d.get("eol")),
            cache=[_build(CacheAge, c) for c in d.get("cache", [])],
            confidence=_build(Confidence, d.get("confidence")),
            skipped=[_build(SourceSkip, s) for s in d.get("skipped", [])],
            from_cache=bool(d.get("from_cache", False)),
            version=int(d.get("version", POSTURE_VERSION)),
        )
