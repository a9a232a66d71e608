"""Processes: total count, count by state, top 5 by CPU and by memory, zombies (with their parent).

Local machine: psutil; CPU use is sampled once over 0.2 s for all processes. Remote Linux host: `ps` through
`ctx.host` (its CPU figure is the average over each process's life, and the section says so).
Command lines are not collected: they can hold passwords.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, cast

from common.text import clean_text

from ..cancel import Cancelled
from ..model import Section
from ..sections.processes import ProcessEntry, ProcessesData, ProcessSummary, Zombie
from .base import CollectContext, Collector

SAMPLE_S = 0.2
TOP_N = 5

# ps STAT first letter -> the state names psutil uses
PS_STATES = {"R": "running", "S": "sleeping", "D": "disk-sleep", "T": "stopped", "t": "tracing-stop",
             "Z": "zombie", "X": "dead", "I": "idle", "W": "waking", "P": "parked"}


def parse_ps(text: str) -> list[dict[str, Any]]:
    """Lines of `ps -eo pid=,ppid=,stat=,pcpu=,rss=,user=,comm=`; comm (last) may contain spaces."""
    text = clean_text(text)
    procs: list[dict[str, Any]] = []
    for line in text.splitlines():
        parts = line.split(None, 6)
        if len(parts) < 7:
            continue
        try:
            pid, ppid = int(parts[0]), int(parts[1])
            cpu = float(parts[3])
            rss = int(parts[4]) * 1024
        except ValueError:
            continue
        procs.append({"pid": pid, "ppid": ppid, "status": PS_STATES.get(parts[2][:1], parts[2][:1]),
                      "cpu_percent": cpu, "rss": rss, "username": parts[5], "name": parts[6].strip()})
    return procs


OWN_MARK = "deskside-self="
PS_COMMAND = "ps -eo pid=,ppid=,stat=,pcpu=,rss=,user=,comm="


def without_own_session(text: str) -> tuple[list[dict[str, Any]], int]:
    """The processes of a remote `ps`, without Deskside's own: the SSH session process (sshd) that ran ps, and every
    process under it (the commands other collectors run at the same time: cat, uname, sh, and those that exited
    and wait as zombies). Returns the processes and how many were left out."""
    lines = text.splitlines()
    me = None
    if lines and lines[0].startswith(OWN_MARK) and lines[0][len(OWN_MARK):].strip().isdigit():
        me = int(lines[0][len(OWN_MARK):].strip())
        lines = lines[1:]
    procs = parse_ps("\n".join(lines))
    if me is None:
        return procs, 0
    by_pid = {p["pid"]: p for p in procs}
    session, cur, seen = me, by_pid.get(me), set()
    while cur is not None and cur["pid"] not in seen:  # up to the nearest sshd: our session
        seen.add(cur["pid"])
        if cur["name"].startswith("sshd"):
            session = cur["pid"]
            break
        cur = by_pid.get(cur["ppid"])
    children: dict[int, list[int]] = {}
    for p in procs:
        children.setdefault(p["ppid"], []).append(p["pid"])
    own, todo = set(), [session]
    while todo:
        pid = todo.pop()
        if pid not in own:
            own.add(pid)
            todo.extend(children.get(pid, []))
    own.add(me)
    kept = [p for p in procs if p["pid"] not in own]
    return kept, len(procs) - len(kept)


def summarise(procs: list[dict[str, Any]], total_memory: int | None) -> ProcessSummary:
    """The section's data from one snapshot of processes (each: pid, ppid, name, username, status,
    cpu_percent, rss)."""
    by_pid = {p["pid"]: p for p in procs}

    def brief(p: dict[str, Any]) -> ProcessEntry:
        out: ProcessEntry = {"pid": p["pid"], "name": p["name"], "username": p.get("username"),
                             "cpu_percent": round(p.get("cpu_percent") or 0.0, 1), "rss": p.get("rss") or 0}
        if total_memory:
            out["memory_percent"] = round(100.0 * out["rss"] / total_memory, 1)
        return out

    live = [p for p in procs if p["status"] != "zombie"]
    busy = [p for p in live if (p.get("cpu_percent") or 0.0) > 0.0]  # idle processes are no "top"
    top_cpu = sorted(busy, key=lambda p: (-(p.get("cpu_percent") or 0.0), p["pid"]))[:TOP_N]
    top_mem = sorted(live, key=lambda p: (-(p.get("rss") or 0), p["pid"]))[:TOP_N]
    zombies: list[Zombie] = []
    for p in procs:
        if p["status"] == "zombie":
            parent = by_pid.get(p.get("ppid") or -1)
            zombies.append({"pid": p["pid"], "name": p["name"], "ppid": p.get("ppid"),
                            "parent_name": parent["name"] if parent else None})
    return {
        "total": len(procs),
        "by_state": dict(sorted(Counter(p["status"] for p in procs).items())),
        "top_cpu": [brief(p) for p in top_cpu],
        "top_memory": [brief(p) for p in top_mem],
        "zombies": zombies,
        "zombie_count": len(zombies),
    }


class ProcessesCollector(Collector):
    name = "processes"
    title = "Processes"
    platforms = frozenset({"linux", "windows", "darwin"})
    timeout_s = 4.0

    def collect(self, ctx: CollectContext, section: Section) -> None:
        if ctx.host.is_local:
            self._local(ctx, section)
        elif ctx.host.platform == "linux":
            self._remote(ctx, section)
        else:
            section.skip("processes", f"listing processes of a remote {ctx.host.platform} host is not supported")

    def _local(self, ctx: CollectContext, section: Section) -> None:
        import psutil

        attrs = ["pid", "ppid", "name", "status", "memory_info"]  # user names only for the top entries, below
        handles: list[tuple[psutil.Process, dict[str, Any]]] = []
        denied = 0
        for proc in psutil.process_iter(attrs, ad_value=None):
            info = proc.info
            try:
                proc.cpu_percent(None)  # starts the sample; the real figure comes after the wait
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                pass
            except psutil.AccessDenied:
                denied += 1
            handles.append((proc, info))
        if ctx.cancel.wait(SAMPLE_S):
            raise Cancelled("cancelled by the user")
        procs: list[dict[str, Any]] = []
        for proc, info in handles:
            cpu: float | None
            try:
                cpu = proc.cpu_percent(None)
            except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
                cpu = None
            mem = info.get("memory_info")
            procs.append({
                "pid": info["pid"], "ppid": info.get("ppid"), "name": info.get("name") or "?",
                "username": info.get("username"), "status": info.get("status") or "unknown",
                "cpu_percent": cpu, "rss": getattr(mem, "rss", None),
            })
        try:
            total_mem = psutil.virtual_memory().total
        except Exception:
            total_mem = None
        summary = summarise(procs, total_mem)
        by_pid = {proc.pid: proc for proc, _ in handles}
        users: dict[int, str | None] = {}
        for entry in summary["top_cpu"] + summary["top_memory"]:
            pid = entry["pid"]
            if pid not in users:
                try:
                    users[pid] = by_pid[pid].username()
                except (psutil.Error, KeyError):  # gone, denied, or a uid without a name
                    users[pid] = None
            entry["username"] = users[pid]
        data = cast(ProcessesData, section.data)
        data.update(summary)
        data["cpu_basis"] = f"sampled over {SAMPLE_S:g} s"
        data["cpu_count"] = psutil.cpu_count() or 1
        if denied:
            section.skip("cpu of some processes",
                         f"{denied} processes belong to other users and could not be sampled without admin rights")

    def _remote(self, ctx: CollectContext, section: Section) -> None:
        # `$$` becomes ps itself (exec): its ancestors lead to our SSH session, whose processes are left out.
        res = ctx.host.run(["sh", "-c", f"echo {OWN_MARK}$$; exec {PS_COMMAND}"], timeout=3.0, cancel=ctx.cancel)
        if not res.ok:
            section.skip("processes", "ps is not installed" if res.returncode == 127 else res.why_failed())
            return
        procs, excluded = without_own_session(res.stdout)
        if not procs:
            section.skip("processes", "ps printed nothing that could be read")
            return
        total_mem = None
        raw = ctx.host.read_file("/proc/meminfo", 4096)
        if raw:
            for line in raw.decode("utf-8", "replace").splitlines():
                if line.startswith("MemTotal:"):
                    try:
                        total_mem = int(line.split()[1]) * 1024
                    except (ValueError, IndexError):
                        pass
        data = cast(ProcessesData, section.data)
        data.update(summarise(procs, total_mem))
        data["cpu_basis"] = "average over each process's lifetime (ps)"
        data["own_excluded"] = excluded
