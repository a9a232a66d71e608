"""Where desktop joins the core packages: the services both the CLI and the GUI call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from diagnostics.cancel import CancelToken
from diagnostics.collectors import CollectContext, select
from diagnostics.host import Host, LocalHost
from diagnostics.model import Report
from diagnostics.runner import ProgressCallback, run_collectors

from . import paths, settings


def diagnostics_options(config: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `[diagnostics]` table of config.toml: per-collector options such as `[diagnostics.logs] since_hours`."""
    if config is None:
        config = settings.load()
    opts = config.get("diagnostics", {})
    return dict(opts) if isinstance(opts, dict) else {}


def _cache_dir() -> Path | None:
    """Where collectors keep results between runs; None (no cache, every answer collected afresh) when it cannot be
    created, e.g. for an account whose home folder does not exist or is read-only. The cache only saves time."""
    try:
        return paths.ensure(paths.cache_dir() / "diagnostics")
    except OSError:
        return None


def run_diagnostics(
    only: list[str] | None = None,
    skip: list[str] | None = None,
    include_connectivity: bool = False,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
    host: Host | None = None,
    options: dict[str, Any] | None = None,
) -> Report:
    """Collect a report of `host` (this machine by default). Raises ValueError for unknown collector names."""
    collectors = select(only=only, skip=skip, include_optional=include_connectivity)
    ctx = CollectContext(
        host=host or LocalHost(),
        cancel=cancel or CancelToken(),
        options=diagnostics_options() if options is None else options,
        cache_dir=_cache_dir(),
    )
    if host is not None and not host.is_local:
        ctx.is_admin = bool(getattr(host, "is_admin", False))  # the remote login's rights, not ours
    return run_collectors(collectors, ctx, progress=progress)
