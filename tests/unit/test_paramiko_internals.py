"""The parts of paramiko that remote/ uses beyond its documented API, pinned here so that a paramiko release which
changes them fails this test, not a user's session:

- `Channel.in_buffer` / `in_stderr_buffer` are BufferedPipes whose `set_event` moves their wake-up to another event
  (remote/exec.py, after close) and which can be replaced before data arrives (remote/sftp.py, _chunkpipe.py);
- `Channel._event_pending`, `_wait_for_event` and `Transport._send_user_message` send a channel request and wait for
  its answer (remote/channel_request.py).
"""

from __future__ import annotations

import threading
from typing import Any

import paramiko
from paramiko.buffered_pipe import BufferedPipe

from remote._chunkpipe import ChunkPipe


def test_channel_receive_buffers_are_pipes_whose_event_can_be_moved() -> None:
    chan = paramiko.Channel(7)
    for pipe in (chan.in_buffer, chan.in_stderr_buffer):
        assert isinstance(pipe, BufferedPipe)
        moved = threading.Event()
        pipe.set_event(moved)
        pipe.feed(b"late data")
        assert moved.is_set() and pipe.read(100) == b"late data"
    chan.in_buffer = ChunkPipe()
    chan.in_buffer.feed(b"abc")
    assert chan.recv_ready() and chan.recv(10) == b"abc"


def test_the_channel_request_internals_exist() -> None:
    chan: Any = paramiko.Channel(7)  # the internals are not in paramiko's type stubs
    transport: Any = paramiko.Transport
    for name in ("_event_pending", "_wait_for_event"):
        assert callable(getattr(chan, name)), name
    assert callable(transport._send_user_message)
    chan._event_pending()
    assert not chan.event.is_set() and chan.event_ready is False
