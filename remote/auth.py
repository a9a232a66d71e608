"""Authentication, in OpenSSH's order: public keys (ssh-agent, then key files with their `-cert.pub` user
certificates), keyboard-interactive (one-time codes, PAM prompts), then password.
Long because: the login is one sequence (its methods, their order and what each tried) read top to bottom.

This runs only after the host key has been verified (see connection.py). Secrets (passwords, passphrases) come from
the keyring or from the user through `AuthCallbacks`; they are never written to a file or a log, and are saved to the
keyring only when the caller asks for it and the login worked.

Callbacks may be called from a worker thread or from paramiko's transport thread (keyboard-interactive); they may
block while the user answers.
"""

from __future__ import annotations

import base64
import functools
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import paramiko

from .secrets import (  # noqa: F401  (re-exported: remote.auth is where callers look for them)
    KEYRING_SERVICE,
    KeyringSecrets,
    NoSecrets,
    SecretStore,
    passphrase_key,
    password_key,
)

log = logging.getLogger(__name__)

DEFAULT_IDENTITIES = ("id_ed25519", "id_ecdsa", "id_rsa")
MAX_PASSWORD_PROMPTS = 3
MAX_PASSPHRASE_PROMPTS = 3


class AuthCallbacks(Protocol):
    def confirm_host_key(self, hostname: str, port: int, key_type: str, fingerprint: str) -> bool: ...

    def ask_password(self, prompt: str) -> str | None: ...

    def ask_passphrase(self, key_path: str) -> str | None: ...

    def keyboard_interactive(
        self, title: str, instructions: str, prompts: list[tuple[str, bool]]
    ) -> list[str] | None: ...


class NoInteraction:
    """Callbacks for unattended use: never trusts a new key, never has a secret to offer."""

    def confirm_host_key(self, hostname: str, port: int, key_type: str, fingerprint: str) -> bool:
        return False

    def ask_password(self, prompt: str) -> str | None:
        return None

    def ask_passphrase(self, key_path: str) -> str | None:
        return None

    def keyboard_interactive(
        self, title: str, instructions: str, prompts: list[tuple[str, bool]]
    ) -> list[str] | None:
        return None


class AuthError(Exception):
    """Login failed; the message lists what was tried and what the server accepts."""

    def __init__(self, message: str, tried: list[str] | None = None, allowed: list[str] | None = None):
        self.tried = tried or []
        self.allowed = allowed or []
        super().__init__(message)


class AuthCancelled(AuthError):
    """The user (or the lack of anyone to ask) gave no answer to a login question. `where` is user@host:port."""

    def __init__(self, message: str, tried: list[str] | None = None, allowed: list[str] | None = None,
                 where: str = ""):
        super().__init__(message, tried, allowed)
        self.where = where


# -- key files ----------------------------------------------------------------------------------------------
def key_is_encrypted(path: Path) -> bool:
    """True when a private key file needs a passphrase (OpenSSH and PEM formats)."""
    text = path.read_text(encoding="ascii", errors="replace")
    if "ENCRYPTED" in text:
        return True
    if "BEGIN OPENSSH PRIVATE KEY" in text:
        body = "".join(line for line in text.splitlines() if line and not line.startswith("-----"))
        try:
            raw = base64.b64decode(body)
        except ValueError:
            return False
        magic = b"openssh-key-v1\x00"
        if raw.startswith(magic):
            n = int.from_bytes(raw[len(magic) : len(magic) + 4], "big")
            cipher = raw[len(magic) + 4 : len(magic) + 4 + n]
            return cipher != b"none"
    return False


@dataclass
class AuthPlan:
    user: str
    hostname: str
    port: int
    identity_files: list[str] = field(default_factory=list)
    use_agent: bool = True
    default_identity_dir: Path | None = None  # ~/.ssh: tried when identity_files is empty
    save_secrets: bool = False
    max_password_prompts: int = MAX_PASSWORD_PROMPTS
    identities_only: bool = False  # IdentitiesOnly: offer only the configured keys, never other agent keys
    batch: bool = False  # BatchMode: ask nothing (no passphrase, password or one-time code); fail instead

    @property
    def where(self) -> str:
        return f"{self.user}@{self.hostname}:{self.port}"


class _Login:
    """The state of one login: what was tried, what the server still accepts; `attempt` runs one method."""

    def __init__(self, transport: paramiko.Transport, plan: AuthPlan, allowed: list[str]) -> None:
        self.transport, self.plan, self.allowed = transport, plan, allowed
        self.tried: list[str] = []

    def attempt(self, label: str, fn: Callable[[], Any]) -> bool:
        import paramiko

        try:
            rest = fn()
        except paramiko.BadAuthenticationType as exc:
            self.allowed = list(exc.allowed_types)
            self.tried.append(f"{label} (method not allowed)")
            return False
        except paramiko.AuthenticationException:
            self.tried.append(f"{label} (rejected)")
            return False
        except paramiko.SSHException as exc:
            self.tried.append(f"{label} (error: {exc})")
            if not self.transport.is_active():
                raise AuthError(
                    f"login as {self.plan.where} failed: the server closed the connection. "
                    f"Tried: {'; '.join(self.tried)}", self.tried, self.allowed,
                ) from exc
            return False
        if rest:
            self.allowed = list(rest)
            self.tried.append(f"{label} (accepted, the server wants more: {', '.join(rest)})")
            return False
        self.tried.append(f"{label} (accepted)")
        return True


class Authenticator:
    """Runs the login on a paramiko Transport whose host key has already been verified."""

    def __init__(self, callbacks: AuthCallbacks, secrets: SecretStore | None = None) -> None:
        self.callbacks = callbacks
        self.secrets: SecretStore = secrets or NoSecrets()

    def _key_files(self, plan: AuthPlan) -> list[Path]:
        if plan.identity_files:
            return [Path(p).expanduser() for p in plan.identity_files]
        if plan.default_identity_dir is None:
            return []
        return [plan.default_identity_dir / n for n in DEFAULT_IDENTITIES if (plan.default_identity_dir / n).exists()]

    def _load_key(self, path: Path, tried: list[str]) -> list[paramiko.PKey]:
        """The key (and its certificate first, when `<path>-cert.pub` exists); [] when unusable."""
        import paramiko

        if not path.exists():
            tried.append(f"key file {path} (not found)")
            return []
        passphrase: str | None = None
        from_keyring = False
        try:
            encrypted = key_is_encrypted(path)
        except OSError as exc:
            tried.append(f"key file {path} (cannot be read: {exc.strerror})")
            return []
        attempts = 0
        keyring_tried = False
        while True:
            if encrypted and passphrase is None:
                stored = None if keyring_tried else self.secrets.get(passphrase_key(str(path)))
                keyring_tried = True
                if stored is not None:
                    passphrase, from_keyring = stored, True
                else:
                    if attempts >= MAX_PASSPHRASE_PROMPTS:
                        tried.append(f"key file {path} (wrong passphrase {attempts} times)")
                        return []
                    attempts += 1
                    passphrase = self.callbacks.ask_passphrase(str(path))
                    from_keyring = False
                    if passphrase is None:
                        tried.append(f"key file {path} (no passphrase given)")
                        return []
            try:
                secret: Any = passphrase.encode() if passphrase is not None else None  # cryptography wants bytes
                key = paramiko.PKey.from_path(path, secret)
            except (ValueError, TypeError, paramiko.SSHException) as exc:
                if encrypted:
                    if from_keyring:
                        self.secrets.delete(passphrase_key(str(path)))
                    passphrase = None
                    continue
                tried.append(f"key file {path} (not a usable private key: {exc})")
                return []
            except OSError as exc:
                tried.append(f"key file {path} (cannot be read: {exc.strerror})")
                return []
            break
        if encrypted and passphrase and not from_keyring and self._save:
            self.secrets.set(passphrase_key(str(path)), passphrase)
        keys: list[paramiko.PKey] = []
        if key.public_blob is not None:  # a certificate was loaded alongside
            keys.append(key)
            keys.append(_without_cert(key))
        else:
            keys.append(key)
        return keys

    _save = False

    def run(self, transport: paramiko.Transport, plan: AuthPlan) -> str:
        """Log in; return how (e.g. "publickey (agent)"). Raise AuthError listing what was tried."""

        self._save = plan.save_secrets
        if plan.batch:
            self.callbacks = _Batch()
        steps = [self._publickey, self._keyboard_interactive, self._password]
        login = _Login(transport, plan, ["publickey"])
        if self._key_files(plan) or (plan.use_agent and os.environ.get("SSH_AUTH_SOCK")):
            # Keys first, without asking "none" for the server's methods: each paramiko login request costs two
            # round trips (a service request, then the request), so this saves two on every key login. A server
            # that refuses publickey says what it accepts (BadAuthenticationType), and `_methods` below asks.
            method = self._publickey(login)
            if method:
                return method
            steps.pop(0)
        allowed = self._methods(transport, plan)
        if allowed is None:
            return "none"
        login.allowed = allowed
        for step in steps:
            method = step(login)
            if method:
                return method
        raise AuthError(
            f"login as {plan.where} failed. Tried: {'; '.join(login.tried) or 'nothing usable'}. "
            f"The server accepts: {', '.join(login.allowed) or 'nothing'}. "
            "Check the user name, load a key into ssh-agent or give one with -i, or use the right password.",
            login.tried,
            login.allowed,
        )

    @staticmethod
    def _methods(transport: paramiko.Transport, plan: AuthPlan) -> list[str] | None:
        """Ask with "none": the server's methods (None when "none" itself logs in)."""
        import paramiko

        try:
            transport.auth_none(plan.user)
            return None
        except paramiko.BadAuthenticationType as exc:
            return list(exc.allowed_types)
        except paramiko.SSHException as exc:
            raise AuthError(f"the server closed the connection during login: {exc}") from exc

    # -- 1. public keys, in OpenSSH's order -----------------------------------------------------------------
    def _agent_keys(self, login: _Login) -> list[paramiko.PKey]:
        import paramiko

        if not login.plan.use_agent:
            return []
        try:
            agent = paramiko.Agent()
            return list(agent.get_keys())  # the agent connection stays open until the transport is closed
        except Exception as exc:
            login.tried.append(f"ssh-agent (unusable: {exc})")
            return []

    def _publickey(self, login: _Login) -> str:
        """As OpenSSH (sshconnect2.c pubkey_prepare): configured keys the agent holds (the agent signs), then the
        other agent keys (never with IdentitiesOnly), then the configured key files not in the agent."""

        if "publickey" not in login.allowed:
            return ""
        agent_keys = self._agent_keys(login)
        files = self._key_files(login.plan)
        file_blobs = {path: _public_blobs(path) for path in files}
        in_agent = [(k, p) for k in agent_keys for p in files if k.asbytes() in file_blobs[p]]
        matched = {id(k) for k, _ in in_agent} | {p for _, p in in_agent}
        order: list[tuple[str, paramiko.PKey | Path]] = [(f"agent key {k.get_name()} {_fp(k)} (for {p})", k)
                                                        for k, p in in_agent]
        if not login.plan.identities_only:
            order += [(f"agent key {k.get_name()} {_fp(k)}", k) for k in agent_keys if id(k) not in matched]
        order += [("", p) for p in files if p not in matched]
        for label, item in order:
            if "publickey" not in login.allowed:
                break
            keys = [(label, item)] if not isinstance(item, Path) else [
                (f"{'certificate' if k.public_blob is not None else 'key file'} {item} {_fp(k)}", k)
                for k in self._load_key(item, login.tried)]
            for key_label, key in keys:
                assert not isinstance(key, Path)
                if login.attempt(key_label, functools.partial(login.transport.auth_publickey, login.plan.user, key)):
                    return f"publickey ({key_label})"
        return ""

    # -- 2. keyboard-interactive ----------------------------------------------------------------------------
    def _keyboard_interactive(self, login: _Login) -> str:
        if "keyboard-interactive" not in login.allowed:
            return ""
        unanswered = False

        def handler(title: str, instructions: str, prompts: list[tuple[str, bool]]) -> list[str]:
            nonlocal unanswered
            if not prompts:
                return []
            answers = self.callbacks.keyboard_interactive(title, instructions, list(prompts))
            if answers is None:
                # Never answer with empty strings (a PAM stack may let them in): end the login here instead.
                unanswered = True
                raise _NoAnswer("no answer to the server's login question")
            return list(answers)

        plan = login.plan
        try:
            ok = login.attempt("keyboard-interactive",
                               functools.partial(login.transport.auth_interactive, plan.user, handler))
        except (AuthError, _NoAnswer):  # the handler's _NoAnswer ends paramiko's transport and is re-raised here
            if not unanswered:
                raise
            ok = False
            login.tried.append("keyboard-interactive (" + ("BatchMode: not answered)" if plan.batch
                                                           else "no answer given)"))
        if ok:
            return "keyboard-interactive"
        if unanswered:
            what = "BatchMode is on, so nothing is asked" if plan.batch else "cancelled by the user"
            raise AuthCancelled(f"login as {plan.where} {what}. Tried: {'; '.join(login.tried)}", login.tried,
                                login.allowed, plan.where)
        return ""

    # -- 3. password: keyring first, then ask ---------------------------------------------------------------
    def _password(self, login: _Login) -> str:
        plan, t = login.plan, login.transport
        if "password" not in login.allowed:
            return ""
        pw_key = password_key(plan.user, plan.hostname, plan.port)
        stored = self.secrets.get(pw_key)
        if stored is not None and login.attempt(
                "password from the keyring", functools.partial(t.auth_password, plan.user, stored, fallback=False)):
            return "password (keyring)"
        for _ in range(plan.max_password_prompts):
            if "password" not in login.allowed or not t.is_active():
                break
            pw = self.callbacks.ask_password(f"{plan.where}'s password: ")
            if pw is None:
                login.tried.append("password (none given" + (": BatchMode)" if plan.batch else ")"))
                break
            if login.attempt("password", functools.partial(t.auth_password, plan.user, pw, fallback=False)):
                if plan.save_secrets:
                    self.secrets.set(pw_key, pw)
                return "password"
        return ""


class _NoAnswer(Exception):
    """Raised in paramiko's transport thread to end a keyboard-interactive login nobody can answer."""


class _Batch(NoInteraction):
    """BatchMode: the same answers as NoInteraction (nothing asked, nothing trusted)."""


def _public_blobs(path: Path) -> set[bytes]:
    """The public key (and certificate) blobs of a key file, from `<path>.pub` / `<path>-cert.pub`, without reading
    the private key (no passphrase needed to match it with an agent key)."""
    out: set[bytes] = set()
    for pub in (Path(f"{path}.pub"), Path(f"{path}-cert.pub")):
        try:
            fields = pub.read_text(encoding="ascii", errors="replace").split()
        except OSError:
            continue
        if len(fields) >= 2:
            try:
                out.add(base64.b64decode(fields[1], validate=True))
            except ValueError:
                continue
    return out


def _fp(key: paramiko.PKey) -> str:
    return str(key.fingerprint) if hasattr(key, "fingerprint") else key.get_name()


def _without_cert(key: paramiko.PKey) -> paramiko.PKey:
    import copy

    plain = copy.copy(key)
    plain.public_blob = None
    return plain
