"""Runs collectors in parallel, each under its own timeout, cancellable, reporting progress, and always returns
a Report (partial when cancelled or timed out) with durations and skips."""

from __future__ import annotations

import dataclasses
import datetime as dt
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

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
    done_q: queue.Queue[str] = queue.Queue()
    sections: dict[str, Section] = {}
    tokens: dict[str, CancelToken] = {}
    deadlines: dict[str, float] = {}
    begun: dict[str, float] = {}
    finished: set[str] = set()
    threads: dict[str, threading.Thread] = {}
    stopped: dict[str, SectionStatus] = {}  # the runner's verdict; a stopped thread must not overwrite it

    def emit(name: str, state: str) -> None:
        if progress is not None:
            try:
                progress(name, state, len(finished), total)
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
        finally:
            done_q.put(c.name)

    for c in collectors:
        section = Section(name=c.name, title=c.title)
        sections[c.name] = section
        tokens[c.name] = CancelToken()
        sub = dataclasses.replace(ctx, cancel=tokens[c.name])
        begun[c.name] = time.monotonic()
        deadlines[c.name] = begun[c.name] + c.timeout_s
        threads[c.name] = threading.Thread(target=work, args=(c, sub, section), name=f"collector-{c.name}",
                                           daemon=True)
        threads[c.name].start()
        emit(c.name, "running")

    pending = {c.name for c in collectors}
    while pending:
        try:
            name = done_q.get(timeout=0.05)
        except queue.Empty:
            name = None
        now = time.monotonic()
        if name is not None and name in pending:
            pending.discard(name)
            section = sections[name]
            section.duration_s = now - begun[name]
            section.status = _finish_status(section)
            finished.add(name)
            emit(name, section.status.value)
        if ctx.cancel.cancelled:
            report.cancelled = True
            for n in list(pending):
                tokens[n].cancel()
                sections[n].status = stopped[n] = SectionStatus.CANCELLED
                sections[n].duration_s = now - begun[n]
                pending.discard(n)
                finished.add(n)
                emit(n, "cancelled")
        for n in list(pending):
            if now >= deadlines[n]:
                tokens[n].cancel()
                s = sections[n]
                s.status = stopped[n] = SectionStatus.TIMEOUT
                s.duration_s = now - begun[n]
                s.skip(n, f"did not finish within its {next(c.timeout_s for c in collectors if c.name == n):g} s "
                          "timeout; what was ready is kept")
                pending.discard(n)
                finished.add(n)
                emit(n, "timeout")

    grace_end = time.monotonic() + STOP_GRACE_S
    for n in stopped:
        threads[n].join(max(0.0, grace_end - time.monotonic()))
    # Snapshot (a deep copy) so a late collector thread cannot change the report under us.
    for name, s in sections.items():
        report.sections[name] = dataclasses.replace(
            s, status=stopped.get(name, s.status), data=_clean(dict(s.data)),
            skips=[Skip(_text(k.item), _text(k.reason)) for k in list(s.skips)],
            error=_text(s.error) if s.error is not None else None,
        )
    if apply_rules:
        from .rules import evaluate

        report.findings = evaluate(report)
    report.duration_s = time.monotonic() - started
    return report
