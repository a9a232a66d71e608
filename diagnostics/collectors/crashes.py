"""Crash reports: apport reports in /var/crash, systemd-coredump (`coredumpctl list`, else the file names in
/var/lib/systemd/coredump); counted per executable, the recent ones listed.

Options (`[diagnostics.crashes]`): since_days (7), crash_dir ("/var/crash"), coredump_dir
("/var/lib/systemd/coredump"), max_reports (50, listed in the report).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, cast

from common.text import CouldNotRead

from ..host import CommandResult, decode
from ..model import Section
from ..parsers import crash_reports as cr
from ..sections.crashes import CrashesData, CrashGroup, CrashReport
from .base import CollectContext, Collector
from .logs import number_option

CMD_TIMEOUT = 4.0
RIGHTS = "needs root or membership of the adm/systemd-journal group"
APPORT_FIELDS = r"^(ProblemType|Date|ExecutablePath|Package|Signal):"


class CrashesCollector(Collector):
    name = "crashes"
    title = "Crash reports"
    platforms: ClassVar[frozenset[str]] = frozenset({"linux"})
    timeout_s = 8.0

    def collect(self, ctx: CollectContext, section: Section) -> None:
        days = number_option(ctx, section, "crashes", "since_days", 7)
        now = dt.datetime.now(dt.UTC)
        since = now - dt.timedelta(days=days)
        records: list[dict[str, Any]] = []
        data = cast(CrashesData, section.data)
        data["since_days"] = days

        crash_dir = str(ctx.opt("crashes", "crash_dir", "/var/crash"))
        records.extend(self._apport(ctx, section, crash_dir))

        dumps = self._coredumpctl(ctx, section, days)
        core_dir = str(ctx.opt("crashes", "coredump_dir", "/var/lib/systemd/coredump"))
        files = self._coredump_files(ctx, section, core_dir)
        data["coredump_files"] = len(files)
        # coredumpctl already lists what the files hold; a file it does not know (its journal entry is gone, or
        # there is no coredumpctl) is added from its name.
        known = {(r.get("pid"), _comm(r.get("executable", ""))) for r in dumps or []}
        records.extend(dumps or [])
        records.extend(f for f in files if (f.get("pid"), _comm(f.get("executable", ""))) not in known)

        recent = [r for r in records if (_when(r) or now) >= since]
        data["older"] = len(records) - len(recent)
        recent.sort(key=lambda r: r.get("time") or "", reverse=True)
        max_reports = int(number_option(ctx, section, "crashes", "max_reports", 50))
        data["total"] = len(recent)
        data["reports"] = cast(list[CrashReport], recent[:max_reports])  # the shapes of the sources' parsers
        data["by_executable"] = by_executable(recent, now)

    # --- apport ----------------------------------------------------------------------------------------------

    def _apport(self, ctx: CollectContext, section: Section, crash_dir: str) -> list[dict[str, Any]]:
        listed = list_dir(ctx, crash_dir, "*.crash")
        if isinstance(listed, str):
            section.skip(crash_dir, listed)
            return []
        cast(CrashesData, section.data)["crash_dir"] = {"path": crash_dir, "present": listed is not None}
        out = []
        for path, mtime in (listed or [])[:200]:
            ctx.cancel.raise_if_cancelled()
            text = self._apport_header(ctx, path)
            if text is None:
                section.skip(path, f"the crash report cannot be read: {RIGHTS}")
            out.append(cr.apport_report(path, text, mtime))
        return out

    def _apport_header(self, ctx: CollectContext, path: str) -> str | None:
        # The header fields sit after the (huge) base64 CoreDump value, so grep them instead of reading the file.
        res = ctx.host.run(["grep", "-E", APPORT_FIELDS, path], timeout=CMD_TIMEOUT, cancel=ctx.cancel)
        if res.returncode in (0, 1) and not res.missing and not res.timed_out:
            return res.stdout
        if res.missing:
            data = ctx.host.read_file(path, 4 * 1024 * 1024)
            return decode(data) if data is not None else None
        return None

    # --- systemd-coredump ------------------------------------------------------------------------------------

    def _coredumpctl(self, ctx: CollectContext, section: Section, days: float) -> list[dict[str, Any]] | None:
        since = f"--since=-{int(days * 1440)}min"
        res = ctx.host.run(["coredumpctl", "list", "--json=short", "--no-pager", since],
                           timeout=CMD_TIMEOUT, cancel=ctx.cancel)
        if res.missing:
            section.skip("coredumpctl", "coredumpctl is not installed (systemd-coredump is not in use); "
                                        "the core dump folder is read instead")
            return None
        if _no_dumps(res):
            return self._rights_note(section, res, [])
        parsed = cr.parse_coredumpctl_json(res.stdout) if res.ok else None
        if parsed is not None:
            return self._rights_note(section, res, parsed)
        tres = ctx.host.run(["coredumpctl", "list", "--no-pager", "--no-legend", since],
                            timeout=CMD_TIMEOUT, cancel=ctx.cancel)
        if _no_dumps(tres):
            return self._rights_note(section, tres, [])
        if not tres.ok:
            section.skip("coredumpctl", tres.why_failed())
            return None
        try:
            listed = cr.parse_coredumpctl_text(tres.stdout)
        except CouldNotRead as exc:
            section.skip("coredumpctl", f"could not read its list: {exc}")
            return None
        return self._rights_note(section, tres, listed)

    @staticmethod
    def _rights_note(section: Section, res: CommandResult, out: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if "not seeing messages from other users" in (res.stderr or ""):
            section.skip("coredumpctl (other users)", f"only your own crashes were listed; all of them {RIGHTS}")
        return out

    def _coredump_files(self, ctx: CollectContext, section: Section, core_dir: str) -> list[dict[str, Any]]:
        listed = list_dir(ctx, core_dir, "core.*")
        if isinstance(listed, str):
            section.skip(core_dir, listed)
            return []
        out = []
        for path, _mtime in listed or []:
            rec = cr.parse_coredump_filename(path)
            if rec is not None:
                out.append(rec)
        return out


def _comm(exe: str) -> str:
    """The kernel's short process name (what core file names carry): the file name, at most 15 characters."""
    return exe.rsplit("/", 1)[-1][:15]


def _no_dumps(res: CommandResult) -> bool:
    return "No coredumps found" in (res.stderr or "") + (res.stdout or "")


def _when(rec: dict[str, Any]) -> dt.datetime | None:
    t = rec.get("time")
    if not t:
        return None
    try:
        return dt.datetime.fromisoformat(t)
    except ValueError:
        return None


def by_executable(records: list[dict[str, Any]], now: dt.datetime) -> list[CrashGroup]:
    """Crash counts per executable (in the window and in the last 24 hours), most crashes first."""
    day_ago = now - dt.timedelta(hours=24)
    groups: dict[str, CrashGroup] = {}
    for r in records:
        exe = r.get("executable") or "unknown"
        g = groups.setdefault(exe, {"executable": exe, "count": 0, "count_24h": 0, "last": None, "signal": ""})
        g["count"] += 1
        t = _when(r)
        if t is not None and t >= day_ago:
            g["count_24h"] += 1
        if r.get("time") and (g["last"] is None or r["time"] > g["last"]):
            g["last"] = r["time"]
            g["signal"] = r.get("signal", "")
    return sorted(groups.values(), key=lambda g: (-g["count_24h"], -g["count"], g["executable"]))


def list_dir(ctx: CollectContext, directory: str, pattern: str) -> list[tuple[str, dt.datetime | None]] | str | None:
    """Files in `directory` matching `pattern` with their modification times, newest first; None when the folder
    does not exist, a skip reason (str) when it cannot be listed."""
    res = ctx.host.run(["find", directory, "-maxdepth", "1", "-type", "f", "-name", pattern, "-printf",
                        r"%T@\t%p\n"], timeout=CMD_TIMEOUT, cancel=ctx.cancel)
    err = res.stderr or ""
    if "No such file or directory" in err and not res.stdout.strip():
        return None
    if "Permission denied" in err and not res.stdout.strip():
        return "cannot list the folder: " + ("permission denied" if ctx.is_admin else RIGHTS)
    if res.missing or (not res.ok and not res.stdout.strip()):
        return f"cannot list the folder: {res.why_failed()}"
    out: list[tuple[str, dt.datetime | None]] = []
    for line in res.stdout.splitlines():
        stamp, _, path = line.partition("\t")
        try:
            mtime: dt.datetime | None = dt.datetime.fromtimestamp(float(stamp), dt.UTC)
        except ValueError:
            mtime = None
        if path:
            out.append((path, mtime))
    out.sort(key=lambda p: p[1] or dt.datetime.min.replace(tzinfo=dt.UTC), reverse=True)
    return out
