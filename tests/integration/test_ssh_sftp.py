"""SFTP against a real sshd: files and folders both ways, progress, interrupted and resumed transfers, and hostile
remote names and symlinks that must not lead outside the local target folder."""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from remote.cancel import Cancelled, CancelToken
from remote.sftp import PART_SUFFIX, SftpError, UnsafePath
from tests.integration.sshd import Sshd, SshEnv

pytestmark = [pytest.mark.integration, pytest.mark.root]


@pytest.fixture
def remote_dir(ssh_env: SshEnv):
    """A fresh folder in the test user's home, owned by that user."""
    d = Path(f"/home/{ssh_env.user}/t-{secrets.token_hex(4)}")
    d.mkdir()
    shutil.chown(d, ssh_env.user, ssh_env.user)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def chown_tree(path: Path, user: str) -> None:
    subprocess.run(["chown", "-R", "-h", f"{user}:{user}", str(path)], check=True)


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_put_and_get_file_and_folder_with_progress(ssh_env: SshEnv, sshd_server: Sshd, remote_dir: Path,
                                                   tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub" / "deeper").mkdir(parents=True)
    (src / "a.bin").write_bytes(os.urandom(3_000_000))
    (src / "sub" / "b.txt").write_text("hello\n")
    (src / "sub" / "deeper" / "empty").write_bytes(b"")
    from remote.audit import AuditLog

    audit = AuditLog(tmp_path / "audit.jsonl")
    conn = ssh_env.connect(sshd_server, audit=audit)
    try:
        with conn.sftp() as sftp:
            calls: list[tuple[int, int, str]] = []
            res = sftp.put(src, str(remote_dir), progress=lambda d, t, n: calls.append((d, t, n)))
            assert res.files == 3 and res.bytes == 3_000_006
            assert calls[-1][0] == calls[-1][1] == 3_000_006
            assert len(calls) < 20  # throttled, not one call per 252 KiB block
            assert digest(remote_dir / "src" / "a.bin") == digest(src / "a.bin")
            names = [e.name for e in sftp.list(str(remote_dir / "src"))]
            assert names == ["sub", "a.bin"]  # folders first
            out = tmp_path / "out"
            out.mkdir()
            res = sftp.get(str(remote_dir / "src"), out)
            assert res.files == 3
            for rel in ("a.bin", "sub/b.txt", "sub/deeper/empty"):
                assert digest(out / "src" / rel) == digest(src / rel)
            assert not list(out.rglob("*" + PART_SUFFIX))
            with pytest.raises(SftpError, match="no such file"):
                sftp.get(str(remote_dir / "missing"), out)
    finally:
        conn.close()
    kinds = [(e["kind"], e["exit_status"], e.get("bytes")) for e in audit.entries()]
    assert kinds == [("sftp-put", 0, 3_000_006), ("sftp-get", 0, 3_000_006), ("sftp-get", 1, None)]
    assert audit.entries()[0]["command"] == f"put {src} -> {remote_dir}"


def test_interrupted_download_and_upload_resume_byte_identical(ssh_env: SshEnv, sshd_server: Sshd, remote_dir: Path,
                                                               tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("remote.sftp.PROGRESS_INTERVAL", 0.0)  # report every block, so we can stop midway
    big = remote_dir / "big.bin"
    big.write_bytes(os.urandom(8 * 1024 * 1024 + 123))
    chown_tree(big, ssh_env.user)
    out = tmp_path / "dl"
    out.mkdir()
    conn = ssh_env.connect(sshd_server)
    try:
        with conn.sftp() as sftp:
            token = CancelToken()

            def stop_midway(done: int, total: int, name: str) -> None:
                if done > total // 3:
                    token.cancel()

            with pytest.raises(Cancelled):
                sftp.get(str(big), out, progress=stop_midway, cancel=token)
            part = out / ("big.bin" + PART_SUFFIX)
            kept = part.stat().st_size
            assert 0 < kept < big.stat().st_size
            assert part.read_bytes() == big.read_bytes()[:kept]  # a clean prefix, no holes
            assert not (out / "big.bin").exists()
            res = sftp.get(str(big), out, resume=True)
            assert res.resumed_from == kept
            assert res.bytes == big.stat().st_size - kept
            assert digest(out / "big.bin") == digest(big)
            assert not part.exists()

            # upload the same way
            up = tmp_path / "up.bin"
            up.write_bytes(os.urandom(40 * 1024 * 1024 + 7))  # more than the 16 MiB kept in flight
            token = CancelToken()

            def stop_up(done: int, total: int, name: str) -> None:
                if done > total // 2:
                    token.cancel()

            with pytest.raises(Cancelled):
                sftp.put(up, str(remote_dir), progress=stop_up, cancel=token)
            rpart = remote_dir / ("up.bin" + PART_SUFFIX)
            assert 0 < rpart.stat().st_size < up.stat().st_size
            res = sftp.put(up, str(remote_dir), resume=True)
            assert res.resumed_from > 0
            assert digest(remote_dir / "up.bin") == digest(up)
            assert not rpart.exists()
    finally:
        conn.close()


def test_hostile_names_and_symlinks_never_escape_the_target(ssh_env: SshEnv, sshd_server: Sshd, remote_dir: Path,
                                                            tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret_dir = Path(f"/home/{ssh_env.user}/secret-{secrets.token_hex(3)}")
    secret_dir.mkdir()
    (secret_dir / "loot.txt").write_text("must not be copied\n")
    evil = remote_dir / "evil"
    evil.mkdir()
    (evil / "ok.txt").write_text("fine\n")
    (evil / "..\\..\\escaped.txt").write_text("backslash traversal\n")  # a legal name on Linux
    (evil / "C:evil.txt").write_text("drive\n")
    (evil / "link-out").symlink_to(secret_dir)  # a folder symlink leading out of the tree
    (evil / "file-link").symlink_to(secret_dir / "loot.txt")
    chown_tree(evil, ssh_env.user)
    chown_tree(secret_dir, ssh_env.user)
    target = tmp_path / "target"
    target.mkdir()
    conn = ssh_env.connect(sshd_server)
    try:
        with conn.sftp() as sftp:
            res = sftp.get(str(evil), target)
            written = sorted(str(p.relative_to(target)) for p in target.rglob("*"))
            assert written == ["evil", "evil/ok.txt"]
            skipped = "\n".join(res.skipped)
            assert "backslash" in skipped and "drive" in skipped
            assert "link-out: a symbolic link on the server, not followed" in skipped
            assert not list(outside.iterdir())
            assert not list(tmp_path.glob("escaped*"))
            # a single hostile file is refused outright
            with pytest.raises(UnsafePath):
                sftp.get(str(evil / "..\\..\\escaped.txt"), target)
            # a local symlink in the target folder cannot be used to write outside it
            target2 = tmp_path / "target2"
            target2.mkdir()
            (target2 / "evil").symlink_to(outside)
            with pytest.raises(UnsafePath):
                sftp.get(str(evil), target2)
            (target2 / "ok.txt").symlink_to(outside / "planted.txt")
            with pytest.raises(UnsafePath):
                sftp.get(str(evil / "ok.txt"), target2)
            assert not list(outside.iterdir())
    finally:
        conn.close()
        shutil.rmtree(secret_dir, ignore_errors=True)


def test_download_cut_by_a_dead_connection_resumes_on_a_new_one(ssh_env: SshEnv, fresh_sshd: Sshd,
                                                                 tmp_path: Path, monkeypatch) -> None:
    import signal

    from remote.connection import ConnectionLost
    from remote.sftp import SftpError

    monkeypatch.setattr("remote.sftp.PROGRESS_INTERVAL", 0.0)
    src = Path(f"/home/{ssh_env.user}/cut-{secrets.token_hex(3)}.bin")
    src.write_bytes(os.urandom(48 * 1024 * 1024))
    chown_tree(src, ssh_env.user)
    out = tmp_path / "dl"
    out.mkdir()
    try:
        conn = ssh_env.connect(fresh_sshd)
        killed: list[int] = []

        def kill_midway(done: int, total: int, name: str) -> None:
            if done > total // 4 and not killed:
                killed.extend(fresh_sshd.signal_sessions(signal.SIGKILL))

        with conn.sftp() as sftp, pytest.raises((ConnectionLost, SftpError)) as err:
            sftp.get(str(src), out, progress=kill_midway)
        assert killed
        assert "Reconnect" in str(err.value) or "kept in" in str(err.value)
        conn.close()
        part = out / (src.name + PART_SUFFIX)
        kept = part.stat().st_size
        assert 0 < kept < src.stat().st_size
        conn = ssh_env.connect(fresh_sshd)
        try:
            with conn.sftp() as sftp:
                res = sftp.get(str(src), out, resume=True)
        finally:
            conn.close()
        assert res.resumed_from == kept
        assert digest(out / src.name) == digest(src)
    finally:
        src.unlink(missing_ok=True)


def test_ctrl_c_in_the_middle_of_a_read_does_not_hang(ssh_env: SshEnv, sshd_server: Sshd, tmp_path: Path,
                                                     monkeypatch) -> None:
    # Ctrl-C raises KeyboardInterrupt wherever the main thread is: here just after an answer was read off the
    # channel and before it was filed. Collecting the answers in flight then waited forever for that one
    # (`deskside sftp get` hung after Ctrl-C). After a KeyboardInterrupt the SFTP channel is closed instead.
    from remote.sftp_wire import Pipeline

    src = Path(f"/home/{ssh_env.user}/ctrlc-{secrets.token_hex(3)}.bin")
    src.write_bytes(os.urandom(24 * 1024 * 1024))
    chown_tree(src, ssh_env.user)
    out = tmp_path / "dl"
    out.mkdir()
    real_read = Pipeline._async_response
    calls = {"n": 0}

    def read(self: Pipeline, t: int, msg: object, num: int) -> None:
        calls["n"] += 1
        if calls["n"] == 30:
            raise KeyboardInterrupt
        real_read(self, t, msg, num)

    conn = ssh_env.connect(sshd_server)
    try:
        with conn.sftp() as sftp:
            monkeypatch.setattr(Pipeline, "_async_response", read)
            with pytest.raises(KeyboardInterrupt):
                sftp.get(str(src), out)
            monkeypatch.setattr(Pipeline, "_async_response", real_read)
        kept = (out / (src.name + PART_SUFFIX)).stat().st_size  # kept for --resume
        assert kept > 0
        assert conn.exec("echo still-usable", timeout=20).stdout == b"still-usable\n"  # the connection is fine
        with conn.sftp() as sftp:
            assert sftp.get(str(src), out, resume=True).resumed_from == kept
        assert digest(out / src.name) == digest(src)
    finally:
        conn.close()
        src.unlink(missing_ok=True)


def test_cancel_while_the_server_is_frozen_returns(ssh_env: SshEnv, fresh_sshd: Sshd, tmp_path: Path,
                                                   monkeypatch) -> None:
    # Cancelling collects the answers still in flight; a server that stopped answering must not keep it waiting
    # past DRAIN_LIMIT (no keepalive here, so nothing else would end the wait).
    import signal
    import threading

    monkeypatch.setattr("remote.sftp.PROGRESS_INTERVAL", 0.0)
    monkeypatch.setattr("remote.sftp_wire.DRAIN_LIMIT", 1.0)
    src = Path(f"/home/{ssh_env.user}/frozen-{secrets.token_hex(3)}.bin")
    src.write_bytes(os.urandom(48 * 1024 * 1024))
    chown_tree(src, ssh_env.user)
    out = tmp_path / "dl"
    out.mkdir()
    conn = ssh_env.connect(fresh_sshd, keepalive_interval=0)
    cancel = CancelToken()
    frozen: list[int] = []

    def freeze_then_cancel(done: int, total: int, name: str) -> None:
        if done > total // 4 and not frozen:
            frozen.extend(fresh_sshd.signal_sessions(signal.SIGSTOP))
            cancel.cancel()

    ended = threading.Event()
    try:
        with conn.sftp() as sftp:
            def run() -> None:
                with pytest.raises(Cancelled):
                    sftp.get(str(src), out, progress=freeze_then_cancel, cancel=cancel)
                ended.set()

            t = threading.Thread(target=run, daemon=True)
            t.start()
            assert ended.wait(30), "the cancelled download hung on a frozen server"
            assert frozen
    finally:
        fresh_sshd.signal_sessions(signal.SIGCONT)
        conn.close()
        src.unlink(missing_ok=True)


def test_local_file_or_folder_in_the_way_is_a_clear_error(ssh_env: SshEnv, sshd_server: Sshd, remote_dir: Path,
                                                          tmp_path: Path) -> None:
    # These were OSErrors (reported as a Deskside bug), the first one only after the whole file had come.
    (remote_dir / "f.bin").write_bytes(b"x" * 100_000)
    (remote_dir / "tree" / "sub").mkdir(parents=True)
    chown_tree(remote_dir, ssh_env.user)
    out = tmp_path / "out"
    (out / "f.bin").mkdir(parents=True)  # a folder where the file goes
    (out / "tree").mkdir()
    (out / "tree" / "sub").write_text("a file where the folder goes")
    conn = ssh_env.connect(sshd_server)
    try:
        with conn.sftp() as sftp:
            with pytest.raises(SftpError, match=r"there is a folder .*f\.bin in the way"):
                sftp.get(str(remote_dir / "f.bin"), out)
            assert not (out / ("f.bin" + PART_SUFFIX)).exists()  # nothing was fetched for it
            with pytest.raises(SftpError, match=r"cannot create the folder .*tree/sub: a file of that name"):
                sftp.get(str(remote_dir / "tree"), out)
            assert (out / "tree" / "sub").read_text() == "a file where the folder goes"
    finally:
        conn.close()
