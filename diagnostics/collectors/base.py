"""What every collector is: a name, a title, platforms, rights, a timeout, and `collect()` filling a Section."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ..cancel import CancelToken
from ..host import Host
from ..model import Section


@dataclass
class CollectContext:
    host: Host
    cancel: CancelToken = field(default_factory=CancelToken)
    # Settings from the config file's [diagnostics] table and CLI flags, e.g.
    # {"logs": {"since_hours": 24}, "connectivity": {"dns_name": ..., "internet_url": ..., "tls_url": ...}}
    options: dict[str, Any] = field(default_factory=dict)
    cache_dir: Path | None = None  # where a collector may keep results keyed on what they depend on
    is_admin: bool = field(default_factory=lambda: hasattr(os, "geteuid") and os.geteuid() == 0)
    started: float = field(default_factory=time.time)

    def opt(self, collector: str, key: str, default: Any = None) -> Any:
        return self.options.get(collector, {}).get(key, default)


class Collector:
    """Subclass, set the class attributes, implement `collect`.

    `collect` writes into `section.data` as it goes (so a timeout still leaves what was ready), in the shape of the
    section's definition in `diagnostics/sections/<name>.py` (write through `cast(<Name>Data, section.data)` so
    mypy checks every key and value). It records anything it could not look at with `section.skip(item, reason)`,
    and may raise: the runner turns any exception into an `error` status with a one-line message. It must poll
    `ctx.cancel` in long loops and pass it to
    `ctx.host.run(..., cancel=ctx.cancel)`.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    platforms: ClassVar[frozenset[str]] = frozenset({"linux"})
    needs_admin: ClassVar[bool] = False  # some items need admin rights; without them they become skips
    timeout_s: ClassVar[float] = 5.0
    default: ClassVar[bool] = True  # part of the default run (connectivity checks are not: they send traffic)
    local_only: ClassVar[bool] = False  # uses psutil on this machine, so it cannot inspect a remote Host

    def collect(self, ctx: CollectContext, section: Section) -> None:
        raise NotImplementedError
