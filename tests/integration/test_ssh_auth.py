"""Logins against a real OpenSSH sshd: key, encrypted key, agent, certificate, password, keyboard-interactive."""

from __future__ import annotations

import os
import subprocess

import pytest

from remote.auth import AuthError
from tests.integration.sshd import Answers, Sshd, SshEnv, keygen

pytestmark = [pytest.mark.integration, pytest.mark.root]


def test_key_file_login_runs_commands(ssh_env: SshEnv, sshd_server: Sshd) -> None:
    conn = ssh_env.connect(sshd_server)
    try:
        assert conn.auth_method.startswith("publickey (key file")
        r = conn.exec("id -un")
        assert r.exit_status == 0
        assert r.stdout.decode().strip() == ssh_env.user
    finally:
        conn.close()
    assert "Accepted publickey for dsktest" in sshd_server.wait_log("Accepted publickey for dsktest")


def test_encrypted_key_asks_passphrase_and_saves_it_to_the_store(ssh_env: SshEnv, sshd_server: Sshd,
                                                                  tmp_path) -> None:
    key = keygen(tmp_path / "enc_key", passphrase="correct horse")
    sshd_server.authorize(key.with_suffix(".pub"))

    class MemorySecrets:
        def __init__(self) -> None:
            self.data: dict[str, str] = {}

        def get(self, k: str) -> str | None:
            return self.data.get(k)

        def set(self, k: str, v: str) -> None:
            self.data[k] = v

        def delete(self, k: str) -> None:
            self.data.pop(k, None)

    secrets = MemorySecrets()
    answers = Answers(passphrase="correct horse")
    conn = ssh_env.connect(sshd_server, answers, identity_files=[str(key)], secrets=secrets, save_secrets=True)
    conn.close()
    assert ("passphrase", str(key)) in answers.asked
    assert list(secrets.data.values()) == ["correct horse"]
    # second time: from the store, no question
    again = Answers(passphrase=None)
    conn = ssh_env.connect(sshd_server, again, identity_files=[str(key)], secrets=secrets)
    conn.close()
    assert not [a for a in again.asked if a[0] == "passphrase"]


def test_wrong_passphrase_gives_clear_error(ssh_env: SshEnv, sshd_server: Sshd, tmp_path) -> None:
    key = keygen(tmp_path / "enc_key2", passphrase="right")
    answers = Answers(passphrase="wrong")
    with pytest.raises(AuthError) as err:
        ssh_env.connect(sshd_server, answers, identity_files=[str(key)])
    assert "wrong passphrase" in str(err.value)
    assert len([a for a in answers.asked if a[0] == "passphrase"]) == 3


def test_agent_login(ssh_env: SshEnv, sshd_server: Sshd, tmp_path, monkeypatch) -> None:
    sock = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if sock.exists():
                break
            subprocess.run(["sleep", "0.05"])
        key = keygen(tmp_path / "agent_key")
        sshd_server.authorize(key.with_suffix(".pub"))
        env = dict(os.environ, SSH_AUTH_SOCK=str(sock))
        subprocess.run(["ssh-add", str(key)], env=env, check=True, capture_output=True)
        key.unlink()  # only the agent has it now
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        from remote.connection import Connection

        conn = Connection(ssh_env.trusted_store(sshd_server), use_agent=True)
        conn.connect(ssh_env.profile(sshd_server), Answers(), timeout=20)
        try:
            assert conn.auth_method.startswith("publickey (agent key ssh-ed25519")
            assert conn.exec("echo via-agent").stdout == b"via-agent\n"
        finally:
            conn.close()
    finally:
        agent.terminate()
        agent.wait(5)


def test_user_certificate_login(ssh_env: SshEnv, tmp_path) -> None:
    ca = keygen(tmp_path / "ca")
    key = keygen(tmp_path / "cert_user")
    subprocess.run(["ssh-keygen", "-q", "-s", str(ca), "-I", "deskside-test", "-n", ssh_env.user, "-V", "+1h",
                    str(key.with_suffix(".pub"))], check=True, capture_output=True)
    assert (tmp_path / "cert_user-cert.pub").exists()
    server = ssh_env.sshd("certsrv", authorize=False)  # the plain key is NOT authorized, only the CA is trusted
    try:
        server.trust_ca(ca.with_suffix(".pub"))
        conn = ssh_env.connect(server, identity_files=[str(key)])
        try:
            assert conn.auth_method.startswith("publickey (certificate")
        finally:
            conn.close()
        assert "Accepted publickey for dsktest" in server.wait_log("Accepted publickey for dsktest")
        assert "ID deskside-test" in server.wait_log("ID deskside-test")
    finally:
        server.stop()


def test_password_login_and_wrong_password(ssh_env: SshEnv) -> None:
    server = ssh_env.sshd("pwsrv", extra="KbdInteractiveAuthentication no", authorize=False)
    try:
        good = Answers(password=ssh_env.password)
        conn = ssh_env.connect(server, good, identity_files=[])
        try:
            assert conn.auth_method == "password"
            assert conn.exec("echo ok").stdout == b"ok\n"
        finally:
            conn.close()
        bad = Answers(password="not-the-password")
        with pytest.raises(AuthError) as err:
            ssh_env.connect(server, bad, identity_files=[])
        msg = str(err.value)
        assert "login as dsktest@127.0.0.1" in msg and "password (rejected)" in msg
        assert "The server accepts: publickey, password" in msg
        assert "not-the-password" not in msg
        assert "Failed password for dsktest" in server.wait_log("Failed password for dsktest")
    finally:
        server.stop()


def test_keyboard_interactive_login(ssh_env: SshEnv, sshd_server: Sshd) -> None:
    answers = Answers(kbd=[ssh_env.password])
    conn = ssh_env.connect(sshd_server, answers, identity_files=[])
    try:
        assert conn.auth_method == "keyboard-interactive"
        prompts = [a[1] for a in answers.asked if a[0] == "kbd"]
        assert prompts and prompts[0][0][0].lower().startswith("password")  # PAM's prompt, not echoed
        assert prompts[0][0][1] is False
    finally:
        conn.close()
    accepted = "Accepted keyboard-interactive/pam for dsktest"
    assert accepted in sshd_server.wait_log(accepted)
