"""The report model: sections from collectors, findings from health rules. Serialises to the versioned JSON schema
in `diagnostics/schema/`."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA_VERSION = "1.1"  # diagnostics/schema/report.schema.json; 1.1: section data follows diagnostics/sections


class Severity(enum.IntEnum):
    """Finding severity; the integer order is used for sorting (worst first) and for the CLI exit code."""

    OK = 0
    INFO = 1
    WARNING = 2
    CRITICAL = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]


class SectionStatus(enum.StrEnum):
    OK = "ok"  # collected everything it could
    PARTIAL = "partial"  # collected, with some items skipped
    SKIPPED = "skipped"  # nothing collected (no rights, no tool, wrong platform); `skips` says why
    TIMEOUT = "timeout"  # its timeout expired; data holds whatever was ready
    ERROR = "error"  # an unexpected failure; `error` holds the message (never a traceback for the user)
    CANCELLED = "cancelled"


@dataclass
class Skip:
    """Something a collector could not look at, and why (e.g. 'needs root', 'journalctl not installed')."""

    item: str
    reason: str


@dataclass
class Section:
    name: str
    title: str
    status: SectionStatus = SectionStatus.OK
    data: dict[str, Any] = field(default_factory=dict)
    skips: list[Skip] = field(default_factory=list)
    duration_s: float = 0.0
    error: str | None = None

    def skip(self, item: str, reason: str) -> None:
        self.skips.append(Skip(item, reason))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "status": self.status.value,
            "data": self.data,
            "skips": [asdict(s) for s in self.skips],
            "duration_s": round(self.duration_s, 4),
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Section:
        return cls(
            name=d["name"],
            title=d["title"],
            status=SectionStatus(d["status"]),
            data=d.get("data", {}),
            skips=[Skip(**s) for s in d.get("skips", [])],
            duration_s=d.get("duration_s", 0.0),
            error=d.get("error"),
        )


@dataclass
class Finding:
    """One problem (or notable fact) in plain language, with the evidence and a fix the user can follow."""

    id: str  # stable rule id, e.g. "storage.disk_full"
    severity: Severity
    title: str
    evidence: list[str]
    fix: str
    section: str  # the section it was derived from
    incident_type: str = "technical failure"  # ITIL: security / technical failure / software problem
    self_service: bool = True  # the user can apply the fix without a technician

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["severity"] = self.severity.label
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        return cls(
            id=d["id"],
            severity=Severity.parse(d["severity"]),
            title=d["title"],
            evidence=list(d.get("evidence", [])),
            fix=d.get("fix", ""),
            section=d.get("section", ""),
            incident_type=d.get("incident_type", "technical failure"),
            self_service=d.get("self_service", True),
        )


@dataclass
class Report:
    host: str
    generated_at: str  # ISO 8601, UTC
    platform: str  # "linux" / "windows" / "darwin"
    sections: dict[str, Section] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    duration_s: float = 0.0
    cancelled: bool = False
    deskside_version: str = "0.1.0"
    schema_version: str = SCHEMA_VERSION

    @property
    def worst(self) -> Severity:
        return max((f.severity for f in self.findings), default=Severity.OK)

    def sorted_findings(self) -> list[Finding]:
        return sorted(self.findings, key=lambda f: (-int(f.severity), f.section, f.id))

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "deskside_version": self.deskside_version,
            "host": self.host,
            "generated_at": self.generated_at,
            "platform": self.platform,
            "duration_s": round(self.duration_s, 4),
            "cancelled": self.cancelled,
            "worst": self.worst.label,
            "findings": [f.to_dict() for f in self.sorted_findings()],
            "sections": {k: s.to_dict() for k, s in self.sections.items()},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Report:
        return cls(
            host=d["host"],
            generated_at=d["generated_at"],
            platform=d["platform"],
            sections={k: Section.from_dict(v) for k, v in d.get("sections", {}).items()},
            findings=[Finding.from_dict(f) for f in d.get("findings", [])],
            duration_s=d.get("duration_s", 0.0),
            cancelled=d.get("cancelled", False),
            deskside_version=d.get("deskside_version", "0.1.0"),
            schema_version=d.get("schema_version", SCHEMA_VERSION),
        )
