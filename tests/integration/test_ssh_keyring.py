"""Passwords and key passphrases saved in a REAL system keyring (Secret Service via gnome-keyring, as
scripts/run-tests.sh provides), used for the next login without asking."""

from __future__ import annotations

import os
import secrets

import pytest

from remote.auth import KeyringSecrets, passphrase_key, password_key
from tests.conftest import need
from tests.integration.sshd import Answers, SshEnv, keygen

pytestmark = [pytest.mark.integration, pytest.mark.root]


@pytest.fixture
def real_keyring() -> KeyringSecrets:
    need(os.environ.get("DESKSIDE_TEST_KEYRING") == "1", "a real Secret Service keyring (run via scripts/run-tests.sh)")
    import keyring

    need("SecretService" in type(keyring.get_keyring()).__module__, "the SecretService keyring backend")
    return KeyringSecrets(service=f"deskside-test-{secrets.token_hex(4)}")


def test_password_saved_in_keyring_and_reused(ssh_env: SshEnv, real_keyring: KeyringSecrets) -> None:
    import keyring

    server = ssh_env.sshd("kr", extra="KbdInteractiveAuthentication no", authorize=False)
    try:
        first = Answers(password=ssh_env.password)
        ssh_env.connect(server, first, identity_files=[], secrets=real_keyring, save_secrets=True).close()
        key = password_key(ssh_env.user, "127.0.0.1", server.port)
        assert keyring.get_password(real_keyring.service, key) == ssh_env.password
        second = Answers(password=None)
        conn = ssh_env.connect(server, second, identity_files=[], secrets=real_keyring)
        assert conn.auth_method == "password (keyring)"
        conn.close()
        assert second.asked == []
        # a stale saved password is not fatal: the user is asked again
        keyring.set_password(real_keyring.service, key, "stale")
        third = Answers(password=ssh_env.password)
        ssh_env.connect(server, third, identity_files=[], secrets=real_keyring).close()
        assert [a[0] for a in third.asked] == ["password"]
    finally:
        server.stop()
        real_keyring.delete(password_key(ssh_env.user, "127.0.0.1", server.port))


def test_passphrase_saved_in_keyring(ssh_env: SshEnv, sshd_server, real_keyring: KeyringSecrets, tmp_path) -> None:
    import keyring

    key = keygen(tmp_path / "kr_key", passphrase="kr-pass")
    sshd_server.authorize(key.with_suffix(".pub"))
    try:
        ssh_env.connect(sshd_server, Answers(passphrase="kr-pass"), identity_files=[str(key)], secrets=real_keyring,
                        save_secrets=True).close()
        assert keyring.get_password(real_keyring.service, passphrase_key(str(key))) == "kr-pass"
        again = Answers()
        ssh_env.connect(sshd_server, again, identity_files=[str(key)], secrets=real_keyring).close()
        assert again.asked == []
    finally:
        real_keyring.delete(passphrase_key(str(key)))
