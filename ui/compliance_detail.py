"""One host's compliance report, in the Diagnostics page's own views: its reasons, notes and error as findings
(`ui.findings_view`: the list, and the selected one's evidence and fix) and its patch posture as the report's
Updates section (`ui.sections_view`, the pending updates listed).

Every value is outside text and shown as plain text (the views use plain labels and tooltips).
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

from diagnostics.model import Finding, Report, Section, SectionStatus, Severity
from fleet.evaluate import HostResult

from .compliance_model import STATUS, HostRow, one_line
from .findings_view import FindingDetail, FindingsModel, FindingsView
from .plain import heading_label, plain_label
from .sections_view import SectionsView

RULE_TITLES = {
    "security-updates": ("Security updates pending too long", "Install the pending security updates (deskside patch "
                         "HOST --security-only, or the host's package manager), then scan again."),
    "pending-updates": ("Too many pending updates", "Install the pending updates, then scan again."),
    "reboot": ("Reboot pending too long", "Restart the host at a convenient time, then scan again."),
    "eol": ("Operating system past its end of life", "Upgrade to a supported release of the operating system."),
    "cache-age": ("Package lists out of date", "Refresh the package lists (apt update, dnf makecache) and scan "
                  "again; a scheduled refresh (unattended-upgrades, dnf-automatic) keeps them current."),
    "required-package": ("Required package missing", "Install the package the policy requires."),
    "forbidden-package": ("Forbidden package installed", "Remove the package the policy forbids."),
    "packages": ("Installed packages could not be listed", "Check that dpkg-query, rpm or pacman runs for the "
                 "scan's login."),
    "check": ("Policy check failed", "Fix what the check tests, or correct the check in the policy file."),
}


def host_findings(result: HostResult) -> list[Finding]:
    """The host's reasons (and error, notes) as the Diagnostics page's findings."""
    out: list[Finding] = []
    for r in result.reasons:
        title, fix = RULE_TITLES.get(r.rule, (r.rule, "See the evidence."))
        sev = Severity.CRITICAL if r.severity == "critical" else Severity.WARNING
        out.append(Finding(id=f"compliance.{r.key}", severity=sev, title=title, evidence=[r.evidence], fix=fix,
                           section="updates",
                           incident_type="security" if r.rule in {"security-updates", "eol",
                                                                  "forbidden-package"} else "technical failure",
                           self_service=False))
    if result.error:
        out.append(Finding(id="compliance.unknown", severity=Severity.WARNING, title="The host could not be scanned",
                           evidence=[result.error], section="updates", self_service=False,
                           fix="Check that the host is reachable and that the scan can log in with a key, "
                               "ssh-agent or a stored password; an unknown host key needs \"Trust new host keys\"."))
    for note in result.notes:
        out.append(Finding(id="compliance.note", severity=Severity.INFO, title="Could not be told",
                           evidence=[note], fix="", section="updates", self_service=False))
    return out


def updates_report(result: HostResult) -> Report:
    """A report with the host's Updates section, for the Diagnostics page's sections view."""
    status = SectionStatus.OK if result.updates else SectionStatus.ERROR
    section = Section(name="updates", title="Updates", status=status, data=dict(result.updates or {}),
                      error=None if result.updates else (result.error or "no updates data"),
                      duration_s=result.duration_s)
    return Report(host=result.name, generated_at=result.scanned_at or dt.datetime.now(dt.UTC).isoformat(),
                  platform="linux", sections={"updates": section})


class HostDetail(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("hostDetail")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        self.title = heading_label("", 1.15)
        self.title.setObjectName("hostDetailTitle")
        self.summary = plain_label(wrap=True, selectable=True, name="hostDetailSummary")
        lay.addWidget(self.title)
        lay.addWidget(self.summary)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.findings_model = FindingsModel(self)
        self.findings = FindingsView(self.findings_model)
        self.findings.setAccessibleName("Host findings")
        self.finding_detail = FindingDetail()
        self.split = split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.findings)
        split.addWidget(self.finding_detail)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        self.findings.current_finding.connect(lambda f: self.finding_detail.show_finding(f, "Updates"))
        self.sections = SectionsView()
        self.sections.setAccessibleName("Host updates")
        self.tabs.addTab(split, "&Reasons")
        self.tabs.addTab(self.sections, "U&pdates")
        lay.addWidget(self.tabs, 1)
        self.show_row(None)

    def show_row(self, row: HostRow | None) -> None:
        if row is None:
            self.title.setText("No host selected")
            self.summary.setText("Select a host in the table to see its reasons and pending updates.")
            self.findings_model.set_findings([])
            self.sections.set_report(None)
            self.tabs.setEnabled(False)
            return
        self.tabs.setEnabled(True)
        self.title.setText(one_line(row.name))
        label = STATUS.get(row.status, (row.status, "", ""))[0]
        r = row.result
        if r is None:
            self.summary.setText(f"{row.target}: {label}")
            self.findings_model.set_findings([])
            self.finding_detail.show_message("Not scanned yet.")
            self.sections.set_report(None)
            return
        score = "" if r.score is None else f", score {r.score}"
        groups = ", ".join(r.groups) or "(none)"
        when = f"; scanned {r.scanned_at} in {r.duration_s:.1f} s" if r.scanned_at else ""
        self.summary.setText(f"{r.target or row.target}: {label}{score}; groups {groups}{when}")
        findings = host_findings(r)
        self.findings_model.set_findings(findings, {"updates": "Updates"})
        fit = self.findings.fitting_height(4)
        self.split.setSizes([fit, max(1, self.split.height() - fit)])
        if not findings:
            self.finding_detail.show_message("Compliant: nothing to fix.")
        self.sections.set_report(updates_report(r))
        item = self.sections.section_item("updates")
        if item is not None:
            for i in range(item.childCount()):
                child = item.child(i)
                if child is not None and child.text(0) == "pending":
                    child.setExpanded(True)
