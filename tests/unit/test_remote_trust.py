"""known_hosts reading (plain, wildcard, hashed, [host]:port, @revoked), fingerprints as OpenSSH prints them, and the
OpenSSH-format line written on accept."""

from __future__ import annotations

import base64
import hashlib
import hmac
import shutil
import subprocess
from pathlib import Path

import pytest

from remote.trust import (
    HostKeyChanged,
    HostKeyRevoked,
    HostKeyStore,
    UnknownHostKey,
    fingerprint_sha256,
    host_entry,
)

BLOB_A = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(range(32))
BLOB_B = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(range(1, 33))
B64_A = base64.b64encode(BLOB_A).decode()
B64_B = base64.b64encode(BLOB_B).decode()


def hashed(entry: str, salt: bytes = b"0123456789abcdefghij") -> str:
    digest = hmac.new(salt, entry.encode(), hashlib.sha1).digest()
    return f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"


def test_fingerprint_matches_ssh_keygen(tmp_path: Path) -> None:
    if not shutil.which("ssh-keygen"):
        pytest.skip("ssh-keygen not installed")
    key = tmp_path / "k"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    b64 = key.with_suffix(".pub").read_text().split()[1]
    printed = subprocess.run(["ssh-keygen", "-lf", str(key.with_suffix(".pub"))], capture_output=True, text=True,
                             check=True).stdout.split()[1]
    assert fingerprint_sha256(base64.b64decode(b64)) == printed
    assert "=" not in printed


def test_known_key_variants(tmp_path: Path) -> None:
    kh = tmp_path / "known_hosts"
    kh.write_text(
        "# comment\n"
        f"{hashed('[10.0.0.1]:2222')} ssh-ed25519 {B64_A}\n"
        f"*.lab,!bad.lab ssh-ed25519 {B64_A}\n"
        f"plainhost,10.0.0.9 ssh-ed25519 {B64_A} comment here\n"
    )
    store = HostKeyStore([kh], None)
    store.check("10.0.0.1", 2222, "ssh-ed25519", BLOB_A)  # hashed [host]:port
    store.check("db.lab", 22, "ssh-ed25519", BLOB_A)  # wildcard
    store.check("10.0.0.9", 22, "ssh-ed25519", BLOB_A)
    with pytest.raises(UnknownHostKey):
        store.check("bad.lab", 22, "ssh-ed25519", BLOB_A)  # negated
    with pytest.raises(UnknownHostKey):
        store.check("10.0.0.1", 22, "ssh-ed25519", BLOB_A)  # other port is another host


def test_changed_key_names_the_line_and_the_fix(tmp_path: Path) -> None:
    kh = tmp_path / "known_hosts"
    kh.write_text(f"other ssh-ed25519 {B64_B}\n[127.0.0.1]:2200 ssh-ed25519 {B64_A}\n")
    store = HostKeyStore([kh], tmp_path / "own")
    with pytest.raises(HostKeyChanged) as err:
        store.check("127.0.0.1", 2200, "ssh-ed25519", BLOB_B)
    e = err.value
    assert e.known_hosts_line_ref == f"{kh}:2"
    assert e.fingerprint == fingerprint_sha256(BLOB_B) and e.known_fingerprint == fingerprint_sha256(BLOB_A)
    assert f"ssh-keygen -R '[127.0.0.1]:2200' -f {kh}" in str(e)


def test_other_key_type_is_unknown_not_changed(tmp_path: Path) -> None:
    kh = tmp_path / "known_hosts"
    kh.write_text(f"h ssh-rsa {B64_B}\n")
    with pytest.raises(UnknownHostKey) as err:
        HostKeyStore([kh], None).check("h", 22, "ssh-ed25519", BLOB_A)
    assert err.value.other_types == ["ssh-rsa"]


def test_revoked_key_is_refused(tmp_path: Path) -> None:
    kh = tmp_path / "known_hosts"
    kh.write_text(f"@revoked * ssh-ed25519 {B64_A}\nh ssh-ed25519 {B64_A}\n")
    with pytest.raises(HostKeyRevoked):
        HostKeyStore([kh], None).check("h", 22, "ssh-ed25519", BLOB_A)


def test_accept_appends_openssh_line_and_forget(tmp_path: Path) -> None:
    own = tmp_path / "data" / "known_hosts"
    store = HostKeyStore([tmp_path / "missing"], own)
    with pytest.raises(UnknownHostKey):
        store.check("127.0.0.1", 2200, "ssh-ed25519", BLOB_A)
    store.accept("127.0.0.1", 2200, "ssh-ed25519", BLOB_A)
    store.accept("h", 22, "ssh-ed25519", BLOB_B)
    assert own.read_text() == f"[127.0.0.1]:2200 ssh-ed25519 {B64_A}\nh ssh-ed25519 {B64_B}\n"
    assert own.stat().st_mode & 0o777 == 0o600
    store.check("127.0.0.1", 2200, "ssh-ed25519", BLOB_A)
    assert store.forget("127.0.0.1", 2200) == 1
    assert own.read_text() == f"h ssh-ed25519 {B64_B}\n"
    assert host_entry("::1", 22) == "::1" and host_entry("::1", 2) == "[::1]:2"


def test_known_key_types_go_first_in_the_handshake() -> None:
    from remote.trust import prefer_known_types

    algs = ["ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256"]
    assert prefer_known_types(algs, ["ssh-rsa"]) == ["rsa-sha2-512", "rsa-sha2-256", "ssh-ed25519",
                                                     "ecdsa-sha2-nistp256"]
    assert prefer_known_types(algs, ["ecdsa-sha2-nistp256", "ssh-rsa"])[:3] == [
        "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256"]
    assert prefer_known_types(algs, []) == algs


def test_unwritable_store_is_a_trust_error_naming_the_file(tmp_path: Path) -> None:
    from remote.trust import HostKeyStore, TrustError

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    store = HostKeyStore([], blocker / "known_hosts")
    with pytest.raises(TrustError, match=r"host key in .*known_hosts: File exists\. Nothing was sent"):
        store.accept("127.0.0.1", 22, "ssh-ed25519", b"\0\0\0\x0bssh-ed25519")
