"""The real Request Tracker of tests/servers/rt.start.sh: env file, REST2 reader, stop/continue/restart."""

from __future__ import annotations

import base64
import io
import os
import shlex
import signal
import subprocess
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import need

ENV_FILE = Path(os.environ.get("DESKSIDE_RT_ENV", "/tmp/deskside-rt.env"))


def _read_env() -> dict[str, str]:
    out = {}
    for line in ENV_FILE.read_text().splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k] = v.strip().strip('"')
    return out


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/REST/2.0/", timeout=5).status_code in (200, 401)
    except httpx.HTTPError:
        return False


@dataclass
class RT:
    url: str
    user: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def get(self, path: str, **params: str) -> Any:
        r = httpx.get(f"{self.url}/REST/2.0/{path.lstrip('/')}", headers=self.headers, params=params, timeout=120)
        r.raise_for_status()
        return r.json()

    def ticket(self, tid: str) -> dict[str, Any]:
        return self.get(f"ticket/{tid}")  # type: ignore[no-any-return]

    def cf(self, ticket: dict[str, Any], name: str) -> list[str]:
        for cf in ticket.get("CustomFields", []):
            if cf.get("name") == name:
                return list(cf.get("values", []))
        return []

    def search_marker(self, uid: str) -> list[str]:
        data = self.get("tickets", query=f"Subject LIKE 'deskside:{uid}'", per_page="50")
        return [str(i["id"]) for i in data.get("items", [])]

    def attachments(self, tid: str) -> list[dict[str, Any]]:
        """Every attachment of the ticket, with Content decoded to bytes."""
        out = []
        page = self.get(f"ticket/{tid}/attachments", per_page="100")
        for item in page.get("items", []):
            a = self.get(f"attachment/{item['id']}")
            a["Content"] = base64.b64decode(a.get("Content") or b"")
            out.append(a)
        return out

    def file(self, tid: str, filename: str) -> bytes:
        for a in self.attachments(tid):
            if a.get("Filename") == filename:
                return bytes(a["Content"])
        raise AssertionError(f"ticket {tid} has no attachment {filename!r}")

    def everything_text(self, tid: str) -> str:
        """All that reached RT for this ticket as text: fields, history, attachments (zips unpacked)."""
        parts = [str(self.ticket(tid))]
        hist = self.get(f"ticket/{tid}/history", per_page="100")
        for tx in hist.get("items", []):
            parts.append(str(self.get(f"transaction/{tx['id']}")))
        for a in self.attachments(tid):
            content = a.pop("Content")
            parts.append(str(a))  # headers, subject, filename
            if content[:2] == b"PK":
                with zipfile.ZipFile(io.BytesIO(content)) as zf:
                    for name in zf.namelist():
                        parts.append(name)
                        parts.append(zf.read(name).decode("utf-8", errors="replace"))
            else:
                parts.append(content.decode("utf-8", errors="replace"))
        return "\n".join(parts)

    # ---- breaking the server ----------------------------------------------------------------------------------
    def pgid(self) -> int:
        return int(_read_env()["RT_PID"])

    def stop(self) -> None:
        os.killpg(self.pgid(), signal.SIGSTOP)

    def cont(self) -> None:
        os.killpg(self.pgid(), signal.SIGCONT)

    def kill(self) -> None:
        pg = self.pgid()
        os.killpg(pg, signal.SIGTERM)
        for _ in range(100):
            if not _answers(self.url):
                break
            time.sleep(0.1)
        try:
            os.killpg(pg, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def restart(self) -> None:
        env = _read_env()
        log = open(env.get("RT_LOG", "/tmp/deskside-rt-server.log"), "ab")
        proc = subprocess.Popen(shlex.split(env["RT_START_CMD"]), stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        log.close()
        text = ENV_FILE.read_text()
        ENV_FILE.write_text(text.replace(f"RT_PID={env['RT_PID']}", f"RT_PID={proc.pid}"))
        for _ in range(240):
            if _answers(self.url):
                return
            if proc.poll() is not None:
                raise AssertionError("rt-server did not restart; see " + env.get("RT_LOG", ""))
            time.sleep(0.5)
        raise AssertionError("rt-server did not answer after a restart")


# Tests that asked for RT (node ids): when one of them fails, tests/conftest.py adds `state_report()` to its report.
USED_BY: set[str] = set()


def state_report() -> str:
    """What RT was doing when a test failed: how long it takes to answer now, its processes' states (a worker
    stuck in a read or a lock shows here), its connections and the ends of its access and error logs. Evidence
    for a failure that does not repeat, without a rerun."""
    if not ENV_FILE.exists():
        return f"no env file {ENV_FILE}"
    env = _read_env()
    lines = []
    t0 = time.monotonic()
    try:
        code: object = httpx.get(f"{env['RT_URL']}/REST/2.0/", timeout=20).status_code
    except httpx.HTTPError as exc:
        code = repr(exc)
    lines.append(f"GET /REST/2.0/ now: {code} in {time.monotonic() - t0:.2f} s")
    ps = ["ps", "-ww", "-o", "pid,stat,wchan:24,etime,time,args", "-g", env.get("RT_PID", "0")]
    lines += ["processes:", _output(ps)]
    lines += ["connections:", _output(["ss", "-tnp", f"( sport = :{env.get('RT_PORT', '0')} )"])]
    for key, count in (("RT_ACCESS_LOG", 30), ("RT_LOG", 40)):
        log = Path(env.get(key, "/nonexistent"))
        if log.is_file():
            lines += [f"last lines of {log}:", *log.read_text(errors="replace").splitlines()[-count:]]
    return "\n".join(lines)


def _output(argv: list[str]) -> str:
    try:
        r = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{argv[0]}: {exc}"
    return (r.stdout + r.stderr).rstrip()


def rt_or_skip() -> RT:
    USED_BY.add(os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0])
    need(ENV_FILE.exists(), f"a Request Tracker started by tests/servers/rt.start.sh (as root; env file {ENV_FILE})")
    env = _read_env()
    need(_answers(env["RT_URL"]), f"Request Tracker answering at {env['RT_URL']}")
    return RT(env["RT_URL"], env["RT_USER"], env["RT_PASS"], env["RT_TOKEN"])
