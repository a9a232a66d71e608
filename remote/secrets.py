"""Where passwords and key passphrases are kept: the system keyring (through `keyring`), or nowhere. Never a file
of ours, never a log."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

KEYRING_SERVICE = "deskside-ssh"


class SecretStore(Protocol):
    def get(self, key: str) -> str | None: ...

    def set(self, key: str, secret: str) -> None: ...

    def delete(self, key: str) -> None: ...


class NoSecrets:
    def get(self, key: str) -> str | None:
        return None

    def set(self, key: str, secret: str) -> None:
        return None

    def delete(self, key: str) -> None:
        return None


class KeyringSecrets:
    """The system keyring (Secret Service, macOS Keychain, Windows Credential Locker) through `keyring`.

    A keyring that is missing or locked is reported once in `problem` and otherwise treated as empty.
    """

    def __init__(self, service: str = KEYRING_SERVICE) -> None:
        self.service = service
        self.problem = ""

    def _fail(self, exc: Exception) -> None:
        self.problem = (
            f"the system keyring is not usable ({type(exc).__name__}: {exc}); secrets are asked each time "
            "instead of being saved"
        )
        log.warning("%s", self.problem)

    def get(self, key: str) -> str | None:
        try:
            import keyring

            return keyring.get_password(self.service, key)
        except Exception as exc:
            self._fail(exc)
            return None

    def set(self, key: str, secret: str) -> None:
        try:
            import keyring

            keyring.set_password(self.service, key, secret)
        except Exception as exc:
            self._fail(exc)

    def delete(self, key: str) -> None:
        try:
            import keyring
            import keyring.errors

            try:
                keyring.delete_password(self.service, key)
            except keyring.errors.PasswordDeleteError:
                pass
        except Exception as exc:
            self._fail(exc)


def password_key(user: str, hostname: str, port: int) -> str:
    return f"password:{user}@{hostname}:{port}"


def passphrase_key(key_path: str) -> str:
    return f"passphrase:{Path(key_path).expanduser().resolve()}"
