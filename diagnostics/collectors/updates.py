"""Updates: the patch posture of the host (see `diagnostics.updates`)."""

from __future__ import annotations

from typing import ClassVar

from ..model import Section
from .base import CollectContext, Collector


class UpdatesCollector(Collector):
    name = "updates"
    title = "Updates"
    platforms: ClassVar[frozenset[str]] = frozenset({"linux", "windows", "darwin"})
    needs_admin = False
    # `apt list --upgradable` alone takes most of a second, longer while other collectors run in parallel;
    # an unchanged host is answered from the result cache in milliseconds.
    timeout_s = 8.0

    def collect(self, ctx: CollectContext, section: Section) -> None:
        from ..updates.scan import scan_posture

        allow = ctx.opt("updates", "allow_network", False)
        if not isinstance(allow, bool):  # bool("false") is True: only a real true may send traffic
            section.skip("setting updates.allow_network",
                         f"{allow!r} is not true or false, so the update check stays offline; write "
                         "allow_network = true (without quotes) under [diagnostics.updates] in config.toml")
            allow = False
        posture = scan_posture(ctx.host, cancel=ctx.cancel, cache_dir=ctx.cache_dir, allow_network=allow)
        section.data.update(posture.to_dict())
        for s in posture.skipped:
            section.skip(s.source, s.reason)
