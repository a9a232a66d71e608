"""Host-key trust the way OpenSSH does it: known_hosts files (plain, wildcard and hashed `|1|` entries, `[host]:port`
for non-standard ports, `@revoked` markers) plus Deskside's own store, which is written in OpenSSH format so that
`ssh -o UserKnownHostsFile=<store>` agrees with us.

No paramiko import here: keys are handled as (key_type, key_blob) where key_blob is the SSH wire encoding.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


class TrustError(Exception):
    """The server's host key is not (or no longer) trusted. Nothing secret was sent to it."""


class UnknownHostKey(TrustError):
    def __init__(self, hostname: str, port: int, key_type: str, fingerprint: str, other_types: list[str] | None = None):
        self.hostname = hostname
        self.port = port
        self.key_type = key_type
        self.fingerprint = fingerprint
        self.other_types = other_types or []
        extra = ""
        if self.other_types:
            extra = f" (keys of other types are known for it: {', '.join(self.other_types)})"
        super().__init__(
            f"the authenticity of host {host_entry(hostname, port)} can't be established{extra}.\n"
            f"{key_type} key fingerprint is {fingerprint}.\n"
            "Compare it with the fingerprint the server's administrator gives you before accepting it."
        )


class StrictHostKeyRefused(TrustError):
    """An unknown host key refused without asking: StrictHostKeyChecking yes, or BatchMode."""

    def __init__(self, hostname: str, port: int, key_type: str, fingerprint: str, *, refused_by: str,
                 prefix: str = ""):
        self.hostname, self.port, self.key_type, self.fingerprint = hostname, port, key_type, fingerprint
        entry = host_entry(hostname, port)
        super().__init__(
            f"{prefix}the host key of {entry} is not known ({key_type} {fingerprint}) and {refused_by}: "
            f"Deskside refused to connect and sent nothing. Once you have checked the fingerprint with the "
            f"server's administrator, add it to ~/.ssh/known_hosts (e.g. connect once with "
            f"-o StrictHostKeyChecking=accept-new using ssh, or deskside ssh --accept-new)"
        )


class HostKeyChanged(TrustError):
    def __init__(
        self,
        hostname: str,
        port: int,
        key_type: str,
        fingerprint: str,
        known_fingerprint: str,
        known_hosts_line_ref: str,
    ):
        self.hostname = hostname
        self.port = port
        self.key_type = key_type
        self.fingerprint = fingerprint
        self.known_fingerprint = known_fingerprint
        self.known_hosts_line_ref = known_hosts_line_ref
        path = known_hosts_line_ref.rsplit(":", 1)[0]
        entry = host_entry(hostname, port)
        super().__init__(
            f"WARNING: the host key of {entry} has CHANGED. Someone could be intercepting the connection "
            f"(man-in-the-middle), or the server was reinstalled. Deskside refused to connect and sent nothing.\n"
            f"The server now offers {key_type} {fingerprint}; the key on record is {known_fingerprint} "
            f"({known_hosts_line_ref}).\n"
            f"If you have confirmed the change with the server's administrator, remove the old key with:\n"
            f"  ssh-keygen -R {shlex.quote(entry)} -f {shlex.quote(path)}\n"
            "and connect again to accept the new one."
        )


class HostKeyRevoked(TrustError):
    def __init__(self, hostname: str, port: int, key_type: str, fingerprint: str, line_ref: str):
        self.hostname, self.port, self.key_type, self.fingerprint = hostname, port, key_type, fingerprint
        super().__init__(
            f"the {key_type} host key {fingerprint} of {host_entry(hostname, port)} is marked @revoked in "
            f"{line_ref}; Deskside refused to connect."
        )


def key_type_of_algorithm(algorithm: str) -> str:
    """The key type (as written in known_hosts) a host-key signature algorithm uses: rsa-sha2-512 -> ssh-rsa."""
    return "ssh-rsa" if algorithm in ("rsa-sha2-256", "rsa-sha2-512") else algorithm


def prefer_known_types(algorithms: list[str], known_types: list[str]) -> list[str]:
    """`algorithms` with those whose key type is on record moved to the front (order otherwise kept)."""
    first = [a for a in algorithms if key_type_of_algorithm(a) in known_types]
    return first + [a for a in algorithms if a not in first]


def fingerprint_sha256(key_blob: bytes) -> str:
    """`SHA256:<base64 without padding>`, exactly as `ssh-keygen -lf` and `ssh` print it."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(key_blob).digest()).decode("ascii").rstrip("=")


def host_entry(hostname: str, port: int) -> str:
    """The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise; lower case, as ssh lowercases the host
    name before it looks it up or hashes it (so a mixed-case HostName matches a hashed entry ssh wrote)."""
    hostname = hostname.lower()
    return hostname if port == 22 else f"[{hostname}]:{port}"


def hashed_host_entry(entry: str, salt: bytes | None = None) -> str:
    """`|1|base64(salt)|base64(HMAC-SHA1(salt, entry))`, as `ssh-keygen -H` and HashKnownHosts write it."""
    salt = salt if salt is not None else os.urandom(20)
    digest = hmac.new(salt, entry.encode(), hashlib.sha1).digest()
    return f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"


def _hashed_match(pattern: str, entry: str) -> bool:
    # |1|base64(salt)|base64(HMAC-SHA1(salt, entry))
    parts = pattern.split("|")
    if len(parts) != 4 or parts[1] != "1":
        return False
    try:
        salt = base64.b64decode(parts[2])
        want = base64.b64decode(parts[3])
    except (binascii.Error, ValueError):
        return False
    got = hmac.new(salt, entry.encode(), hashlib.sha1).digest()
    return hmac.compare_digest(got, want)


def wildcard_match(text: str, pattern: str) -> bool:
    """OpenSSH wildcards: `*` and `?` only (brackets are literal, as in `[host]:port`). Case-insensitive."""
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, text, flags=re.IGNORECASE | re.DOTALL) is not None


def hosts_field_matches(field: str, entry: str) -> bool:
    if field.startswith("|"):
        return _hashed_match(field, entry)
    positive = False
    for pat in field.split(","):
        neg = pat.startswith("!")
        p = pat[1:] if neg else pat
        if wildcard_match(entry, p):
            if neg:
                return False
            positive = True
    return positive


@dataclass
class KnownKey:
    marker: str  # "", "@revoked" or "@cert-authority"
    key_type: str
    key_blob: bytes
    path: Path
    lineno: int

    @property
    def ref(self) -> str:
        return f"{self.path}:{self.lineno}"

    @property
    def fingerprint(self) -> str:
        return fingerprint_sha256(self.key_blob)


def read_known_hosts(path: Path, entry: str) -> list[KnownKey]:
    """Lines of one known_hosts file that apply to `entry` (a `host` or `[host]:port`)."""
    out: list[KnownKey] = []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, NotADirectoryError):
        return out
    except OSError:
        return out
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        marker = ""
        if parts[0].startswith("@"):
            marker = parts.pop(0)
        if len(parts) < 3:
            continue
        hosts, key_type, b64 = parts[0], parts[1], parts[2]
        if not hosts_field_matches(hosts, entry):
            continue
        try:
            blob = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            continue
        out.append(KnownKey(marker, key_type, blob, path, lineno))
    return out


class HostKeyStore:
    """Reads known_hosts files (e.g. ~/.ssh/known_hosts) and Deskside's own store; accepting writes to the store."""

    def __init__(self, known_hosts_paths: list[Path | str], own_store_path: Path | str | None,
                 hash_hostnames: Callable[[str], bool] | bool = False) -> None:
        self.known_hosts_paths = [Path(p).expanduser() for p in known_hosts_paths]
        self.own_store_path = Path(own_store_path) if own_store_path else None
        # ssh_config's HashKnownHosts: write `|1|salt|hash` instead of the host name (per host when a callable)
        self.hash_hostnames = hash_hostnames

    def for_files(self, known_hosts_paths: list[Path | str]) -> HostKeyStore:
        """The same store reading other known_hosts files (UserKnownHostsFile/GlobalKnownHostsFile for one host)."""
        return HostKeyStore(known_hosts_paths, self.own_store_path, self.hash_hostnames)

    def certificate_problem(self, hostname: str, port: int, cert_blob: bytes) -> str:
        """'' when the host certificate is signed by a CA trusted for this host in an `@cert-authority` line and
        valid for `hostname` now; else why it is not trusted (the plain key is then checked as usual, as ssh)."""
        from .hostcert import CertError, HostCertificate, signature_valid

        try:
            cert = HostCertificate.parse(cert_blob)
        except CertError as exc:
            return f"its certificate cannot be read ({exc})"
        entry = host_entry(hostname, port)
        cas = [k for path in self._paths() for k in read_known_hosts(path, entry) if k.marker == "@cert-authority"]
        revoked = [k for path in self._paths() for k in read_known_hosts(path, entry) if k.marker == "@revoked"]
        if any(k.key_blob == cert.ca_blob for k in revoked):
            return f"its certificate was signed by a CA key marked @revoked ({fingerprint_sha256(cert.ca_blob)})"
        ca = next((k for k in cas if k.key_blob == cert.ca_blob), None)
        if ca is None:
            return (f"its certificate (id {cert.key_id!r}) is signed by {fingerprint_sha256(cert.ca_blob)}, which no "
                    "@cert-authority line in known_hosts trusts for this host")
        if not signature_valid(cert):
            return f"its certificate's signature by the CA of {ca.ref} does not verify"
        problem = cert.problem(hostname)
        return f"its certificate (id {cert.key_id!r}, CA {ca.ref}) is not valid: {problem}" if problem else ""

    def _paths(self) -> list[Path]:
        paths = list(self.known_hosts_paths)
        if self.own_store_path is not None and self.own_store_path not in paths:
            paths.append(self.own_store_path)
        return paths

    def check(self, hostname: str, port: int, key_type: str, key_blob: bytes) -> None:
        """Return when the key is trusted; raise UnknownHostKey, HostKeyChanged or HostKeyRevoked otherwise."""
        entry = host_entry(hostname, port)
        fp = fingerprint_sha256(key_blob)
        known: list[KnownKey] = []
        for path in self._paths():
            known.extend(read_known_hosts(path, entry))
        for k in known:
            if k.marker == "@revoked" and k.key_blob == key_blob:
                raise HostKeyRevoked(hostname, port, key_type, fp, k.ref)
        plain = [k for k in known if k.marker == ""]
        if any(k.key_type == key_type and k.key_blob == key_blob for k in plain):
            return
        same_type = [k for k in plain if k.key_type == key_type]
        if same_type:
            k = same_type[0]
            raise HostKeyChanged(hostname, port, key_type, fp, k.fingerprint, k.ref)
        others = sorted({k.key_type for k in plain})
        raise UnknownHostKey(hostname, port, key_type, fp, others)

    def known_key_types(self, hostname: str, port: int) -> list[str]:
        """Key types on record for this host (not revoked), in file order: the handshake asks for these first, as
        OpenSSH does, so a host known by its RSA key is not reported as unknown because it also has an Ed25519 one."""
        entry = host_entry(hostname, port)
        out: list[str] = []
        for path in self._paths():
            for k in read_known_hosts(path, entry):
                if k.marker == "" and k.key_type not in out:
                    out.append(k.key_type)
        return out

    def accept(self, hostname: str, port: int, key_type: str, key_blob: bytes, *, hashed: bool | None = None,
               alias: str = "") -> Path:
        """Append an OpenSSH-format line for this key to the own store (or the first known_hosts file). `hashed`
        (HashKnownHosts of the host as typed) overrides the store's rule, which is asked with `alias` (the name the
        user typed) when given, else the host name."""
        target = self.own_store_path or (self.known_hosts_paths[0] if self.known_hosts_paths else None)
        if target is None:
            raise TrustError("no file to record trusted host keys in")
        if hashed is None:
            rule = self.hash_hostnames
            hashed = rule(alias or hostname) if callable(rule) else rule
        entry = hashed_host_entry(host_entry(hostname, port)) if hashed else host_entry(hostname, port)
        line = f"{entry} {key_type} {base64.b64encode(key_blob).decode('ascii')}\n"
        prefix = ""
        try:
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if target.exists() and target.stat().st_size > 0:
                with open(target, "rb") as fh:
                    fh.seek(-1, os.SEEK_END)
                    if fh.read(1) != b"\n":
                        prefix = "\n"
            fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                fh.write(prefix + line)
        except OSError as exc:
            raise TrustError(
                f"cannot record the accepted host key in {target}: {exc.strerror or exc}. Nothing was sent to the "
                "server; make that file writable and connect again"
            ) from exc
        return target

    def forget(self, hostname: str, port: int) -> int:
        """Remove the entries for this host from the own store (never from ~/.ssh files). Returns lines removed."""
        if self.own_store_path is None or not self.own_store_path.exists():
            return 0
        entry = host_entry(hostname, port)
        kept, removed = [], 0
        for line in self.own_store_path.read_text(encoding="utf-8").splitlines(keepends=True):
            parts = line.split()
            hosts = parts[1] if parts and parts[0].startswith("@") and len(parts) > 1 else (parts[0] if parts else "")
            if hosts and not line.lstrip().startswith("#") and hosts_field_matches(hosts, entry):
                removed += 1
                continue
            kept.append(line)
        tmp = self.own_store_path.with_name(self.own_store_path.name + ".tmp")
        tmp.write_text("".join(kept), encoding="utf-8")
        tmp.chmod(0o600)
        tmp.replace(self.own_store_path)
        return removed
