"""The ticket model: incident type, impact x urgency -> priority (ITIL matrix), category, requester, SLA targets.

Priority matrix (ITIL). Levels are 1 = high ... N = low, for impact and urgency alike.

3x3 (default; impact/urgency high=1, medium=2, low=3), priority = impact + urgency - 1:

    impact \\ urgency   high(1)       medium(2)     low(3)
    high (1)           P1 critical   P2 high       P3 medium
    medium (2)         P2 high       P3 medium     P4 low
    low (3)            P3 medium     P4 low        P5 planning

5x5 (impact/urgency 1..5): priority = ceil((impact + urgency - 1) / 2), i.e. the sum 2..3 -> P1, 4..5 -> P2,
6..7 -> P3, 8..9 -> P4, 10 -> P5.
"""

from __future__ import annotations

import enum
import math
import re
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import ConfigError


class IncidentType(enum.StrEnum):
    SECURITY_BREACH = "security breach"
    TECHNICAL_FAILURE = "technical failure"
    SOFTWARE_PROBLEM = "software problem"
    REQUEST = "request"

    @classmethod
    def parse(cls, value: str) -> IncidentType:
        v = value.strip().lower().replace("_", " ").replace("-", " ")
        aliases = {"security": cls.SECURITY_BREACH, "breach": cls.SECURITY_BREACH, "technical": cls.TECHNICAL_FAILURE,
                   "failure": cls.TECHNICAL_FAILURE, "software": cls.SOFTWARE_PROBLEM, "problem": cls.SOFTWARE_PROBLEM,
                   "service request": cls.REQUEST}
        for member in cls:
            if v == member.value:
                return member
        if v in aliases:
            return aliases[v]
        choices = ", ".join(repr(m.value) for m in cls)
        raise ValueError(f"unknown incident type {value!r}; use one of {choices}")


_EMAIL = re.compile(r"[^@\s<>,;:\"']+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")

PRIORITY_NAMES = {1: "critical", 2: "high", 3: "medium", 4: "low", 5: "planning"}
LEVEL_NAMES_3 = {1: "high", 2: "medium", 3: "low"}
LEVEL_NAMES_5 = {1: "extensive", 2: "significant", 3: "moderate", 4: "minor", 5: "minimal"}
# What each level means, in the words of an ITIL impact/urgency table (shown in the ticket and the Get Help form).
IMPACT_MEANING_3 = {1: "affects many users or the whole organisation", 2: "affects a team or department",
                    3: "affects only this user"}
IMPACT_MEANING_5 = {1: "affects the whole organisation", 2: "affects many users or a department",
                    3: "affects a team", 4: "affects a few users", 5: "affects only this user"}
URGENCY_MEANING_3 = {1: "work cannot continue", 2: "work is slowed down", 3: "it can wait"}
URGENCY_MEANING_5 = {1: "work cannot continue", 2: "work is seriously impaired", 3: "work is slowed down",
                     4: "a workaround exists", 5: "it can wait"}


def is_email(text: str) -> bool:
    """Whether `text` has the shape of an e-mail address (name@example.org)."""
    return bool(_EMAIL.fullmatch(text.strip()))


def level_text(kind: str, level: int, scale: int = 3) -> str:
    """"low — affects only this user": a level's name and what it means (`kind`: "impact" or "urgency")."""
    names = LEVEL_NAMES_3 if scale == 3 else LEVEL_NAMES_5
    if kind == "impact":
        meaning = (IMPACT_MEANING_3 if scale == 3 else IMPACT_MEANING_5)[level]
    else:
        meaning = (URGENCY_MEANING_3 if scale == 3 else URGENCY_MEANING_5)[level]
    return f"{names[level]} — {meaning}"


def priority_text(impact: int, urgency: int, scale: int = 3) -> str:
    """"P4 low (low impact, medium urgency)": the ITIL priority and where it comes from."""
    names = LEVEL_NAMES_3 if scale == 3 else LEVEL_NAMES_5
    p = priority_of(impact, urgency, scale)
    return f"P{p} {PRIORITY_NAMES[p]} ({names[impact]} impact, {names[urgency]} urgency)"


def parse_level(value: str | int, scale: int = 3) -> int:
    """'high'/'medium'/'low' (3x3) or the 5x5 names, or a number 1..scale (1 = highest)."""
    if isinstance(value, int) or str(value).strip().isdigit():
        n = int(value)
        if 1 <= n <= scale:
            return n
        raise ValueError(f"level {value!r} is out of range; use 1 (highest) to {scale} (lowest)")
    v = str(value).strip().lower()
    names = LEVEL_NAMES_3 if scale == 3 else LEVEL_NAMES_5
    for n, name in names.items():
        if v == name:
            return n
    if scale == 3 and v in ("med", "normal"):
        return 2
    choices = ", ".join(names.values())
    raise ValueError(f"unknown level {value!r}; use {choices} or a number 1..{scale}")


def priority_of(impact: int, urgency: int, scale: int = 3) -> int:
    """ITIL priority 1 (critical) .. 5 (planning) from impact and urgency (1 = highest)."""
    if scale not in (3, 5):
        raise ValueError("the priority matrix is 3x3 or 5x5")
    for what, v in (("impact", impact), ("urgency", urgency)):
        if not 1 <= v <= scale:
            raise ValueError(f"{what} {v} is out of range 1..{scale}")
    if scale == 3:
        return impact + urgency - 1
    return math.ceil((impact + urgency - 1) / 2)


@dataclass(frozen=True)
class SlaTarget:
    response_minutes: int
    resolution_minutes: int

    def describe(self) -> str:
        return f"response within {_human(self.response_minutes)}, resolution within {_human(self.resolution_minutes)}"


def _human(minutes: int) -> str:
    if minutes % (60 * 24) == 0:
        d = minutes // (60 * 24)
        return f"{d} day{'s' if d != 1 else ''}"
    if minutes % 60 == 0:
        h = minutes // 60
        return f"{h} hour{'s' if h != 1 else ''}"
    return f"{minutes} min"


#: Default SLA targets per priority (override with `[tickets.sla.P1] response_minutes = ...`).
DEFAULT_SLA: dict[int, SlaTarget] = {
    1: SlaTarget(15, 4 * 60),
    2: SlaTarget(60, 8 * 60),
    3: SlaTarget(4 * 60, 3 * 24 * 60),
    4: SlaTarget(8 * 60, 5 * 24 * 60),
    5: SlaTarget(24 * 60, 10 * 24 * 60),
}


def sla_policy(config: dict[str, Any] | None = None) -> dict[int, SlaTarget]:
    """Defaults merged with `config` shaped like {"P1": {"response_minutes": 30, "resolution_minutes": 240}}."""
    policy = dict(DEFAULT_SLA)
    for key, value in (config or {}).items():
        k = str(key).upper().lstrip("P")
        if not k.isdigit() or int(k) not in policy:
            raise ConfigError(f"SLA key {key!r} is not a priority; use P1..P5")
        if not isinstance(value, dict):
            raise ConfigError(f"SLA {key}: expected a table with response_minutes and resolution_minutes")
        cur = policy[int(k)]
        try:
            resp = int(value.get("response_minutes", cur.response_minutes))
            res = int(value.get("resolution_minutes", cur.resolution_minutes))
        except (TypeError, ValueError, OverflowError) as exc:  # OverflowError: TOML's 1e400 is inf
            raise ConfigError(f"SLA {key}: minutes must be whole numbers, e.g. resolution_minutes = 240 "
                              f"({exc})") from exc
        if resp <= 0 or res <= 0 or res < resp:
            raise ConfigError(f"SLA {key}: minutes must be positive and resolution >= response")
        policy[int(k)] = SlaTarget(resp, res)
    return policy


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Ticket:
    """What the user wants to send. `description` is already redacted when it reaches a connector."""

    summary: str
    description: str = ""
    incident_type: IncidentType = IncidentType.TECHNICAL_FAILURE
    impact: int = 2
    urgency: int = 2
    scale: int = 3
    category: str = ""
    requester_name: str = ""
    requester_email: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    uid: str = field(default_factory=lambda: str(uuid.uuid4()))
    sla: SlaTarget | None = None

    def __post_init__(self) -> None:
        # One line: it becomes a mail Subject header and a subject everywhere (a newline there is header injection).
        self.summary = " ".join(self.summary.split())
        self.requester_email = self.requester_email.strip()
        if self.requester_email and not _EMAIL.fullmatch(self.requester_email):
            raise ValueError(f"the requester e-mail {self.requester_email!r} is not an e-mail address "
                             "(write it as name@example.org)")
        if not self.summary.strip():
            raise ValueError("the summary is empty; say in one sentence what went wrong")
        if len(self.summary) > 250:
            raise ValueError("the summary is longer than 250 characters; keep it to one sentence")
        priority_of(self.impact, self.urgency, self.scale)  # validates the ranges
        if self.sla is None:
            self.sla = DEFAULT_SLA[self.priority]

    @property
    def priority(self) -> int:
        return priority_of(self.impact, self.urgency, self.scale)

    @property
    def priority_label(self) -> str:
        return f"P{self.priority} {PRIORITY_NAMES[self.priority]}"

    @property
    def marker(self) -> str:
        """A token we put in the ticket so a retry can find a ticket that was created but not confirmed."""
        return f"[deskside:{self.uid}]"

    @property
    def subject(self) -> str:
        return f"{self.summary.strip()} {self.marker}"

    def subject_within(self, limit: int | None) -> str:
        """The subject for a backend that takes at most `limit` characters: the summary shortened (ending in "…"),
        the marker always kept whole (a retry searches for it)."""
        if limit is None or len(self.subject) <= limit:
            return self.subject
        room = max(0, limit - len(self.marker) - 2)  # the space and the "…"
        return f"{self.summary.strip()[:room].rstrip()}… {self.marker}"

    def level_name(self, level: int) -> str:
        return (LEVEL_NAMES_3 if self.scale == 3 else LEVEL_NAMES_5)[level]

    def fields_text(self) -> str:
        lines = [
            f"Incident type: {self.incident_type.value}",
            f"Impact: {level_text('impact', self.impact, self.scale)}",
            f"Urgency: {level_text('urgency', self.urgency, self.scale)}",
            f"Priority: {priority_text(self.impact, self.urgency, self.scale)}",
        ]
        if self.sla:
            lines.append(f"SLA: {self.sla.describe()}")
        if self.category:
            lines.append(f"Category: {self.category}")
        if self.requester_name or self.requester_email:
            lines.append(f"Requester: {self.requester_name} <{self.requester_email}>".replace(" <>", ""))
        lines.append(f"Deskside reference: {self.marker}")
        return "\n".join(lines)

    def body_text(self) -> str:
        """The description followed by the classification fields (what text-only backends receive)."""
        parts = [self.description.strip()] if self.description.strip() else []
        parts.append(self.fields_text())
        if self.attachments:
            parts.append("Attached: " + ", ".join(a.filename for a in self.attachments))
        return "\n\n".join(parts) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form for the outbox (attachments are stored separately)."""
        d = asdict(self)
        d.pop("attachments")
        d["incident_type"] = self.incident_type.value
        d["sla"] = asdict(self.sla) if self.sla else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], attachments: list[Attachment] | None = None) -> Ticket:
        sla = d.get("sla")
        return cls(
            summary=d["summary"],
            description=d.get("description", ""),
            incident_type=IncidentType.parse(d.get("incident_type", "technical failure")),
            impact=int(d.get("impact", 2)),
            urgency=int(d.get("urgency", 2)),
            scale=int(d.get("scale", 3)),
            category=d.get("category", ""),
            requester_name=d.get("requester_name", ""),
            requester_email=d.get("requester_email", ""),
            attachments=attachments or [],
            uid=d["uid"],
            sla=SlaTarget(**sla) if sla else None,
        )
