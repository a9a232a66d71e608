"""Failed systemd units with their last log lines, and services systemd keeps restarting.

Options (`[diagnostics.services]`): log_lines (5, per failed unit), max_units (20, failed units whose logs are
read), restart_threshold (3, restarts that make a restart loop).
"""

from __future__ import annotations

from typing import ClassVar, cast

from common.text import CouldNotRead

from ..model import Section
from ..parsers import systemd as sp
from ..parsers.journal import parse_short_iso_lines
from ..sections.services import ServicesData
from .base import CollectContext, Collector
from .logs import number_option

CMD_TIMEOUT = 4.0


class ServicesCollector(Collector):
    name = "services"
    title = "Services"
    platforms: ClassVar[frozenset[str]] = frozenset({"linux"})
    timeout_s = 8.0

    def collect(self, ctx: CollectContext, section: Section) -> None:
        host = ctx.host
        res = host.run(["systemctl", "list-units", "--failed", "--output=json", "--no-pager", "--plain"],
                       timeout=CMD_TIMEOUT, cancel=ctx.cancel)
        if res.missing:
            section.skip("systemd units", "systemctl is not installed: this system does not use systemd")
            return
        said = (res.stderr or "") + "\n" + (res.stdout if not res.ok else "")
        if sp.systemd_not_running(said):
            first = next((ln.strip() for ln in said.splitlines() if ln.strip()), "")
            section.skip("systemd units", "systemd is not running on this machine (PID 1 is another init, as in "
                                          f"a container), so there are no systemd services to check: {first}")
            return
        units = sp.parse_failed_units_json(res.stdout) if res.ok else None
        if units is None:  # older systemd: no --output=json for list-units
            res = host.run(["systemctl", "list-units", "--failed", "--no-legend", "--plain", "--no-pager", "--full"],
                           timeout=CMD_TIMEOUT, cancel=ctx.cancel)
            if not res.ok:
                section.skip("systemd units", res.why_failed())
                return
            try:
                units = sp.parse_failed_units_text(res.stdout)
            except CouldNotRead as exc:
                section.skip("systemd units", f"could not read the list of failed units: {exc}")
                return
        data = cast(ServicesData, section.data)
        data["failed"] = units
        data["failed_count"] = len(units)

        n_lines = int(number_option(ctx, section, "services", "log_lines", 5, minimum=1))
        max_units = int(number_option(ctx, section, "services", "max_units", 20))
        for u in units[:max_units]:
            ctx.cancel.raise_if_cancelled()
            jr = host.run(["journalctl", "-u", u["unit"], "-n", str(n_lines), "-o", "short-iso", "--no-pager", "-q"],
                          timeout=CMD_TIMEOUT, cancel=ctx.cancel)
            if jr.ok:
                u["last_lines"] = parse_short_iso_lines(jr.stdout, n_lines)
            else:
                u["last_lines"] = []
                section.skip(f"log of {u['unit']}", jr.why_failed())

        threshold = int(number_option(ctx, section, "services", "restart_threshold", 3, minimum=1))
        sres = host.run(["systemctl", "show", "--no-pager", "--property=Id,NRestarts,ActiveState,SubState,Result",
                         "*.service"], timeout=CMD_TIMEOUT, cancel=ctx.cancel)
        if sres.ok:
            data["restart_loops"] = sp.restart_loops(sp.parse_show(sres.stdout), threshold)
        else:
            section.skip("restart counts", sres.why_failed())
