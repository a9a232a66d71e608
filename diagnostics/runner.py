"""Runs collectors in parallel, each under its own timeout, cancellable, reporting progress, and always returns
a Report (partial when cancelled or timed out) with durations and skips."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import functools
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from common.deadline import Ended, start, watch

from . import __version__
from .cancel import Cancelled, CancelToken
from .collectors.base import CollectContext, Collector
from .model import Report, Section, SectionStatus, Skip

# collector name, state ("running" or a SectionStatus value), number finished, total
ProgressCallback = Callable[[str, str, int, int], None]
# How long a run waits, at its end, for collectors it stopped (timeout or cancel) to end the commands they were
# running; they poll their token every 50 ms. Without it a stuck `journalctl` outlives the process that started it.
STOP_GRACE_S = 1.0


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _text(value: str) -> str:
    """`value` as text that can be written as UTF-8. Names read from the OS (a process or file name with bytes that
    are not UTF-8) arrive with lone surrogates, which would make every writer (JSON, HTML, the terminal, Qt) fail;
    each undecodable byte becomes U+FFFD, as in the log parsers."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        try:
            return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _clean(value: Any) -> Any:
    """A deep copy of collected data with every string made writable (see `_text`); tuples and sets become lists,
    as in JSON."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, dict):
        return {(_text(k) if isinstance(k, str) else k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_clean(v) for v in value]
    return value


def _finish_status(section: Section) -> SectionStatus:
    if section.status != SectionStatus.OK:
        return section.status
    if section.skips and not section.data:
        return SectionStatus.SKIPPED
    if section.skips:
        return SectionStatus.PARTIAL
    return SectionStatus.OK


@dataclass
class _Running:
    """One collector of a run: its section, its own cancel token, its thread's future, the runner's verdict."""

    collector: Collector
    section: Section
    token: CancelToken
    begun: float
    future: Future[None] | None = None
    stopped: SectionStatus | None = None  # timeout/cancelled, set by the runner; a late thread must not change it

    @property
    def deadline(self) -> float:
        return self.begun + self.collector.timeout_s


def run_collectors(
    collectors: Sequence[Collector],
    ctx: CollectContext,
    progress: ProgressCallback | None = None,
    apply_rules: bool = True,
) -> Report:
    started = time.monotonic()
    host = ctx.host
    report = Report(
        host=host.name,
        generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        platform=host.platform,
        deskside_version=__version__,
    )
    total = len(collectors)
    finished = 0

    def emit(name: str, state: str) -> None:
        if progress is not None:
            try:
                progress(name, state, finished, total)
            except Exception:  # noqa: S110 - a broken progress display must never break a run
                pass

    def work(c: Collector, sub: CollectContext, section: Section) -> None:
        own = sub.options.get(c.name)
        if own is not None and not isinstance(own, dict):
            # `[diagnostics] logs = 5` instead of a `[diagnostics.logs]` table: say so and use the defaults.
            section.skip(f"setting diagnostics.{c.name}",
                         f"{own!r} is not a table of settings, so the defaults are used; put the settings of this "
                         f"check under a [diagnostics.{c.name}] heading in config.toml")
            sub.options = {**sub.options, c.name: {}}
        try:
            if host.platform not in c.platforms:
                section.skip(c.name, f"not available on {host.platform}")
                section.status = SectionStatus.SKIPPED
            elif c.local_only and not host.is_local:
                section.skip(c.name, "only available on the local machine")
                section.status = SectionStatus.SKIPPED
            else:
                c.collect(sub, section)
        except Cancelled:
            section.status = SectionStatus.CANCELLED
        except Exception as exc:
            section.status = SectionStatus.ERROR
            section.error = _one_line(exc)

    runs: dict[str, _Running] = {}
    for c in collectors:
        run = runs[c.name] = _Running(c, Section(name=c.name, title=c.title), CancelToken(), time.monotonic())
        sub = dataclasses.replace(ctx, cancel=run.token)
        run.future = start(functools.partial(work, c, sub, run.section), name=f"collector-{c.name}")
        emit(c.name, "running")

    futures = {name: run.future for name, run in runs.items() if run.future is not None}
    deadlines = {name: run.deadline for name, run in runs.items()}
    for name, ended in watch(futures, until=deadlines, cancel=ctx.cancel):
        run = runs[name]
        run.section.duration_s = time.monotonic() - run.begun
        if ended is Ended.DONE:
            run.section.status = _finish_status(run.section)
        else:
            # Stopped by the runner: its thread is told to stop, and its late writes never change this verdict.
            run.token.cancel()
            if ended is Ended.CANCELLED:
                report.cancelled = True
                run.stopped = SectionStatus.CANCELLED
            else:
                run.stopped = SectionStatus.TIMEOUT
                run.section.skip(name, f"did not finish within its {run.collector.timeout_s:g} s timeout; what was "
                                       "ready is kept")
            run.section.status = run.stopped
        finished += 1
        emit(name, run.section.status.value)
    if ctx.cancel.cancelled:
        report.cancelled = True

    stopped = [run.future for run in runs.values() if run.stopped is not None and run.future is not None]
    if stopped:
        concurrent.futures.wait(stopped, timeout=STOP_GRACE_S)
    # Snapshot (a deep copy) so a late collector thread cannot change the report under us.
    for name, run in runs.items():
        s = run.section
        report.sections[name] = dataclasses.replace(
            s, status=run.stopped or s.status, data=_clean(dict(s.data)),
            skips=[Skip(_text(k.item), _text(k.reason)) for k in list(s.skips)],
            error=_text(s.error) if s.error is not None else None,
        )
    if apply_rules:
        from .rules import evaluate

        report.findings = evaluate(report)
    report.duration_s = time.monotonic() - started
    return report
