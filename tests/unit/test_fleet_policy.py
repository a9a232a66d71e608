"""Compliance policy (TOML with per-group overrides, errors naming the line), scoring a host, fleet totals and the
scan history (first seen, compare with the last scan, time to patch, a damaged file)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from diagnostics.updates.posture import CacheAge, EolStatus, PendingUpdate, Posture, RebootStatus, SourceSkip
from fleet import policy as pol
from fleet.evaluate import (
    COMPLIANT,
    NON_COMPLIANT,
    UNKNOWN,
    CheckOutcome,
    HostEvidence,
    evaluate,
    totals,
    unknown,
    update_key,
)
from fleet.history import History, HistoryError
from fleet.scan import INSTALLED, dpkg_installed, present_packages
from tests.conftest import need

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


def posture(*pending: PendingUpdate, reboot: bool | None = False, eol: str = "supported",
            cache_days: float = 0.5) -> Posture:
    p = Posture(host="h", collected_at=NOW.isoformat(), platform="linux", managers=["apt"], checked=["apt"],
                pending=list(pending), security_data={"apt": True}, reboot=RebootStatus(required=reboot),
                eol=EolStatus(os_id="debian", version="12", name="Debian 12", eol="2026-06-10", state=eol),
                cache=[CacheAge(manager="apt", age_days=cache_days)])
    p.recount()
    return p


OPENSSL = PendingUpdate("openssl", "apt", "3.0.11-1", "3.0.13-1", "bookworm-security", security=True)
VIM = PendingUpdate("vim", "apt", "9.0.1", "9.0.2", "bookworm")


def test_default_policy_is_sensible() -> None:
    clean = evaluate("h", [], HostEvidence(posture(VIM)), pol.DEFAULT, now=NOW)
    assert (clean.status, clean.score, clean.reasons) == (COMPLIANT, 100, [])
    # a security update seen 20 days ago is past the default 14 days
    seen = {update_key("openssl", "3.0.13-1"): (NOW - dt.timedelta(days=20)).isoformat()}
    bad = evaluate("h", [], HostEvidence(posture(OPENSSL)), pol.DEFAULT, first_seen=seen, now=NOW)
    assert bad.status == NON_COMPLIANT and bad.score == 60
    assert [r.rule for r in bad.reasons] == ["security-updates"]
    assert "openssl 3.0.11-1 -> 3.0.13-1" in bad.reasons[0].evidence and "20 days" in bad.reasons[0].evidence
    # the same update seen only today is within the allowed age
    fresh = evaluate("h", [], HostEvidence(posture(OPENSSL)), pol.DEFAULT, now=NOW)
    assert fresh.status == COMPLIANT


def test_eol_reboot_cache_packages_and_checks() -> None:
    policy = pol.parse("""
[policy]
max_security_age_days = 0
reboot_grace_days = 2
required_packages = ["openssh-server"]
forbidden_packages = ["telnetd"]
[[policy.check]]
name = "firewall"
command = "nft list ruleset"
expect_output = "chain input"
severity = "critical"
""")
    ev = HostEvidence(posture(OPENSSL, reboot=True, eol="ended", cache_days=40), installed=["telnetd", "bash"],
                      reboot_since=(NOW - dt.timedelta(days=3)).isoformat(),
                      checks={"firewall": CheckOutcome(exit_code=0, output="table inet filter {}\n")})
    r = evaluate("h", [], ev, policy, now=NOW)
    rules = {x.key: x.severity for x in r.reasons}
    assert rules == {"security-updates": "critical", "reboot": "warning", "eol": "critical", "cache-age": "warning",
                     "required-package:openssh-server": "warning", "forbidden-package:telnetd": "critical",
                     "check:firewall": "critical"}
    assert r.score == 0 and r.status == NON_COMPLIANT
    assert "40 days old" in next(x.evidence for x in r.reasons if x.rule == "cache-age")
    # could not tell: installed packages unknown -> a visible reason, never a silent pass
    r2 = evaluate("h", [], HostEvidence(posture(), installed=None), policy, now=NOW)
    assert "packages" in {x.rule for x in r2.reasons}
    assert "check:firewall" in {x.key for x in r2.reasons}  # the check did not run: said, not skipped


def test_group_overrides() -> None:
    policy = pol.parse("[policy]\nmax_security_age_days = 30\n[groups.web]\nmax_security_age_days = 3\n")
    seen = {update_key("openssl", "3.0.13-1"): (NOW - dt.timedelta(days=5)).isoformat()}
    ev = HostEvidence(posture(OPENSSL))
    assert evaluate("a", ["db"], ev, policy, first_seen=seen, now=NOW).status == COMPLIANT
    assert evaluate("b", ["web"], ev, policy, first_seen=seen, now=NOW).status == NON_COMPLIANT


def test_unreadable_posture_is_unknown_not_compliant() -> None:
    p = Posture(host="h", collected_at="", platform="linux", skipped=[SourceSkip("package manager", "none found")])
    r = evaluate("h", [], HostEvidence(p), pol.DEFAULT, now=NOW)
    assert r.status == UNKNOWN and r.score is None and "none found" in (r.error or "")


@pytest.mark.parametrize(("text", "line", "words"), [
    ("[policy]\nmax_security_updates = 'two'\n", 2, "must be a whole number"),
    ("[policy]\nallow_eol = \"no\"\n", 2, "true or false"),
    ("[policy]\n\nmax_secruity_updates = 1\n", 3, "unknown setting 'max_secruity_updates'"),
    ("[policy]\nx = \n", 2, "not valid TOML"),
    ("[polcy]\n", 1, "unknown table [polcy]"),
    ("[policy]\n[[policy.check]]\nname = 'a'\n", 2, "needs a command"),
    ("[policy]\n[[policy.check]]\nname='a'\ncommand='true'\n[[policy.check]]\nname='b'\ncommand='x'\n"
     "severity = 'urgent'\n", 8, "severity must be one of"),
    ("[groups.web]\nreboot_grace_days = -5\n", 2, "use -1 for no limit"),
])
def test_policy_errors_name_the_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    f = tmp_path / "policy.toml"
    f.write_text(text)
    with pytest.raises(pol.PolicyError) as err:
        pol.load(f)
    assert words in str(err.value)
    assert str(err.value).startswith(f"{f}:{line}:")


def test_totals_and_exit_codes() -> None:
    ok = evaluate("a", [], HostEvidence(posture()), pol.DEFAULT, now=NOW)
    warn = evaluate("b", [], HostEvidence(posture(reboot=True), reboot_since="2026-01-01T00:00:00+00:00"),
                    pol.DEFAULT, now=NOW)
    crit = evaluate("c", [], HostEvidence(posture(eol="ended")), pol.DEFAULT, now=NOW)
    lost = unknown("d", [], "connection refused")
    assert totals([ok]).exit_code == 0
    assert totals([ok, warn]).exit_code == 1
    assert totals([ok, warn, lost]).exit_code == 3
    assert totals([ok, warn, lost, crit]).exit_code == 2
    t = totals([ok, warn, crit, lost])
    assert (t.hosts, t.compliant, t.non_compliant, t.unknown, t.score, t.reboot_required, t.eol) == \
        (4, 1, 2, 1, round((100 + 85 + 60) / 3, 1), 1, 1)


def test_history_first_seen_compare_and_time_to_patch(tmp_path: Path) -> None:
    strict = pol.parse("[policy]\nmax_security_age_days = 0\n")
    with History(tmp_path / "history.sqlite") as h:
        day1, day3 = NOW, NOW + dt.timedelta(days=2)
        r1 = [evaluate("web1", ["web"], HostEvidence(posture(OPENSSL)), strict, h.first_seen("web1"), now=day1),
              unknown("web2", ["web"], "unreachable")]
        s1 = h.record(r1, totals(r1), started_at=day1.isoformat(), policy="strict", now=day1)
        assert h.first_seen("web1") == {update_key("openssl", "3.0.13-1"): day1.isoformat(timespec="seconds")}
        # two days later openssl is still pending: its age counts from the first scan
        r2 = [evaluate("web1", ["web"], HostEvidence(posture(OPENSSL, VIM)), strict, h.first_seen("web1"),
                       now=day3)]
        assert "pending 2 days" in r2[0].reasons[0].evidence
        s2 = h.record(r2, totals(r2), started_at=day3.isoformat(), policy="strict", now=day3)
        cmp = h.compare(s2)
        assert cmp.previous_scan == s1 and cmp.still_open == [("web1", "security-updates")] and not cmp.fixed
        # patched: gone in the third scan
        day5 = day3 + dt.timedelta(days=2)
        r3 = [evaluate("web1", ["web"], HostEvidence(posture()), strict, h.first_seen("web1"), now=day5)]
        s3 = h.record(r3, totals(r3), started_at=day5.isoformat(), policy="strict", now=day5)
        assert h.compare(s3).fixed == [("web1", "security-updates")]
        assert h.time_to_patch() == {"web": 4.0}
        assert h.results(s3)["web1"].status == COMPLIANT
        assert [s[0] for s in h.scans()] == [s3, s2, s1]


def test_damaged_history_is_reported_and_kept(tmp_path: Path) -> None:
    f = tmp_path / "history.sqlite"
    f.write_bytes(b"this is not a database" * 100)
    with pytest.raises(HistoryError, match=r"cannot be read.*move it aside"):
        History(f)
    assert f.read_bytes() == b"this is not a database" * 100


def test_security_age_counts_from_the_earliest_evidence() -> None:
    """The archive's publication bound (its Release file's Date) or a scan's first sighting, whichever is earlier;
    the evidence names which."""
    strict = pol.parse("[policy]\nmax_security_age_days = 14\n")
    old = dataclasses.replace(OPENSSL, published=(NOW - dt.timedelta(days=30)).isoformat())
    key = update_key("openssl", "3.0.13-1")
    seen = {key: (NOW - dt.timedelta(days=3)).isoformat()}
    r = evaluate("h", [], HostEvidence(posture(old)), strict, seen, now=NOW)
    assert r.status == NON_COMPLIANT
    assert f"pending 30 days (its archive's Release file is dated {old.published[:10]})" in r.reasons[0].evidence
    # seen by a scan before the archive's date: the scan is the earlier evidence
    fresh = dataclasses.replace(OPENSSL, published=(NOW - dt.timedelta(days=1)).isoformat())
    seen = {key: (NOW - dt.timedelta(days=20)).isoformat()}
    r = evaluate("h", [], HostEvidence(posture(fresh)), strict, seen, now=NOW)
    assert "pending 20 days (first seen by a scan " in r.reasons[0].evidence
    # neither is old enough: compliant
    assert evaluate("h", [], HostEvidence(posture(fresh)), strict, now=NOW).status == COMPLIANT


def test_sudo_problem_tells_a_refusal_from_a_warning() -> None:
    from fleet.remediation import sudo_problem

    assert sudo_problem(1, "sudo: a password is required\n") == "sudo refused: sudo: a password is required"
    assert sudo_problem(1, "Sorry, try again.\nsudo: 1 incorrect password attempt\n") == \
        "sudo refused: sudo: 1 incorrect password attempt"
    # a host without its own name in /etc/hosts: sudo warns and runs the command; its failure is the command's own
    assert sudo_problem(100, "sudo: unable to resolve host vm: Name or service not known\nE: broken\n") is None
    assert sudo_problem(0, "sudo: unable to resolve host vm: Name or service not known\n") is None


DPKG_STATUS = """\
Package: telnetd
Status: deinstall ok config-files
Architecture: amd64
Version: 0.17+2.4-2
Maintainer: m <m@example.org>
Description: removed, its configuration left behind ("rc" in dpkg -l)

Package: bash
Status: install ok installed
Architecture: amd64
Version: 5.2.15-2
Maintainer: m <m@example.org>
Description: installed

Package: rsh-server
Status: purge ok not-installed
Architecture: amd64
Maintainer: m <m@example.org>
Description: purged

Package: half
Status: install reinstreq half-installed
Architecture: amd64
Version: 1.0
Maintainer: m <m@example.org>
Description: files partly on disk
"""


def test_removed_package_with_its_configuration_left_is_not_installed(tmp_path: Path) -> None:
    """dpkg-query -W lists packages removed with their configuration left; a forbidden package removed that way must
    not make the host non-compliant. The real dpkg-query reads a made-up database with the scan's own format."""
    need(shutil.which("dpkg-query") is not None, "dpkg-query (Debian's dpkg)")
    (tmp_path / "info").mkdir()
    (tmp_path / "updates").mkdir()
    (tmp_path / "status").write_text(DPKG_STATUS)
    (tmp_path / "available").write_text("")
    argv = list(INSTALLED["dpkg-query"].argv)
    out = subprocess.run([argv[0], f"--admindir={tmp_path}", *argv[1:]], capture_output=True, text=True,
                         check=True).stdout
    assert present_packages("dpkg-query", out) == ["bash", "half"]
    policy = pol.parse('[policy]\nforbidden_packages = ["telnetd", "rsh-server"]\nrequired_packages = ["bash"]\n')
    r = evaluate("h", [], HostEvidence(posture(), installed=present_packages("dpkg-query", out)), policy, now=NOW)
    assert r.status == COMPLIANT, r.reasons
    # An answer in another shape (the names alone, as an older Deskside asked) is "could not tell", not "none".
    assert present_packages("dpkg-query", "bash\ntelnetd\n") is None
    assert present_packages("rpm", "bash\nopenssl\n") == ["bash", "openssl"]
    # No packages at all is no answer: a forbidden package must not pass because the list came back empty.
    assert present_packages("dpkg-query", "") is None and present_packages("pacman", "\n") is None
    assert present_packages("rpm", "bash extra\n") is None


def test_the_scripts_reading_of_dpkgs_database_is_dpkg_querys(tmp_path: Path) -> None:
    """The posture script reads dpkg's status file with awk instead of starting dpkg-query: the same lines as the
    real dpkg-query over the same made-up database (removed, purged, half-installed, a second architecture, a
    description line that looks like a field); with changes in dpkg's journal, dpkg-query itself answers."""
    need(shutil.which("dpkg-query") is not None, "dpkg-query (Debian's dpkg)")
    (tmp_path / "info").mkdir()
    (tmp_path / "updates").mkdir()
    extra = ("\nPackage: libz\nStatus: install ok installed\nArchitecture: i386\nVersion: 1\nMulti-Arch: same\n"
             "Maintainer: m <m@example.org>\nDescription: x\n Package: fake\n Status: install ok installed\n"
             "\nPackage: libz\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\nMulti-Arch: same\n"
             "Maintainer: m <m@example.org>\nDescription: x\n")
    (tmp_path / "status").write_text(DPKG_STATUS + extra)
    (tmp_path / "available").write_text("")

    def lines(argv: list[str]) -> list[str]:
        return sorted(subprocess.run(argv, capture_output=True, text=True, check=True).stdout.splitlines())

    argv = list(INSTALLED["dpkg-query"].argv)
    query = [argv[0], f"--admindir={tmp_path}", *argv[1:]]
    ours = lines(["sh", "-c", dpkg_installed(str(tmp_path))])
    assert ours == lines(query)
    assert present_packages("dpkg-query", "\n".join(ours)) == ["bash", "half", "libz"]
    # A change dpkg has journalled but not yet merged into status: telnetd installed again.
    (tmp_path / "updates" / "0000").write_text("Package: telnetd\nStatus: install ok installed\nArchitecture: amd64\n"
                                               "Version: 0.17+2.4-2\nMaintainer: m <m@example.org>\n"
                                               "Description: back\n")
    journalled = lines(["sh", "-c", dpkg_installed(str(tmp_path))])
    assert journalled == lines(query) and "install ok installed telnetd" in journalled
    if Path("/var/lib/dpkg/status").is_file():  # this machine's own database
        assert lines(["sh", "-c", dpkg_installed()]) == lines(argv)
