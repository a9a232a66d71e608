"""The SFTP channel's receive buffer behaves like paramiko's BufferedPipe (reads, partial reads, close, timeout,
event), without moving data on each read."""

from __future__ import annotations

import threading

import pytest
from paramiko.buffered_pipe import BufferedPipe, PipeTimeout

from remote._chunkpipe import ChunkPipe


@pytest.mark.parametrize("cls", [BufferedPipe, ChunkPipe])
def test_same_behaviour_as_buffered_pipe(cls: type) -> None:
    p = cls()
    ev = threading.Event()
    p.set_event(ev)
    assert not ev.is_set() and not p.read_ready()
    with pytest.raises(PipeTimeout):
        p.read(10, timeout=0.01)
    p.feed(b"hello ")
    p.feed(b"world")
    assert ev.is_set() and p.read_ready() and len(p) == 11
    assert p.read(3) == b"hel"
    assert p.read(5) == b"lo wo"
    assert p.read(100) == b"rld"
    assert not ev.is_set() and not p.read_ready()
    p.feed(b"tail")
    p.close()
    assert ev.is_set()
    assert p.read(100) == b"tail"
    assert p.read(100) == b""  # closed and empty: EOF


def test_reader_waits_for_a_feeder_thread() -> None:
    p = ChunkPipe()
    threading.Timer(0.05, p.feed, args=(b"late",)).start()
    assert p.read(10, timeout=5) == b"late"
    assert p.empty() == b""
