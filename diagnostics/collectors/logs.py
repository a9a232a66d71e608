"""Errors and criticals from the system log of the last hours, grouped by unit, with kernel OOM kills and segfaults.

Linux: the systemd journal (`journalctl -p 3 -o json`, capped); where there is no journal, the tails of
/var/log/syslog, messages and kern.log plus `dmesg`. Windows: the System and Application event logs
(`Get-WinEvent`, else `wevtutil`). macOS: the unified log (`log show`). All three give the same structure
(`diagnostics.parsers.logevents.summarize`).

Options (`[diagnostics.logs]`): since_hours (24; 0 = since boot), max_lines (5000), source ("auto": the journal,
else the files; "journal"; "files"), paths (the log files of the fallback), tail_mib (4, how much of the end of
each file is read).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import ClassVar, cast

from common.text import CouldNotRead

from ..host import CommandResult, decode
from ..model import Section, SectionStatus
from ..parsers import journal as jp
from ..parsers import macos_log, windows_events
from ..parsers.logevents import LogEvent, summarize
from ..sections.logs import LogFile, LogsData
from .base import CollectContext, Collector

DEFAULT_PATHS = [
    "/var/log/syslog", "/var/log/syslog.1",
    "/var/log/messages", "/var/log/messages.1",
    "/var/log/kern.log", "/var/log/kern.log.1",
]
RIGHTS = "needs root or membership of the adm/systemd-journal group"
KERNEL_PATTERN = "segfault at|out of memory|oom-kill|killed process"
JOURNAL_FIELDS = ("MESSAGE,PRIORITY,SYSLOG_IDENTIFIER,_SYSTEMD_UNIT,UNIT,USER_UNIT,_COMM,_PID,SYSLOG_PID,"
                  "_TRANSPORT")
CMD_TIMEOUT = 6.0


class LogsCollector(Collector):
    name = "logs"
    title = "Logs"
    platforms: ClassVar[frozenset[str]] = frozenset({"linux", "windows", "darwin"})
    timeout_s = 10.0

    def collect(self, ctx: CollectContext, section: Section) -> None:
        hours = number_option(ctx, section, "logs", "since_hours", 24.0)
        max_lines = int(number_option(ctx, section, "logs", "max_lines", 5000, minimum=1))
        _data(section)["since_hours"] = hours if hours > 0 else 0  # 0: since the last boot
        _data(section)["max_lines"] = max_lines
        platform = ctx.host.platform
        if platform == "windows":
            self._windows(ctx, section, hours, max_lines)
        elif platform == "darwin":
            self._macos(ctx, section, hours)
        else:
            source = str(ctx.opt("logs", "source", "auto"))
            if source not in ("auto", "journal", "files"):
                section.skip("setting logs.source", f"{source!r} is not one of auto, journal, files; using auto. "
                                                    "Fix [diagnostics.logs] source in config.toml")
                source = "auto"
            if source == "files" or not self._journal(ctx, section, hours, max_lines):
                if source != "journal":
                    self._files(ctx, section, hours)
        if "source" not in section.data:
            # No log could be read: the section says so (skipped, with the reasons), not "0 errors".
            section.status = SectionStatus.SKIPPED

    # --- Linux: the journal ----------------------------------------------------------------------------------

    def _journalctl(self, ctx: CollectContext, args: list[str]) -> CommandResult:
        base = ["journalctl", *args, "-o", "json", "--no-pager", "-q"]
        res = ctx.host.run([*base, f"--output-fields={JOURNAL_FIELDS}"], timeout=CMD_TIMEOUT, cancel=ctx.cancel)
        if not res.ok and not res.missing and "output-fields" in (res.stderr or ""):
            res = ctx.host.run(base, timeout=CMD_TIMEOUT, cancel=ctx.cancel)  # systemd older than 236
        return res

    def _journal(self, ctx: CollectContext, section: Section, hours: float, max_lines: int) -> bool:
        """Fill the section from the journal; False when there is no usable journal (then files are read)."""
        # A first, tiny query tells whether there is a journal and whether we may read the system's part:
        # journalctl says so only in its plain output (`-o json` keeps quiet about it).
        probe = ctx.host.run(["journalctl", "-n", "1", "--no-pager", "-o", "short-iso"], timeout=CMD_TIMEOUT,
                             cancel=ctx.cancel)
        if probe.missing:
            section.skip("journal", "journalctl is not installed (no systemd journal); read the /var/log files")
            return False
        said = probe.stderr or ""
        if "No journal files were found" in said:
            section.skip("journal", "the systemd journal has no log files on this machine (journald is not "
                                    "running, as in a container); read the /var/log files instead")
            return False
        if "insufficient permissions" in said or "Permission denied" in said:
            section.skip("journal", f"the system journal could not be read: {RIGHTS}")
            return False
        if probe.timed_out:
            section.skip("journal", "journalctl did not answer within its timeout; read the /var/log files")
            return False
        if not probe.ok:
            section.skip("journal", probe.why_failed())
            return False
        limited = "not seeing messages from other users and the system" in said
        if not any(ln.strip() and not ln.startswith("-- ") for ln in probe.stdout.splitlines()):
            if limited:
                section.skip("journal", f"only your own messages are visible, and there are none; the system "
                                        f"journal {RIGHTS}")
            else:
                section.skip("journal", "the systemd journal is empty (journald keeps no logs here); "
                                        "read the /var/log files instead")
            return False
        window = [f"--since=-{int(hours * 60)}min"] if hours > 0 else ["-b"]
        res = self._journalctl(ctx, ["-p", "3", *window, "-n", str(max_lines)])
        if res.timed_out or (not res.ok and not res.stdout.strip()):
            section.skip("journal", res.why_failed())
            return False
        try:
            events = jp.parse_journal_json(res.stdout)
        except CouldNotRead as exc:
            section.skip("journal", f"could not read journalctl's output: {exc}")
            return False
        errors_read = len(events)
        if limited:
            section.skip("journal (system messages)",
                         f"only your own messages were read; the system's {RIGHTS}")
        # Kernel OOM kills and segfaults: segfaults are logged as info, so they need their own query.
        kres = self._journalctl(ctx, ["-k", *window, "-n", str(max_lines), f"--grep={KERNEL_PATTERN}"])
        if not kres.ok and not kres.stdout.strip() and "grep" in (kres.stderr or "").lower():
            kres = self._journalctl(ctx, ["-k", *window, "-n", str(max_lines)])  # built without PCRE2
        if kres.ok or kres.stdout.strip():
            try:
                events.extend(jp.parse_journal_json(kres.stdout))
            except CouldNotRead as exc:
                section.skip("kernel messages", f"could not read journalctl's output: {exc}")
        elif kres.returncode != 1:  # 1 with no output: --grep found nothing
            section.skip("kernel messages", kres.why_failed())
        _data(section)["source"] = "journal"
        _data(section).update(summarize(events))
        _data(section)["capped"] = errors_read >= max_lines or res.truncated
        return True

    # --- Linux: /var/log files and dmesg --------------------------------------------------------------------

    def _files(self, ctx: CollectContext, section: Section, hours: float) -> None:
        paths = ctx.opt("logs", "paths", DEFAULT_PATHS) or []
        if isinstance(paths, str):
            paths = [paths]
        if not isinstance(paths, list) or not all(isinstance(x, str) for x in paths):
            section.skip("setting logs.paths", f"{paths!r} is not a list of file names such as "
                                               "[\"/var/log/syslog\"]; the usual log files are read. Fix "
                                               "[diagnostics.logs] paths in config.toml")
            paths = DEFAULT_PATHS
        tail_bytes = int(number_option(ctx, section, "logs", "tail_mib", 4.0, minimum=0.001, maximum=1024)
                         * 1024 * 1024)
        now = dt.datetime.now(dt.UTC)
        since = now - dt.timedelta(hours=hours) if hours > 0 else None
        events: list[LogEvent] = []
        files: list[LogFile] = []
        for path in paths:
            ctx.cancel.raise_if_cancelled()
            text, info, problem = read_tail(ctx, str(path), tail_bytes)
            if problem is not None:
                section.skip(str(path), problem)
            if text is None:
                continue
            try:
                events.extend(jp.parse_syslog_text(text, now=now, since=since))
            except CouldNotRead as exc:
                section.skip(str(path), f"could not read it as a syslog file: {exc}")
                continue
            files.append(info)
        if not files and not any(s.item in paths for s in section.skips):
            section.skip("log files", f"none of {', '.join(map(str, paths))} exists on this machine")
        events.extend(self._dmesg(ctx, section, since))
        summary = summarize(events)
        if files or _data(section).get("dmesg"):
            _data(section)["source"] = "files" if files else "dmesg"
            _data(section)["files"] = files
            _data(section).update(summary)
            _data(section)["capped"] = any(f["truncated"] for f in files)

    def _dmesg(self, ctx: CollectContext, section: Section, since: dt.datetime | None) -> list[LogEvent]:
        for argv in (["dmesg", "-x", "--time-format=iso"], ["dmesg", "-x"], ["dmesg"]):
            res = ctx.host.run(argv, timeout=CMD_TIMEOUT, cancel=ctx.cancel)
            if res.missing:
                section.skip("kernel log (dmesg)", "dmesg is not installed")
                return []
            if res.ok:
                try:
                    found = jp.parse_dmesg(res.stdout, since=since)
                except CouldNotRead as exc:
                    section.skip("kernel log (dmesg)", f"could not read: {exc}")
                    return []
                _data(section)["dmesg"] = True
                return found
            err = res.stderr or ""
            if "Operation not permitted" in err or "Permission denied" in err:
                section.skip("kernel log (dmesg)", "needs root (the kernel restricts dmesg to administrators: "
                                                   "kernel.dmesg_restrict = 1)")
                return []
            if "unrecognized option" not in err and "invalid option" not in err and "unknown" not in err:
                section.skip("kernel log (dmesg)", res.why_failed())
                return []
        return []

    # --- Windows -------------------------------------------------------------------------------------------

    def _windows(self, ctx: CollectContext, section: Section, hours: float, max_lines: int) -> None:
        h = hours if hours > 0 else 24.0  # the event log has no "since boot" filter
        _data(section)["since_hours"] = h
        script = (
            "[Console]::OutputEncoding=[Text.Encoding]::UTF8; "
            "$e = Get-WinEvent -FilterHashtable @{LogName='System','Application'; Level=1,2; "
            f"StartTime=(Get-Date).AddHours(-{h:g})}} -MaxEvents {max_lines} -ErrorAction SilentlyContinue | "
            "Select-Object TimeCreated,Id,Level,LevelDisplayName,ProviderName,Message,LogName; "
            "if ($e) { ConvertTo-Json -InputObject @($e) -Depth 2 -Compress } else { '[]' }"
        )
        res = ctx.host.run(["powershell", "-NoProfile", "-NonInteractive", "-Command", script],
                           timeout=CMD_TIMEOUT, cancel=ctx.cancel)
        if res.ok:
            try:
                events = windows_events.parse_get_winevent_json(res.stdout)
            except ValueError as exc:
                section.skip("event log (PowerShell)", str(exc))
            else:
                _data(section)["source"] = "windows-eventlog"
                _data(section).update(summarize(events))
                _data(section)["capped"] = len(events) >= max_lines
                return
        else:
            section.skip("event log (PowerShell)", res.why_failed())
        # wevtutil ships with every Windows since Vista and needs no PowerShell.
        ms = int(h * 3600 * 1000)
        events = []
        got = False
        for log in ("System", "Application"):
            query = f"*[System[(Level=1 or Level=2) and TimeCreated[timediff(@SystemTime) <= {ms}]]]"
            wres = ctx.host.run(["wevtutil", "qe", log, f"/q:{query}", "/f:text", f"/c:{max_lines}", "/rd:true"],
                                timeout=CMD_TIMEOUT, cancel=ctx.cancel)
            if wres.ok:
                try:
                    events.extend(windows_events.parse_wevtutil_text(wres.stdout))
                    got = True
                except CouldNotRead as exc:
                    section.skip(f"event log {log} (wevtutil)", f"could not read: {exc}")
            else:
                section.skip(f"event log {log} (wevtutil)", wres.why_failed())
        if got:
            _data(section)["source"] = "windows-eventlog"
            _data(section).update(summarize(events))
            _data(section)["capped"] = len(events) >= 2 * max_lines

    # --- macOS ---------------------------------------------------------------------------------------------

    def _macos(self, ctx: CollectContext, section: Section, hours: float) -> None:
        h = hours if hours > 0 else 24.0
        _data(section)["since_hours"] = h
        last = f"{max(1, int(h * 60))}m"
        pred = "messageType == error or messageType == fault"
        for style, parse in (("ndjson", macos_log.parse_ndjson), ("syslog", macos_log.parse_syslog_style)):
            res = ctx.host.run(["log", "show", "--style", style, "--predicate", pred, "--last", last],
                               timeout=CMD_TIMEOUT, cancel=ctx.cancel)
            if res.missing or res.timed_out:
                section.skip("unified log", res.why_failed())
                return
            if res.ok:
                try:
                    found = parse(res.stdout)
                except CouldNotRead as exc:
                    section.skip("unified log", f"could not read: {exc}")
                    return
                _data(section)["source"] = "macos-unified-log"
                _data(section).update(summarize(found))
                _data(section)["capped"] = res.truncated
                return
            if "style" not in (res.stderr or "").lower():  # not an old `log` without ndjson: give up
                section.skip("unified log", res.why_failed())
                return
        section.skip("unified log", "log show did not accept --style ndjson or syslog")


def number_option(ctx: CollectContext, section: Section, collector: str, key: str, default: float,
                  minimum: float = 0, maximum: float = 1e6) -> float:
    """A numeric setting of `[diagnostics.<collector>]`; a value that is not a number (or too small, or absurdly
    large: a window of 1e12 hours overflows a date) is noted as a skip naming the setting, and the default is used."""
    value = ctx.opt(collector, key, default)
    try:
        number = float(value)
        if number < minimum or not math.isfinite(number):  # nan, or inf (TOML allows both)
            raise ValueError
    except (TypeError, ValueError):
        section.skip(f"setting {collector}.{key}",
                     f"{value!r} is not a number of at least {minimum:g}; using {default:g}. "
                     f"Fix [diagnostics.{collector}] {key} in config.toml")
        return float(default)
    if number > maximum:
        section.skip(f"setting {collector}.{key}",
                     f"{value!r} is more than {maximum:g}; using {default:g}. "
                     f"Fix [diagnostics.{collector}] {key} in config.toml")
        return float(default)
    return number


def read_tail(ctx: CollectContext, path: str, max_bytes: int) -> tuple[str | None, LogFile, str | None]:
    """The last `max_bytes` of a file on the host as text (undecodable bytes replaced), with facts about it, and
    a skip reason when it exists but cannot be read. A missing file gives (None, facts, None)."""
    info: LogFile = {"path": path, "size": None, "bytes_read": 0, "truncated": False}
    st = ctx.host.run(["stat", "-L", "-c", "%s", path], timeout=3.0, cancel=ctx.cancel)
    size: int | None = None
    if st.ok and st.stdout.strip().isdigit():
        size = int(st.stdout.strip())
    elif not st.missing:
        err = st.stderr or ""
        if "No such file" in err:
            return None, info, None
        if "Permission denied" in err:
            return None, info, _unreadable(ctx)
    info["size"] = size
    if size is None or size <= max_bytes:
        data = ctx.host.read_file(path, max_bytes)
        if data is None:
            return (None, info, _unreadable(ctx)) if size is not None else (None, info, None)
        info["bytes_read"] = len(data)
        info["truncated"] = size is None and len(data) >= max_bytes
        return decode(data), info, None
    res = ctx.host.run(["tail", "-c", str(max_bytes), path], timeout=CMD_TIMEOUT, cancel=ctx.cancel)
    if not res.ok:
        if "Permission denied" in (res.stderr or ""):
            return None, info, _unreadable(ctx)
        return None, info, f"could not read the end of the file: {res.why_failed()}"
    text = res.stdout
    cut = text.find("\n")
    text = text[cut + 1:] if cut >= 0 else ""  # the first line is cut in the middle
    info["bytes_read"] = max_bytes
    info["truncated"] = True
    return text, info, None


def _unreadable(ctx: CollectContext) -> str:
    if ctx.is_admin:
        return "permission denied, even with administrator rights"
    return RIGHTS


def _data(section: Section) -> LogsData:
    """The section's data, typed by its definition (`diagnostics.sections.logs`)."""
    return cast(LogsData, section.data)
