"""The per-host settings Deskside honours at connect time beyond host/user/port/keys/jumps, as OpenSSH names them.

They come from ~/.ssh/config (`profile_from_ssh_config` copies them into `HostProfile.ssh_options`) or from the
address book (`ssh_options = ["Ciphers +aes128-cbc", "StrictHostKeyChecking yes"]`). Each entry is one ssh_config
line, "Keyword value"; for each keyword the first value wins, as in OpenSSH.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# lowercased ssh_config keywords honoured at connect time (besides those HostProfile has fields for)
CONNECT_KEYS = {
    "ciphers": "Ciphers",
    "macs": "MACs",
    "kexalgorithms": "KexAlgorithms",
    "hostkeyalgorithms": "HostKeyAlgorithms",
    "stricthostkeychecking": "StrictHostKeyChecking",
    "identitiesonly": "IdentitiesOnly",
    "proxycommand": "ProxyCommand",
    "batchmode": "BatchMode",
    "hostkeyalias": "HostKeyAlias",
    "userknownhostsfile": "UserKnownHostsFile",
    "globalknownhostsfile": "GlobalKnownHostsFile",
    "hashknownhosts": "HashKnownHosts",
}
STRICT_VALUES = {"yes": "yes", "true": "yes", "accept-new": "accept-new", "ask": "ask", "no": "no", "off": "no",
                 "false": "no"}
DEFAULT_USER_KNOWN_HOSTS = ("~/.ssh/known_hosts", "~/.ssh/known_hosts2")
DEFAULT_GLOBAL_KNOWN_HOSTS = ("/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2")


class OptionError(ValueError):
    """A per-host setting with a value OpenSSH would reject; the message names it."""


def split_line(line: str) -> tuple[str, str]:
    """'Ciphers +aes128-cbc' or 'Ciphers=+aes128-cbc' -> ('ciphers', '+aes128-cbc')."""
    text = line.strip()
    i = 0
    while i < len(text) and not text[i].isspace() and text[i] != "=":
        i += 1
    key, rest = text[:i], text[i:].strip()
    if rest.startswith("="):
        rest = rest[1:].strip()
    return key.lower(), rest


def validate_line(line: str) -> str:
    """'' when the address-book line is usable, else what is wrong with it."""
    key, value = split_line(line)
    if key not in CONNECT_KEYS:
        return (f"{line!r}: Deskside does not honour {key or 'an empty keyword'} here (it honours "
                f"{', '.join(sorted(CONNECT_KEYS.values()))})")
    if not value:
        return f"{line!r}: {CONNECT_KEYS[key]} has no value"
    try:
        SshOptions.from_lines([line])
    except OptionError as exc:
        return str(exc)
    return ""


def _yes_no(key: str, value: str) -> bool:
    v = value.strip().lower()
    if v in ("yes", "true"):
        return True
    if v in ("no", "false"):
        return False
    raise OptionError(f"{CONNECT_KEYS[key]} {value!r} is not valid: use yes or no")


def _words(value: str) -> list[str]:
    import shlex

    try:
        return shlex.split(value)
    except ValueError:
        return value.split()


@dataclass
class SshOptions:
    values: dict[str, str] = field(default_factory=dict)  # lowercased keyword -> value (first wins)
    strict: str = "ask"  # yes | accept-new | ask | no
    identities_only: bool = False
    batch_mode: bool = False
    proxy_command: str = ""  # "" = direct ("none" is read as direct)
    host_key_alias: str = ""
    hash_known_hosts: bool | None = None  # None: not set for this host
    user_known_hosts: list[str] = field(default_factory=lambda: list(DEFAULT_USER_KNOWN_HOSTS))
    global_known_hosts: list[str] = field(default_factory=lambda: list(DEFAULT_GLOBAL_KNOWN_HOSTS))

    @classmethod
    def from_lines(cls, lines: list[str]) -> SshOptions:
        values: dict[str, str] = {}
        for line in lines:
            key, value = split_line(line)
            if key in CONNECT_KEYS and key not in values:
                values[key] = value
        o = cls(values=values)
        if "stricthostkeychecking" in values:
            v = values["stricthostkeychecking"].strip().lower()
            if v not in STRICT_VALUES:
                raise OptionError(f"StrictHostKeyChecking {values['stricthostkeychecking']!r} is not valid: use "
                                  "yes, accept-new, ask or no")
            o.strict = STRICT_VALUES[v]
        if "identitiesonly" in values:
            o.identities_only = _yes_no("identitiesonly", values["identitiesonly"])
        if "batchmode" in values:
            o.batch_mode = _yes_no("batchmode", values["batchmode"])
        if "hashknownhosts" in values:
            o.hash_known_hosts = _yes_no("hashknownhosts", values["hashknownhosts"])
        pc = values.get("proxycommand", "").strip()
        o.proxy_command = "" if pc.lower() == "none" else pc
        alias = values.get("hostkeyalias", "").strip()
        o.host_key_alias = "" if alias.lower() == "none" else alias
        if "userknownhostsfile" in values:
            o.user_known_hosts = [w for w in _words(values["userknownhostsfile"]) if w.lower() != "none"]
        if "globalknownhostsfile" in values:
            o.global_known_hosts = [w for w in _words(values["globalknownhostsfile"]) if w.lower() != "none"]
        return o

    def algorithm_options(self) -> dict[str, list[str]]:
        return {k: [self.values[k]] for k in ("ciphers", "macs", "kexalgorithms", "hostkeyalgorithms")
                if k in self.values}
