"""File transfers of one connection, on a thread and an SFTP channel of their own.

A `TransferLane` runs the transfers queued on it one after another, on its own thread, with its own
`remote.sftp.SftpClient` opened on the worker's `Connection` (paramiko's Transport is thread-safe for opening
channels; each SFTP client is used by one thread only). So a folder listing, which the worker thread serves on its
own SFTP channel, is never queued behind a 1 GB download, and the terminals never wait for a transfer either.

Every transfer ends with exactly one `finished(id, TransferStatus, message)`; progress is reported at most every
PROGRESS_INTERVAL seconds (and for the last block).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

from remote.cancel import Cancelled, CancelToken
from remote.connection import Connection, ConnectionLost
from remote.sftp import SftpClient
from ui.remote_services import TransferStatus

from .commands import Download, Transfer, Upload

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.1  # seconds between two progress signals of one transfer
CANCELLED_MESSAGE = "cancelled; the partial file is kept and can be resumed"
NOT_STARTED_MESSAGE = "the connection closed before the transfer started"

ProgressSink = Callable[[int, int, int], None]  # transfer id, bytes done, bytes total
FinishedSink = Callable[[int, TransferStatus, str], None]  # transfer id, status, message


def error_message(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


class TransferLane:
    """Runs transfers on `conn` one at a time, on a thread started with the first one. `on_lost(error)` is called
    (on the lane's thread) when a transfer found the connection dead."""

    def __init__(self, conn: Connection, name: str, progress: ProgressSink, finished: FinishedSink,
                 on_lost: Callable[[ConnectionLost], None]) -> None:  # fmt: skip
        self._conn = conn
        self._name = name
        self._progress = progress
        self._finished = finished
        self._on_lost = on_lost
        self._jobs: queue.Queue[tuple[Transfer, CancelToken] | None] = queue.Queue()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._sftp: SftpClient | None = None  # owned by the lane's thread

    def submit(self, job: Transfer, token: CancelToken) -> None:
        """Queue a transfer (any thread). After stop() it is answered at once as not started."""
        if self._stopped.is_set():
            self._finish_unstarted(job, token)
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"ssh-transfers-{self._name}", daemon=True)
            self._thread.start()
        self._jobs.put((job, token))

    def stop(self, timeout: float = 5.0) -> None:
        """Answer the queued transfers, let the running one end (its token should be cancelled or the connection
        closed for that to be quick) and wait up to `timeout` seconds for the thread."""
        self._stopped.set()
        self._jobs.put(None)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the transfer thread of %s is still busy; it ends with its connection", self._name)

    # -- the lane's thread ------------------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while True:
                item = self._jobs.get()
                if item is None:
                    break
                job, token = item
                if self._stopped.is_set():
                    self._finish_unstarted(job, token)
                    continue
                self._run_one(job, token)
        finally:
            while True:  # anything queued after the sentinel
                try:
                    item = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    self._finish_unstarted(*item)
            if self._sftp is not None:
                self._sftp.close()
                self._sftp = None

    def _finish_unstarted(self, job: Transfer, token: CancelToken) -> None:
        if token.cancelled:
            self._finished(job.transfer_id, TransferStatus.CANCELLED, CANCELLED_MESSAGE)
        else:
            self._finished(job.transfer_id, TransferStatus.FAILED, NOT_STARTED_MESSAGE)

    def _run_one(self, job: Transfer, token: CancelToken) -> None:
        tid = job.transfer_id
        last = 0.0

        def progress(done: int, total: int, _current: str) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= PROGRESS_INTERVAL or done >= total:
                last = now
                self._progress(tid, int(done), int(total))

        try:
            if self._sftp is None:
                self._sftp = self._conn.sftp()
            if isinstance(job, Download):
                self._sftp.get(job.source, str(Path(job.target_dir)), resume=job.resume, progress=progress,
                               cancel=token)  # fmt: skip
            else:
                self._sftp.put(job.source, job.target_dir, resume=job.resume, progress=progress, cancel=token)
        except Cancelled:
            self._finished(tid, TransferStatus.CANCELLED, CANCELLED_MESSAGE)
        except Exception as exc:
            lost = exc if isinstance(exc, ConnectionLost) else self._conn.lost_error()
            if lost is None:
                log.warning("transfer %s failed: %s", describe(job), error_message(exc))
            self._finished(tid, TransferStatus.FAILED, error_message(lost or exc))
            if lost is not None:
                self._on_lost(lost)
        else:
            self._finished(tid, TransferStatus.OK, "")


def describe(job: Transfer) -> str:
    return f"{'put' if isinstance(job, Upload) else 'get'} {job.source} -> {job.target_dir}"
