"""Host-key trust against a real sshd: unknown (asked, refused), accepted (OpenSSH agrees), changed (refused,
nothing sent)."""

from __future__ import annotations

import subprocess

import pytest

from remote.trust import HostKeyChanged, UnknownHostKey
from tests.integration.sshd import Answers, Sshd, SshEnv, keygen

pytestmark = [pytest.mark.integration, pytest.mark.root]


def test_unknown_key_refused_shows_openssh_fingerprint(ssh_env: SshEnv, sshd_server: Sshd) -> None:
    answers = Answers(accept=False, password=ssh_env.password)
    store = ssh_env.store()
    offset = sshd_server.log_size()
    with pytest.raises(UnknownHostKey) as err:
        ssh_env.connect(sshd_server, answers, store=store)
    fp = sshd_server.fingerprint()  # as `ssh-keygen -lf` prints it
    assert answers.asked == [("host_key", ("127.0.0.1", sshd_server.port, "ssh-ed25519", fp))]
    assert fp in str(err.value)
    assert not store.own_store_path.exists()
    import time

    end = time.monotonic() + 10  # until sshd has logged the end of the session, however the client closed it
    while not any(t in (log := sshd_server.log_since(offset)) for t in ("Connection reset", "Connection closed")):
        assert time.monotonic() < end, log
        time.sleep(0.05)
    assert "KEX done" in log
    assert "userauth-request" not in log


def test_accepted_key_is_written_and_openssh_agrees(ssh_env: SshEnv, sshd_server: Sshd) -> None:
    store = ssh_env.store()
    conn = ssh_env.connect(sshd_server, Answers(accept=True), store=store)
    conn.close()
    line = store.own_store_path.read_text()
    assert line == f"[127.0.0.1]:{sshd_server.port} {' '.join(sshd_server.host_pub_line.split()[:2])}\n"
    # OpenSSH itself, with StrictHostKeyChecking=yes, trusts the host through our file
    r = subprocess.run(
        ["ssh", "-F", "/dev/null", "-o", f"UserKnownHostsFile={store.own_store_path}",
         "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
         "-o", "IdentitiesOnly=yes", "-i", str(ssh_env.client_key),
         "-p", str(sshd_server.port), f"{ssh_env.user}@127.0.0.1", "echo", "openssh-agrees"],
        capture_output=True, text=True, timeout=30,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "openssh-agrees"
    # and the next connection does not ask
    again = Answers(accept=False)
    ssh_env.connect(sshd_server, again, store=store).close()
    assert again.asked == []


def test_hashed_known_hosts_entry_is_trusted(ssh_env: SshEnv, sshd_server: Sshd, tmp_path) -> None:
    kh = tmp_path / "known_hosts"
    kh.write_text(f"[127.0.0.1]:{sshd_server.port} {sshd_server.host_pub_line}\n")
    subprocess.run(["ssh-keygen", "-H", "-f", str(kh)], check=True, capture_output=True)
    assert kh.read_text().startswith("|1|")
    from remote.trust import HostKeyStore

    store = HostKeyStore([kh], tmp_path / "own")
    answers = Answers(accept=False)
    ssh_env.connect(sshd_server, answers, store=store).close()
    assert answers.asked == []


def test_changed_key_refused_and_no_credential_sent(ssh_env: SshEnv, sshd_server: Sshd, tmp_path) -> None:
    other = keygen(tmp_path / "other_host_key")
    store = ssh_env.store()
    kind, b64 = other.with_suffix(".pub").read_text().split()[:2]
    import base64

    store.accept("127.0.0.1", sshd_server.port, kind, base64.b64decode(b64))
    answers = Answers(accept=True, password=ssh_env.password, kbd=[ssh_env.password])
    offset = sshd_server.log_size()
    with pytest.raises(HostKeyChanged) as err:
        ssh_env.connect(sshd_server, answers, store=store)
    msg = str(err.value)
    assert "CHANGED" in msg
    assert sshd_server.fingerprint() in msg
    assert f"ssh-keygen -R '[127.0.0.1]:{sshd_server.port}'" in msg
    assert f"{store.own_store_path}:1" in msg
    assert answers.asked == []  # not even asked to accept
    log = sshd_server.wait_log("Connection closed by", offset=offset)  # the whole short session is logged
    assert "KEX done" in log  # the connection got as far as the key exchange...
    assert "userauth-request" not in log  # ...and not one authentication request followed
    assert "Accepted" not in log and "Failed" not in log


def test_host_known_by_its_rsa_key_is_not_asked_about_its_ed25519_key(ssh_env: SshEnv, tmp_path) -> None:
    # The server has two host keys and the store knows only the RSA one (a common known_hosts from years ago).
    # paramiko prefers Ed25519 and used to report the host as unknown; OpenSSH asks for the known type first.
    import base64

    from remote.trust import HostKeyStore

    rsa = keygen(tmp_path / "host_rsa", kind="rsa")
    srv = ssh_env.sshd("twokeys", extra=f"HostKey {rsa}")
    try:
        kind, b64 = rsa.with_suffix(".pub").read_text().split()[:2]
        store = HostKeyStore([], tmp_path / "own")
        store.accept("127.0.0.1", srv.port, kind, base64.b64decode(b64))
        answers = Answers(accept=False)
        conn = ssh_env.connect(srv, answers, store=store)
        try:
            assert conn.exec("echo ok").stdout == b"ok\n"
            assert conn.transport.get_remote_server_key().get_name() == "ssh-rsa"
        finally:
            conn.close()
        assert answers.asked == []
        # with nothing on record the preferred type is asked about, showing the Ed25519 fingerprint
        fresh = Answers(accept=False)
        with pytest.raises(UnknownHostKey):
            ssh_env.connect(srv, fresh, store=HostKeyStore([], tmp_path / "empty"))
        assert fresh.asked == [("host_key", ("127.0.0.1", srv.port, "ssh-ed25519", srv.fingerprint()))]
    finally:
        srv.stop()


def test_hash_known_hosts_writes_a_hashed_line_that_openssh_accepts(ssh_env: SshEnv, sshd_server: Sshd,
                                                                     tmp_path) -> None:
    from remote.trust import HostKeyStore

    store = HostKeyStore([], tmp_path / "own", hash_hostnames=True)
    ssh_env.connect(sshd_server, Answers(accept=True), store=store).close()
    line = store.own_store_path.read_text()
    assert line.startswith("|1|") and "127.0.0.1" not in line
    assert line.split()[1:] == sshd_server.host_pub_line.split()[:2]
    r = subprocess.run(
        ["ssh", "-F", "/dev/null", "-o", f"UserKnownHostsFile={store.own_store_path}",
         "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
         "-o", "IdentitiesOnly=yes", "-i", str(ssh_env.client_key),
         "-p", str(sshd_server.port), f"{ssh_env.user}@127.0.0.1", "echo", "openssh-agrees"],
        capture_output=True, text=True, timeout=30,
    )
    assert r.returncode == 0, r.stderr
    again = Answers(accept=False)  # and Deskside itself finds the hashed entry
    ssh_env.connect(sshd_server, again, store=store).close()
    assert again.asked == []
