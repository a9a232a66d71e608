"""One hop's SSH handshake: the algorithms offered (remote/algorithms.py), key exchange, and the host key verified
BEFORE anything else is sent, as OpenSSH does it (known_hosts and our store, `@cert-authority` host certificates,
HostKeyAlias, UserKnownHostsFile/GlobalKnownHostsFile, StrictHostKeyChecking, BatchMode).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .algorithms import AlgorithmError, AlgorithmPolicy
from .auth import AuthCallbacks
from .cancel import Cancelled, CancelToken
from .hosts import HostProfile
from .options import OptionError, SshOptions
from .ssh_config_tokens import TokenContext, TokenError, expand_for
from .trust import (
    HostKeyStore,
    StrictHostKeyRefused,
    TrustError,
    UnknownHostKey,
    fingerprint_sha256,
    host_entry,
    prefer_known_types,
)

if TYPE_CHECKING:
    import paramiko

WINDOW_SIZE = 2 * 1024 * 1024
MAX_PACKET_SIZE = 256 * 1024


class ConnectError(Exception):
    """The connection could not be set up (network, protocol); the message names the hop and what to check."""


class _CancelGuard:
    """Closes the given objects when the token is cancelled, so a blocking call returns at once."""

    def __init__(self, cancel: CancelToken | None) -> None:
        self.cancel = cancel
        self.targets: list[Any] = []
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, obj: Any) -> None:
        self.targets.append(obj)

    def __enter__(self) -> _CancelGuard:
        if self.cancel is not None:
            self._thread = threading.Thread(target=self._watch, name="ssh-cancel-guard", daemon=True)
            self._thread.start()
        return self

    def _watch(self) -> None:
        assert self.cancel is not None
        while not self._done.is_set():
            if self.cancel.wait(0.1):
                for t in reversed(self.targets):
                    with contextlib.suppress(Exception):
                        t.close()
                return

    def __exit__(self, *exc: object) -> None:
        self._done.set()


@dataclass
class Hop:
    """One host on the way, with its settings parsed."""

    profile: HostProfile
    label: str
    options: SshOptions
    report: Callable[[str], None]  # tells the user something now (a warning, a note): Connection._note

    @classmethod
    def of(cls, profile: HostProfile, label: str, report: Callable[[str], None]) -> Hop:
        try:
            options = profile.options()
        except OptionError as exc:
            raise ConnectError(f"{label}: {exc}") from exc
        return cls(profile, label, options, report)


def supported_algorithms() -> dict[str, list[str]]:
    import paramiko

    t: Any = paramiko.Transport  # its registries of what it implements (no public API lists them)
    return {"ciphers": list(t._cipher_info), "macs": list(t._mac_info), "kex": list(t._kex_info),
            "keys": list(t._key_info)}


def _transport_class() -> type[paramiko.Transport]:
    import paramiko
    from paramiko.message import Message

    class OfferRecordingTransport(paramiko.Transport):
        """Keeps the server's KEXINIT lists, so a failed negotiation can name what the server offered. Paramiko has
        no public hook for it: `_parse_kex_init` is its (private) KEXINIT handler, called once per key exchange."""

        server_offer: dict[str, list[str]] = {}

        def _parse_kex_init(self, m: Message) -> None:
            base: Any = super()
            with contextlib.suppress(Exception):
                p = base._really_parse_kex_init(Message(m.asbytes()))
                self.server_offer = {
                    "kex": p["kex_algo_list"], "keys": p["server_key_algo_list"],
                    "ciphers": p["server_encrypt_algo_list"], "macs": p["server_mac_algo_list"],
                }
            base._parse_kex_init(m)

    return OfferRecordingTransport


def start_transport(sock: Any, hop: Hop, trust: HostKeyStore, remaining: Callable[[], float],
                    cancel: CancelToken | None) -> paramiko.Transport:
    """Key exchange with the algorithms this hop allows. Weak ones in use are reported (hop.report)."""
    import paramiko

    supported = supported_algorithms()
    try:
        policy = AlgorithmPolicy.build(hop.options.algorithm_options(), supported)
    except AlgorithmError as exc:
        raise ConnectError(f"{hop.label}: {exc}") from exc
    t = _transport_class()(sock, default_window_size=WINDOW_SIZE, default_max_packet_size=MAX_PACKET_SIZE)
    opts = t.get_security_options()
    opts.ciphers = tuple(policy.offered["ciphers"])
    opts.digests = tuple(policy.offered["macs"])
    opts.kex = tuple(policy.offered["kex"])
    keys = policy.offered["keys"]
    name, port = key_name(hop)
    known_types = trust.known_key_types(name, port)
    if known_types:  # as OpenSSH: ask for a key type we can verify before one we would have to ask about
        keys = prefer_known_types(keys, known_types)
    opts.key_types = tuple(keys)
    try:
        t.start_client(timeout=remaining())
    except paramiko.SSHException as exc:
        t.close()
        if cancel is not None and cancel.cancelled:
            raise Cancelled("cancelled by the user") from exc
        why = ""
        if "Incompatible" in str(exc):
            why = policy.refusal(getattr(t, "server_offer", {}), hop.label, hop.profile.name, supported)
        raise ConnectError(why or f"SSH handshake with {hop.label} failed: {exc}") from exc
    except EOFError as exc:
        t.close()
        raise ConnectError(f"{hop.label} closed the connection during the SSH handshake") from exc
    if not t.is_active() or not t.initial_kex_done:  # start_client returns silently on timeout
        t.close()
        if cancel is not None and cancel.cancelled:
            raise Cancelled("cancelled by the user")
        raise ConnectError(
            f"{hop.label} did not complete the SSH handshake in time (the port answers, the SSH server does not)"
        )
    for warning in policy.warnings(
            {"ciphers": t.local_cipher or "", "macs": t.local_mac or "",
             "kex": getattr(t.kex_engine, "name", "") or "", "keys": t.host_key_type or ""}, hop.label):
        hop.report(warning)
    return t


def key_name(hop: Hop) -> tuple[str, int]:
    """The name and port the host key is recorded under: HostKeyAlias (port ignored, as ssh), else the host name."""
    if hop.options.host_key_alias:
        return hop.options.host_key_alias, 22
    return hop.profile.hostname, hop.profile.port


def hop_store(trust: HostKeyStore, hop: Hop) -> HostKeyStore:
    """The store with this host's UserKnownHostsFile/GlobalKnownHostsFile when it sets them."""
    o = hop.options
    if "userknownhostsfile" not in o.values and "globalknownhostsfile" not in o.values:
        return trust
    p = hop.profile
    ctx = TokenContext(host=p.name, hostname=p.hostname, user=p.login_user, port=p.port)
    try:
        files = [expand_for("userknownhostsfile", f, ctx) for f in o.user_known_hosts]
        files += [expand_for("globalknownhostsfile", f, ctx) for f in o.global_known_hosts]
    except TokenError as exc:
        raise ConnectError(f"{hop.label}: UserKnownHostsFile/GlobalKnownHostsFile: {exc}") from exc
    return trust.for_files(list(files))


def verify_host_key(t: paramiko.Transport, hop: Hop, trust: HostKeyStore, callbacks: AuthCallbacks,
                    batch: bool, cancel: CancelToken | None) -> None:
    """Trust the server's key or raise TrustError/Cancelled; nothing has been sent to the server yet."""
    key = t.get_remote_server_key()
    name, port = key_name(hop)
    store = hop_store(trust, hop)
    cert_problem = ""
    if key.public_blob is not None:  # a host certificate
        cert_problem = store.certificate_problem(name, port, key.public_blob.key_blob)
        if not cert_problem:
            return
    key_type, blob = key.get_name(), key.asbytes()
    if key_type.endswith("-cert-v01@openssh.com"):
        key_type = key_type[: -len("-cert-v01@openssh.com")]
    try:
        store.check(name, port, key_type, blob)
        return
    except UnknownHostKey as exc:
        if cancel is not None and cancel.cancelled:
            raise Cancelled("cancelled by the user") from exc
        prefix = f"{hop.label}: the host presented a certificate, but {cert_problem}.\n" if cert_problem else ""
        strict = hop.options.strict
        if strict in ("no", "accept-new"):
            record(store, hop, name, port, key_type, blob)
            hop.report(f"Warning: permanently added {host_entry(name, port)} "
                             f"({key_type} {fingerprint_sha256(blob)}) to the list of known hosts "
                             f"(StrictHostKeyChecking {strict})")
            return
        if strict == "yes" or batch:
            why = "StrictHostKeyChecking yes forbids asking" if strict == "yes" else "BatchMode forbids asking"
            raise StrictHostKeyRefused(name, port, key_type, exc.fingerprint, prefix=prefix, refused_by=why) from None
        if not callbacks.confirm_host_key(name, port, key_type, fingerprint_sha256(blob)):
            if prefix:
                raise TrustError(prefix + str(exc)) from None
            raise
        record(store, hop, name, port, key_type, blob)


def record(store: HostKeyStore, hop: Hop, name: str, port: int, key_type: str, blob: bytes) -> None:
    # HashKnownHosts is looked up by the alias the user typed (the profile name), not by its HostName
    store.accept(name, port, key_type, blob, hashed=hop.options.hash_known_hosts, alias=hop.profile.name)
