"""`deskside diagnose` as a user runs it: a real process on this machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from diagnostics.schema import validate

DESKSIDE = str(Path(sys.executable).with_name("deskside"))
EXIT = {"ok": 0, "info": 0, "warning": 1, "critical": 2}


def deskside(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ)
    full.pop("DISPLAY", None)
    full.update(env or {})
    return subprocess.run([DESKSIDE, *args], capture_output=True, text=True, timeout=timeout, env=full,
                          stdin=subprocess.DEVNULL)


def test_json_report_validates_and_exit_code_reflects_worst_finding() -> None:
    res = deskside("diagnose", "--json")
    report = json.loads(res.stdout)
    validate(report)
    assert res.returncode == EXIT[report["worst"]], res.stderr
    assert report["host"] == os.uname().nodename
    assert "system" in report["sections"]
    # the default run never sends traffic: the connectivity checks only run when asked
    assert "connectivity" not in report["sections"]
    for section in report["sections"].values():
        assert section["duration_s"] >= 0
        assert section["status"] != "error", (section["name"], section["error"])
    assert res.stderr == ""  # no progress noise when stderr is not a terminal


def test_text_output_lists_findings_then_summary(tmp_path: Path) -> None:
    html = tmp_path / "out" / "report.html"
    out = tmp_path / "report.json"
    res = deskside("diagnose", "--html", str(html), "-o", str(out))
    assert res.returncode in (0, 1, 2), res.stderr
    assert "Summary (" in res.stdout
    assert f"HTML report written to {html}" in res.stdout
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>") and "Deskside diagnostics report" in page
    # the same page as the support bundle's: no script or outside resource may run in it
    assert ("<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            in page)
    validate(json.loads(out.read_text()))


def test_only_and_skip_choose_collectors() -> None:
    res = deskside("diagnose", "--json", "--only", "system")
    assert list(json.loads(res.stdout)["sections"]) == ["system"]
    res = deskside("diagnose", "--json", "--skip", "system")
    assert "system" not in json.loads(res.stdout)["sections"]


def test_unknown_collector_is_a_clear_error() -> None:
    res = deskside("diagnose", "--only", "sytem")
    assert res.returncode == 3
    assert "unknown collector(s): sytem" in res.stderr and "system" in res.stderr
    assert "Traceback" not in res.stderr


def test_list_collectors() -> None:
    res = deskside("diagnose", "--list-collectors")
    assert res.returncode == 0
    names = [line.split()[0] for line in res.stdout.splitlines()[1:]]
    assert "system" in names


def test_usage_error_exit_code_is_not_a_severity() -> None:
    res = deskside("diagnose", "--no-such-flag")
    assert res.returncode == 64 and "unrecognized arguments: --no-such-flag" in res.stderr


def test_malformed_config_is_reported_and_left_alone(tmp_path: Path) -> None:
    cfg_dir = tmp_path / "cfg"
    cfg_dir.mkdir()
    cfg = cfg_dir / "config.toml"
    cfg.write_text("[diagnostics\nbroken = ")
    res = deskside("diagnose", env={"DESKSIDE_CONFIG_DIR": str(cfg_dir)})
    assert res.returncode == 3
    assert str(cfg) in res.stderr and "not valid TOML" in res.stderr
    assert cfg.read_text() == "[diagnostics\nbroken = "


def test_no_subcommand_without_display_runs_diagnose() -> None:
    res = deskside()
    assert "Summary (" in res.stdout, res.stderr


def test_diagnose_does_not_pay_for_ssh_or_qt() -> None:
    code = (
        "import sys, desktop.cli as c\n"
        "rc = c.main(['diagnose', '--json'])\n"
        "heavy = sorted(m for m in ('paramiko', 'PySide6', 'httpx', 'keyring') if m in sys.modules)\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert "HEAVY []" in res.stderr, res.stderr


def test_help_lists_every_command() -> None:
    res = deskside("--help")
    assert res.returncode == 0
    for command in ("diagnose", "gui", "hosts", "ssh", "sftp", "forward", "ticket", "backend"):
        assert f"    {command} " in res.stdout, command


def test_a_cache_folder_that_cannot_be_created_only_costs_speed(tmp_path: Path) -> None:
    """An account without a usable home (HOME=/nonexistent, as for `nobody`) still gets its report."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    res = deskside("diagnose", "--json", "--only", "storage,updates",
                   env={"DESKSIDE_CACHE_DIR": str(blocker / "cache")})
    assert res.returncode in (0, 1, 2), res.stderr
    report = json.loads(res.stdout)
    validate(report)
    assert report["sections"]["updates"]["status"] not in ("error", "cancelled")
    assert "failed" not in res.stderr


def test_a_report_file_that_cannot_be_written_loses_nothing(tmp_path: Path) -> None:
    """The report used to be dropped (nothing printed) and a `.part` file left behind when --html/-o failed."""
    target = tmp_path / "taken"
    target.mkdir()  # a folder where the file should go: writing fails even as root
    res = deskside("diagnose", "--only", "system,storage", "--html", str(target))
    assert res.returncode == 3
    assert "Summary (" in res.stdout  # the report is still there
    assert f"cannot write the HTML report to {target}: Is a directory" in res.stderr
    assert "Traceback" not in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]  # no taken.part left behind
    res = deskside("diagnose", "--only", "system", "--json", "-o", str(target))
    assert res.returncode == 3 and f"cannot write the JSON report to {target}" in res.stderr
    validate(json.loads(res.stdout))


def test_skipping_every_collector_is_an_error_not_a_clean_bill_of_health() -> None:
    res = deskside("diagnose", "--only", "system", "--skip", "system")
    assert res.returncode == 3
    assert "no collector is left to run" in res.stderr and "No problems found" not in res.stdout


def test_a_planted_temporary_file_is_never_written_through(tmp_path: Path) -> None:
    """The report went through `<name>.part`, a predictable name: a symlink planted there (in a shared folder, with
    the report written by root) made Deskside overwrite the file it pointed to."""
    victim = tmp_path / "victim"
    victim.write_text("precious")
    target = tmp_path / "report.html"
    (tmp_path / "report.html.part").symlink_to(victim)
    (tmp_path / ".report.html.part").symlink_to(victim)
    res = deskside("diagnose", "--only", "system", "--html", str(target))
    assert res.returncode in (0, 1, 2), res.stderr
    assert victim.read_text() == "precious"
    assert target.read_text().startswith("<!DOCTYPE html>") and not target.is_symlink()
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    assert sorted(p.name for p in tmp_path.iterdir()) == [".report.html.part", "report.html", "report.html.part",
                                                          "victim"]  # no temporary file left


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_an_empty_only_list_is_an_error_not_everything() -> None:
    res = deskside("diagnose", "--only", " , ")
    assert res.returncode == 3 and "--only needs at least one collector name" in res.stderr
    assert res.stdout == ""
