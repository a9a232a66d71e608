"""Which ciphers, MACs, key exchanges and host-key algorithms Deskside offers: OpenSSH's defaults (9.x), narrowed to
what paramiko implements. A server that needs anything older (aes128-cbc, 3des-cbc, hmac-md5, ...) is refused
with a message naming the algorithm and the per-host setting that enables it (`Ciphers +aes128-cbc` in
~/.ssh/config, or `ssh_options` in the address book); once enabled, every connection that uses it is warned about.

The per-host lists use OpenSSH's syntax: `a,b` replaces the list, `+a,b` appends, `-a,b` removes, `^a,b` puts
first; `*` and `?` wildcards work in each name.

No paramiko import at module level: the caller passes what paramiko supports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# OpenSSH 9.x defaults (ssh_config(5)); paramiko implements a subset of each.
# OpenSSH's default cipher set; the AES-GCM ones first (one AEAD pass, no separate MAC: the fastest in paramiko, see
# the SFTP benchmark), the rest in OpenSSH's order.
OPENSSH_CIPHERS = (
    "aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr",
    "aes256-ctr",
)
OPENSSH_MACS = (
    "umac-64-etm@openssh.com", "umac-128-etm@openssh.com", "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com", "hmac-sha1-etm@openssh.com", "umac-64@openssh.com", "umac-128@openssh.com",
    "hmac-sha2-256", "hmac-sha2-512", "hmac-sha1",
)
OPENSSH_KEX = (
    "mlkem768x25519-sha256", "sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com", "curve25519-sha256",
    "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256", "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512",
    "diffie-hellman-group14-sha256",
)
OPENSSH_HOST_KEYS = (
    "ssh-ed25519-cert-v01@openssh.com", "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "rsa-sha2-512-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com",
    "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    "rsa-sha2-512", "rsa-sha2-256",
)

# kind -> (ssh_config keyword, OpenSSH default, what it is called in messages)
KINDS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "ciphers": ("Ciphers", OPENSSH_CIPHERS, "cipher"),
    "macs": ("MACs", OPENSSH_MACS, "MAC"),
    "kex": ("KexAlgorithms", OPENSSH_KEX, "key exchange"),
    "keys": ("HostKeyAlgorithms", OPENSSH_HOST_KEYS, "host key algorithm"),
}
# the key of each kind in lookup() output (lowercased keywords)
CONFIG_KEYS = {kind: spec[0].lower() for kind, spec in KINDS.items()}


class AlgorithmError(Exception):
    """A per-host algorithm list that cannot be honoured (unknown name, empty result)."""


def _wild(name: str, pattern: str) -> bool:
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, name, flags=re.IGNORECASE) is not None


def apply_spec(default: tuple[str, ...], spec: str, supported: list[str]) -> list[str]:
    """OpenSSH's list syntax applied to `default`; names are kept only where `supported` (paramiko) has them."""
    spec = spec.strip()
    if not spec:
        return [a for a in default if a in supported]
    op, body = (spec[0], spec[1:]) if spec[0] in "+-^" else ("", spec)
    patterns = [p.strip() for p in body.split(",") if p.strip()]

    def matching(pool: list[str] | tuple[str, ...]) -> list[str]:
        return [a for a in pool if any(_wild(a, p) for p in patterns)]

    base = [a for a in default if a in supported]
    if op == "+":
        result = base + [a for a in matching(supported) if a not in base]
    elif op == "-":
        gone = set(matching(base))
        result = [a for a in base if a not in gone]
    elif op == "^":
        first = matching(supported)
        result = first + [a for a in base if a not in first]
    else:
        # a full list: in the order written, each pattern expanded against what paramiko supports
        result = []
        for p in patterns:
            for a in supported:
                if _wild(a, p) and a not in result:
                    result.append(a)
    return result


@dataclass
class AlgorithmPolicy:
    """The lists to offer for one host, and the setting each came from (for messages)."""

    offered: dict[str, list[str]]
    settings: dict[str, str]  # kind -> "Ciphers +aes128-cbc" as written, when the host has one

    @classmethod
    def build(cls, options: dict[str, list[str]], supported: dict[str, list[str]]) -> AlgorithmPolicy:
        offered: dict[str, list[str]] = {}
        settings: dict[str, str] = {}
        for kind, (keyword, default, label) in KINDS.items():
            values = options.get(CONFIG_KEYS[kind])
            spec = values[0] if values else ""
            result = apply_spec(default, spec, supported[kind])
            if spec:
                settings[kind] = f"{keyword} {spec}"
                if not result:
                    raise AlgorithmError(
                        f"the setting '{keyword} {spec}' leaves no {label} that Deskside supports "
                        f"(it supports: {', '.join(supported[kind])})"
                    )
            offered[kind] = result
        return cls(offered, settings)

    @staticmethod
    def weak(kind: str, name: str) -> bool:
        """True when `name` is not in OpenSSH's default set for `kind` (so the user enabled it explicitly)."""
        return name not in KINDS[kind][1]

    def warnings(self, in_use: dict[str, str], where: str) -> list[str]:
        out = []
        for kind, name in in_use.items():
            if name and self.weak(kind, name):
                keyword, _, label = KINDS[kind]
                setting = self.settings.get(kind, keyword)
                out.append(f"warning: {where} uses the weak {label} {name}, which OpenSSH no longer offers by default "
                           f"(enabled by the per-host setting '{setting}'); ask its administrator to upgrade the SSH "
                           "server")
        return out

    def refusal(self, server: dict[str, list[str]], where: str, alias: str, supported: dict[str, list[str]]) -> str:
        """Why the handshake found nothing in common, naming the server's algorithms and the settings that would
        enable them. `server` holds the server's KEXINIT lists by kind."""
        needs: list[str] = []
        names: list[str] = []
        for kind, (keyword, _, label) in KINDS.items():
            theirs = server.get(kind, [])
            if not theirs or any(a in self.offered[kind] for a in theirs):
                continue
            usable = [a for a in theirs if a in supported[kind]]
            names.append(f"{label}s {', '.join(theirs)}")
            if usable:
                needs.append(f"{keyword} +{usable[0]}")
        if not names:
            return ""
        text = (f"{where} offers only {'; '.join(names)}, which OpenSSH (and Deskside) no longer use by default: "
                "they are weak. ")
        if needs:
            host = alias or "the host"
            text += (f"If you must connect to this old server, enable it for this host only: add "
                     f"{' and '.join(repr(n) for n in needs)} under 'Host {host}' in ~/.ssh/config, or "
                     f"ssh_options = [{', '.join(_toml(n) for n in needs)}] to its entry in the address book")
        else:
            text += "Deskside does not implement any of them, so it cannot connect to this server."
        return text


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
