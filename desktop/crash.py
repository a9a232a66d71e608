"""Unexpected errors in the GUI: an exception escaping a Qt slot or event handler (`sys.excepthook`) or a thread
(`threading.excepthook`) is logged, appended to `crash.log` in the log folder (the file `deskside` on the command
line writes too), and shown in a dialog (ui/crash_dialog.py) that offers to send the crash log as a ticket through
the normal Get Help pipeline: masked, previewed, sent only when the user presses Send.

The hooks may run on any thread; they only format the text and hand it to the GUI thread through a queued signal.
The log file is written on a worker thread (the task runner), never on the GUI thread.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Signal

from common.cancel import CancelToken
from diagnostics import __version__
from ui.crash_dialog import CrashDialog
from ui.main_window import MainWindow

from . import paths
from .tasks import TaskRunner

log = logging.getLogger(__name__)

LOG_NAME = "deskside-crash.log"  # its name in the ticket's bundle (logs/deskside-crash.log.txt)


def headline(exc: BaseException) -> str:
    """"ValueError: the first line of its message" (what the dialog and the ticket's summary say)."""
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first[:160]}" if first else type(exc).__name__


def crash_text(exc: BaseException, tb: TracebackType | None, where: str, now: dt.datetime | None = None) -> str:
    """The crash log entry: when, which version and thread, and the traceback."""
    when = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    details = "".join(traceback.format_exception(type(exc), exc, tb))
    return (f"--- {when} deskside {__version__} (desktop app, {sys.platform}, Python "
            f"{sys.version.split()[0]}): unexpected error in {where}\n{details}")


def without_secrets(text: str) -> str:
    """`text` with passwords, tokens and keys replaced by <secret-N> (an exception message can quote a config
    value or an answer): no secret is written to a file of ours. The rest is kept for whoever reads the log; a
    ticket made from it is masked in full (and previewed) by the ticket service."""
    from tickets.redact import Redactor
    from tickets.redact_patterns import KINDS

    return Redactor().redact_text(text, skip=frozenset(k for k in KINDS if k != "secret"))


def append_log(text: str, directory: Path | None = None) -> Path:
    """Append `text`, its secrets masked, to crash.log (blocking: call on a worker). Returns the file's path."""
    folder = paths.ensure(directory or paths.log_dir())
    path = folder / "crash.log"
    text = without_secrets(text)
    with open(path, "a", encoding="utf-8", errors="replace") as fh:
        fh.write(text if text.endswith("\n") else text + "\n")
    path.chmod(0o600)
    return path


class CrashHandler(QObject):
    """Installs the hooks; shows one dialog at a time (later errors are counted in it). `dialog` is the open
    dialog; `last_path` the crash log once written; `opened_ticket(str)` is emitted when Get Help was opened."""

    crashed = Signal(str, str)  # headline, crash log text (emitted from any thread)
    opened_ticket = Signal(str)

    def __init__(self, window: MainWindow, tasks: TaskRunner, log_dir: Callable[[], Path] = paths.log_dir) -> None:
        super().__init__(window)
        self._window = window
        self._tasks = tasks
        self._log_dir = log_dir
        self.dialog: CrashDialog | None = None
        self.last_path: Path | None = None
        self.texts: list[str] = []  # the entries of the crash the dialog is about (and those since)
        self._previous: tuple[Any, Any] | None = None
        self._showing = False
        self.crashed.connect(self._show)

    # ---------------------------------------------------------------- hooks (any thread)
    def install(self) -> None:
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_excepthook

    def uninstall(self) -> None:
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous
            self._previous = None

    def _excepthook(self, etype: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(etype, KeyboardInterrupt):
            sys.__excepthook__(etype, exc, tb)
            return
        self._report(exc, tb, "the window (a Qt slot or event handler)")
        if self._previous is not None:
            self._previous[0](etype, exc, tb)  # the traceback on stderr too, for whoever started it in a terminal

    def _thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else "a thread"
        self._report(args.exc_value, args.exc_traceback, f"the thread {name!r}")
        if self._previous is not None:
            self._previous[1](args)

    def _report(self, exc: BaseException, tb: TracebackType | None, where: str) -> None:
        text = crash_text(exc, tb, where)
        log.error("unexpected error in %s: %s", where, headline(exc))
        try:
            # the headline is shown on screen: its secrets masked too (the full text is masked in the ticket)
            self.crashed.emit(without_secrets(headline(exc)), text)  # queued to the GUI thread from elsewhere
        except RuntimeError:  # the window is gone (the app is quitting): the log line above is what remains
            pass

    # ---------------------------------------------------------------- GUI thread
    def _show(self, what: str, text: str) -> None:
        if self._showing:  # an error while showing the dialog: no loop of dialogs
            return
        self._showing = True
        try:
            self._show_once(what, text)
        except Exception:  # the dialog itself failed: the log keeps it; raising here would call the hook again
            log.exception("the crash dialog could not be shown")
        finally:
            self._showing = False

    def _show_once(self, what: str, text: str) -> None:
        self._save(text)
        if self.dialog is not None and self.dialog.isVisible():
            self.texts.append(text)
            self.dialog.add_more()
            return
        self.texts = [text]
        self.last_path = None
        dialog = CrashDialog(what, self._window)
        dialog.send_requested.connect(lambda: self.send_as_ticket(what))
        self.dialog = dialog
        dialog.open()

    def _save(self, text: str) -> None:
        directory = self._log_dir()

        def job(_token: CancelToken, _progress: Callable[[Any], None]) -> Path:
            return append_log(text, directory)

        task = self._tasks.start(job, name="crash-log")
        task.succeeded.connect(self._saved)
        task.failed.connect(self._not_saved)

    def _saved(self, path: Path) -> None:
        self.last_path = path
        if self.dialog is not None:
            self.dialog.set_saved(str(path))

    def _not_saved(self, exc: BaseException) -> None:
        from ui.errors import user_message

        if self.dialog is not None:
            self.dialog.set_not_saved(user_message(exc))

    def send_as_ticket(self, what: str) -> None:
        """Open Get Help with this crash's log attached; the user previews (masked) and sends it there."""
        from ui.get_help_page import GetHelpPage

        page = self._window.page("help")
        if not isinstance(page, GetHelpPage):
            return
        page.report_crash(f"Deskside stopped with an unexpected error ({what})", LOG_NAME, "\n".join(self.texts))
        self._window.show_page("help")
        self.opened_ticket.emit(what)


def install(window: MainWindow, tasks: TaskRunner) -> CrashHandler:
    handler = CrashHandler(window, tasks)
    handler.install()
    return handler
