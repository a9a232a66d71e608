"""Terminal output is data (issue 10): what came from outside (log lines, file names, ~/.ssh/config values, ticket
summaries) is printed with its control characters escaped, never obeyed. One test per output path, real processes.
Also `ticket new --dry-run --save-preview DIR`: exactly what would leave, shown and saved byte for byte."""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

from tests.e2e.test_ticket_cli import config, deskside

ESC = "\x1b]0;PWNED\x07\x1b[2J"  # retitle the window, clear the screen


def no_raw_controls(text: str) -> bool:
    return "\x1b" not in text and "\x07" not in text


def test_diagnose_text_output_escapes_what_the_machine_wrote(tmp_path: Path) -> None:
    crashes = tmp_path / "crash"
    crashes.mkdir()
    for n in range(4):
        (crashes / f"_usr_bin_flaky.{1000 + n}.crash").write_text(
            f"ProblemType: Crash\nExecutablePath: /usr/bin/fl{ESC}aky\nSignal: 11\n")
    config(f'[diagnostics.crashes]\ncrash_dir = "{crashes}"\n')
    r = deskside("diagnose", "--only", "crashes")
    assert "Summary (" in r.stdout, r.stderr
    assert "fl\\x1b]0;PWNED\\x07\\x1b[2Jaky" in r.stdout
    assert no_raw_controls(r.stdout) and no_raw_controls(r.stderr)


def test_ticket_preview_escapes_a_log_file_name_and_saves_exactly_what_would_leave(tmp_path: Path) -> None:
    log = tmp_path / f"app{ESC}.log"
    log.write_text(f"Dec  2 10:00:01 wks7 app[5]: started\nerror at line{ESC} 7\n")
    out = tmp_path / "preview"
    r = deskside("ticket", "new", "--summary", f"App crashes{ESC}", "--log", str(log), "--dry-run",
                 "--save-preview", str(out))
    assert r.returncode == 0, r.stderr
    assert no_raw_controls(r.stdout) and no_raw_controls(r.stderr)
    assert "app\\x1b]0;PWNED\\x07\\x1b[2J.log" in r.stdout  # the member name in the bundle line
    assert "--- the message, as it will be sent" in r.stdout and "Subject: App crashes" in r.stdout
    assert "Dry run: nothing was sent" in r.stdout
    message = (out / "message.txt").read_bytes()
    assert message.startswith(b"Subject: App crashes")
    (bundle,) = out.glob("deskside-bundle-*.zip")
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
        assert "report.html" in names and "ticket.txt" in names
        (logname,) = [n for n in names if n.startswith("logs/")]
        assert "<host-1>" in zf.read(logname).decode() and "wks7" not in zf.read(logname).decode()
    # a dry run leaves nothing in the data dir: no outbox entry, no bundle
    data = Path(os.environ["DESKSIDE_DATA_DIR"])
    assert not (data / "bundles").exists()
    assert "empty" in deskside("ticket", "outbox", "list", "--all").stdout


def test_outbox_list_escapes_a_summary(tmp_path: Path) -> None:
    r = deskside("ticket", "new", "--summary", f"Printer{ESC} jams", "--yes")
    assert r.returncode == 3, r.stderr
    out = deskside("ticket", "outbox", "list")
    assert "Printer\\x1b]0;PWNED\\x07\\x1b[2J jams" in out.stdout
    assert no_raw_controls(out.stdout) and no_raw_controls(r.stdout)


def test_hosts_import_dry_run_escapes_ssh_config_values(tmp_path: Path) -> None:
    ssh_config = tmp_path / "ssh_config"
    ssh_config.write_text(f"Host web\n  HostName 127.0.0.1\n  LocalCommand echo {ESC}\n  ForwardAgent yes\n"
                          f"Host we{ESC}b2\n  HostName 127.0.0.1\n")
    r = deskside("hosts", "import", "--dry-run", "--from", str(ssh_config))
    assert r.returncode == 0, r.stderr
    assert "would import 1 host(s)" in r.stdout
    assert "LocalCommand echo \\x1b]0;PWNED\\x07\\x1b[2J - not honoured" in r.stdout
    assert "host 'we\\x1b]0;PWNED\\x07\\x1b[2Jb2' not imported" in r.stdout
    assert no_raw_controls(r.stdout) and no_raw_controls(r.stderr)


def test_a_log_whose_tail_is_one_long_line_is_cut_not_dropped(tmp_path: Path) -> None:
    big = tmp_path / "oneline.log"
    big.write_text("x" * 10 + "TAIL-MARK" * 40_000 + "END\n")  # 360 KB, one line
    out = tmp_path / "preview"
    r = deskside("ticket", "new", "--summary", "x", "--log", str(big), "--dry-run", "--save-preview", str(out))
    assert r.returncode == 0, r.stderr
    assert "its last 256 KB are attached" in r.stderr
    (bundle,) = out.glob("*.zip")
    text = zipfile.ZipFile(bundle).read("logs/oneline.log").decode()
    assert text.rstrip().endswith("TAIL-MARKEND") and len(text) > 200 * 1024
    assert "[…cut]" in text


if sys.platform != "linux":  # pragma: no cover
    raise ImportError("Linux only")
