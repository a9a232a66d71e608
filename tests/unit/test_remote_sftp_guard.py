"""The download path guard with hostile names, including a listing crafted the way a malicious server could send it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remote.sftp import SftpClient, TransferResult, UnsafePath, check_remote_name, safe_local_path

HOSTILE = ["..", ".", "", "../etc/passwd", "/etc/passwd", "a/b", "..\\..\\x", "x\\y", "C:evil", "c:\\w", "a\0b"]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(UnsafePath):
        check_remote_name(name)
    with pytest.raises(UnsafePath):
        safe_local_path(tmp_path, ["ok", name])


@pytest.mark.parametrize("name", ["file.txt", "..hidden", "a..b", ".bashrc", "naïve ☃", "-rf", "~"])
def test_ordinary_names_pass(name: str, tmp_path: Path) -> None:
    assert safe_local_path(tmp_path, [name]) == tmp_path / name


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=12), min_size=1, max_size=4))
def test_any_accepted_path_stays_inside(tmp_path_factory: pytest.TempPathFactory, parts: list[str]) -> None:
    root = tmp_path_factory.mktemp("root")
    try:
        p = safe_local_path(root, parts)
    except UnsafePath:
        return
    assert os.path.commonpath([os.path.abspath(p), str(root)]) == str(root)
    assert os.path.abspath(p) != str(root)


def test_symlinks_on_disk_cannot_lead_out(tmp_path: Path) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "dir").symlink_to(outside)
    (root / "file").symlink_to(outside / "x")
    with pytest.raises(UnsafePath, match="outside"):
        safe_local_path(root, ["dir", "payload"])
    with pytest.raises(UnsafePath, match="symlink"):
        safe_local_path(root, ["file"])


class _Attr:
    def __init__(self, name: str, mode: int, size: int = 1) -> None:
        self.filename, self.st_mode, self.st_size, self.st_mtime = name, mode, size, 0


class _HostileServer:
    """Answers READDIR with names no honest server would send."""

    def listdir_attr(self, path: str) -> list[_Attr]:
        if path == "/d":
            return [
                _Attr("../../escape", stat.S_IFREG | 0o644),
                _Attr("/etc/cron.d/evil", stat.S_IFREG | 0o644),
                _Attr("sub/../../x", stat.S_IFDIR | 0o755),
                _Attr("..", stat.S_IFDIR | 0o755),
                _Attr("link", stat.S_IFLNK | 0o777),
                _Attr("good", stat.S_IFREG | 0o644),
                _Attr("gooddir", stat.S_IFDIR | 0o755),
            ]
        return [_Attr("inner", stat.S_IFREG | 0o644)]


def test_crafted_listing_only_plans_safe_entries() -> None:
    client = SftpClient(_HostileServer())  # type: ignore[arg-type]
    plan: list = []
    result = TransferResult()
    client._plan_folder("/d", ["d"], plan, result)
    assert [parts for _, parts in plan] == [["d", "gooddir"], ["d", "gooddir", "inner"], ["d", "good"]]
    assert len(result.skipped) == 5
    assert any("link: a symbolic link" in s for s in result.skipped)


@pytest.mark.parametrize("name", ["CON", "nul.txt", "Com1.log", "aux ", "LPT9", "x:stream", "file.txt:Zone",
                                  "evil.", "...", "trailing ", "COM\u00b9"])
def test_names_windows_would_misread_are_refused_there(name: str) -> None:
    # On Windows these open a device, write an alternate data stream, or lose their trailing dot/space and so name
    # another entry; elsewhere they are ordinary names
    with pytest.raises(UnsafePath):
        check_remote_name(name, windows=True)
    if ":" not in name[:2]:
        assert check_remote_name(name, windows=False) == name


@pytest.mark.parametrize("name", ["console.txt", "con-fig", "a.b.c", "nul_", "com10"])
def test_ordinary_names_pass_on_windows_too(name: str) -> None:
    assert check_remote_name(name, windows=True) == name
