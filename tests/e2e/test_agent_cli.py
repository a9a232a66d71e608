"""`deskside agent` as the user and systemd run it: the generated systemd user units checked by systemd's own
`systemd-analyze verify`, and the service's ExecStart run exactly as written (with its Environment=) against a real
HTTP receiver. This machine has no systemd user instance (not booted with systemd); where one runs, `install`
enables the units with `systemctl --user` (the same commands the test shows in the failure message)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

from tests.conftest import need
from tests.e2e.test_ticket_cli import config, deskside
from tests.integration.test_tickets_webhook import Receiver, receiver  # noqa: F401 (the fixture)
from tickets.service import Draft, TicketService


def _unit(path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("[", "#")):
            k, v = line.split("=", 1)
            out.setdefault(k, []).append(v)
    return out


def test_install_writes_units_systemd_accepts_and_the_service_sends_due_tickets(tmp_path: Path,
                                                                                receiver: Receiver) -> None:  # noqa: F811
    need(shutil.which("systemd-analyze") is not None, "systemd-analyze (the systemd package)")
    home = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    r = deskside("agent", "install", "--no-enable", "--interval", "10min", env=home)
    assert r.returncode == 0, r.stderr
    units = tmp_path / "xdg" / "systemd" / "user"
    names = sorted(p.name for p in units.iterdir())
    assert names == ["deskside-agent-login.service", "deskside-agent.service", "deskside-agent.timer"]
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    v = subprocess.run(["systemd-analyze", "verify", "--user", *(str(units / n) for n in names)],
                       capture_output=True, text=True, env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)},
                       timeout=120)
    assert v.returncode == 0 and v.stderr.strip() == "", v.stderr  # unknown keys and bad commands would show
    timer = _unit(units / "deskside-agent.timer")
    assert timer["OnUnitActiveSec"] == ["10min"] and timer["OnStartupSec"] == ["2min"]
    assert _unit(units / "deskside-agent-login.service")["WantedBy"] == ["default.target"]

    # A ticket waits in the outbox; the receiver is up. Run the service's command exactly as systemd would.
    config(f'[backends.hook]\ntype = "webhook"\nurl = "{receiver.url}/"\nallow_insecure_http = true\n')
    svc = TicketService(backends={"hook": {"type": "webhook", "url": receiver.url + "/"}},
                        data_dir=Path(os.environ["DESKSIDE_DATA_DIR"]))
    queued = svc.outbox.add(svc.build_preview(Draft(summary="Waiting for the agent")).ticket, "hook")
    service = _unit(units / "deskside-agent.service")
    env = dict(os.environ)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)  # the notification cannot show: the run goes on and says so
    for assignment in service.get("Environment", []):
        k, v2 = shlex.split(assignment)[0].split("=", 1)
        env[k] = v2
    run = subprocess.run(shlex.split(service["ExecStart"][0]), capture_output=True, text=True, env=env,
                         timeout=300, stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stderr
    assert "Outbox: 1 sent, 0 waiting." in run.stdout, run.stdout
    assert "Checks: " in run.stdout  # the first run also checks (never checked before)
    (key,) = receiver.created
    assert key == queued.uid and receiver.requests[0][0]["Host"].startswith("127.0.0.1")
    assert svc.outbox.get(queued.id).state == "sent"
    st = deskside("agent", "status")
    assert "Last check: " in st.stdout and "never" not in st.stdout and "Tickets waiting in the outbox: 0" in st.stdout
    r = deskside("agent", "run")
    assert r.returncode == 0 and "Checks: not due." in r.stdout  # daily, not every 15 min

    r = deskside("agent", "uninstall", "--no-enable", env=home)
    assert r.returncode == 0 and not list(units.iterdir())


def test_install_without_a_systemd_user_session_says_what_to_run(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent",
           "XDG_RUNTIME_DIR": str(tmp_path)}
    r = deskside("agent", "install", env=env)
    if r.returncode == 0:  # a machine with a working systemd user instance: clean up again
        assert deskside("agent", "uninstall", env=env).returncode == 0
        return
    assert r.returncode == 3, (r.stdout, r.stderr)
    assert "systemctl --user daemon-reload && systemctl --user enable --now deskside-agent.timer" in r.stderr
    assert (tmp_path / "xdg" / "systemd" / "user" / "deskside-agent.timer").is_file()


def test_agent_settings_errors_are_clear() -> None:
    config("[agent]\ncheck_every_hours = \"daily\"\n")
    r = deskside("agent", "run")
    assert r.returncode == 2 and "[agent] check_every_hours must be a number of hours" in r.stderr, r.stderr
    config("[agent]\ncheck_every_hours = 0.5\n")
    r = deskside("agent", "run", "--no-notify")
    assert r.returncode == 0 and "Outbox: 0 sent, 0 waiting." in r.stdout, r.stderr
