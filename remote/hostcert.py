"""OpenSSH host certificates (PROTOCOL.certkeys): parse the certificate a server presents and check it as `ssh`
does against the `@cert-authority` lines of known_hosts: signed by a listed CA, a host (not user) certificate,
inside its validity window, and naming the host (or its HostKeyAlias) among its principals.
"""

from __future__ import annotations

import re
import struct
import time
from dataclasses import dataclass

CERT_TYPE_HOST = 2
_KEY_FIELDS = {  # how many wire fields the public key part has, by certificate type prefix
    "ssh-ed25519": 1,
    "ssh-rsa": 2,
    "rsa-sha2-256": 2,
    "rsa-sha2-512": 2,
    "ecdsa-sha2-nistp256": 2,
    "ecdsa-sha2-nistp384": 2,
    "ecdsa-sha2-nistp521": 2,
}


class CertError(ValueError):
    pass


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise CertError("the certificate is truncated")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def string(self) -> bytes:
        (n,) = struct.unpack(">I", self.take(4))
        return self.take(n)

    def uint32(self) -> int:
        return int(struct.unpack(">I", self.take(4))[0])

    def uint64(self) -> int:
        return int(struct.unpack(">Q", self.take(8))[0])


@dataclass
class HostCertificate:
    cert_type_name: str
    key_type: str  # the plain key type (ssh-ed25519)
    serial: int
    kind: int  # 1 user, 2 host
    key_id: str
    principals: list[str]
    valid_after: int
    valid_before: int
    critical_options: bytes
    ca_blob: bytes
    signature: bytes
    signed_data: bytes

    @classmethod
    def parse(cls, blob: bytes) -> HostCertificate:
        r = _Reader(blob)
        name = r.string().decode("ascii", errors="replace")
        if not name.endswith("-cert-v01@openssh.com"):
            raise CertError(f"{name} is not an OpenSSH certificate type")
        key_type = name[: -len("-cert-v01@openssh.com")]
        fields = _KEY_FIELDS.get(key_type)
        if fields is None:
            raise CertError(f"certificate key type {key_type} is not supported")
        r.string()  # nonce
        for _ in range(fields):
            r.string()
        serial, kind = r.uint64(), r.uint32()
        key_id = r.string().decode(errors="replace")
        pr = _Reader(r.string())
        principals = []
        while pr.pos < len(pr.data):
            principals.append(pr.string().decode(errors="replace"))
        valid_after, valid_before = r.uint64(), r.uint64()
        critical = r.string()
        r.string()  # extensions
        r.string()  # reserved
        ca_blob = r.string()
        signed = blob[: r.pos]
        signature = r.string()
        return cls(name, key_type, serial, kind, key_id, principals, valid_after, valid_before, critical, ca_blob,
                   signature, signed)

    def problem(self, name: str, now: float | None = None) -> str:
        """'' when the certificate is valid for host `name` now (signature checked separately), else why not."""
        now = time.time() if now is None else now
        if self.kind != CERT_TYPE_HOST:
            return "it is a user certificate, not a host certificate"
        if now < self.valid_after:
            return f"it is not valid yet (from {_when(self.valid_after)})"
        if now >= self.valid_before:
            return f"it expired on {_when(self.valid_before)}"
        if self.principals and not any(_wild(name, p) for p in self.principals):  # wildcards allowed, as ssh
            return f"it is for {', '.join(self.principals)}, not for {name}"
        if self.critical_options:
            return "it has critical options, which host certificates must not have"
        return ""


def _wild(name: str, pattern: str) -> bool:
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, name, flags=re.IGNORECASE | re.DOTALL) is not None


def _when(t: int) -> str:
    if t >= 2**63:
        return "forever"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))


def signature_valid(cert: HostCertificate) -> bool:
    """The certificate's signature checks out against the CA key it names."""
    import paramiko
    from paramiko.message import Message

    ca_type = _Reader(cert.ca_blob).string().decode("ascii", errors="replace")
    try:
        ca = paramiko.PKey.from_type_string(ca_type, cert.ca_blob)
        return bool(ca.verify_ssh_sig(cert.signed_data, Message(cert.signature)))
    except Exception:
        return False
