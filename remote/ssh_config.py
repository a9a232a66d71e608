"""Read `~/.ssh/config` the way OpenSSH does, for the keywords Deskside honours.

Honoured: Host (patterns with `*`, `?` and `!negation`), HostName (with %h), User, Port, IdentityFile (with ~, %d,
%u, %h, %r, %p), ProxyJump (chains, `none`), ServerAliveInterval, ServerAliveCountMax, Include (globs, relative to
~/.ssh), HashKnownHosts. For each keyword the first value obtained wins, as in OpenSSH (IdentityFile accumulates).
Everything else (Match blocks, ProxyCommand, LocalForward, ...) is reported as "not honoured" with its file and
line, never silently dropped.
"""

from __future__ import annotations

import getpass
import glob
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

HONOURED = {
    "host",
    "hostname",
    "user",
    "port",
    "identityfile",
    "proxyjump",
    "serveraliveinterval",
    "serveralivecountmax",
    "include",
    "hashknownhosts",
}
MAX_INCLUDE_DEPTH = 16


class SshConfigError(Exception):
    pass


@dataclass
class Option:
    key: str  # lower case
    value: str
    where: str  # "file:line"


@dataclass
class Block:
    patterns: list[str]  # empty list = the global section before the first Host
    options: list[Option] = field(default_factory=list)
    is_match: bool = False
    where: str = ""
    # Host pattern lists of the blocks an `Include` sat in: a file included inside `Host a` counts only for a
    conditions: list[list[str]] = field(default_factory=list)

    def applies_to(self, host: str) -> bool:
        if self.is_match:
            return False
        if not all(host_matches(host, c) for c in self.conditions):
            return False
        if not self.patterns:
            return True
        return host_matches(host, self.patterns)


def _wild(text: str, pattern: str) -> bool:
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, text, flags=re.IGNORECASE | re.DOTALL) is not None


def host_matches(host: str, patterns: list[str]) -> bool:
    """OpenSSH pattern-list semantics: any negated match excludes, else any positive match includes."""
    positive = False
    for pat in patterns:
        if pat.startswith("!"):
            if _wild(host, pat[1:]):
                return False
        elif _wild(host, pat):
            positive = True
    return positive


def _split(line: str) -> tuple[str, str] | None:
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    # "Key value", "Key=value", "Key = value"
    i = 0
    while i < len(line) and not line[i].isspace() and line[i] != "=":
        i += 1
    key = line[:i]
    rest = line[i:].lstrip()
    if rest.startswith("="):
        rest = rest[1:].lstrip()
    return key, rest


def _words(value: str) -> list[str]:
    try:
        return shlex.split(value, comments=False, posix=True)
    except ValueError:
        return value.split()


class SshConfig:
    """A parsed ssh config file with its Includes, plus what was found that Deskside does not honour."""

    def __init__(self, path: Path | str | None) -> None:
        self.path = Path(path).expanduser() if path else None
        self.blocks: list[Block] = [Block(patterns=[])]
        self.not_honoured: list[str] = []
        self._seen_notes: set[str] = set()
        if self.path is not None and self.path.exists():
            self._read(self.path, depth=0)

    # -- parsing --------------------------------------------------------------------------------------------
    def _note(self, text: str) -> None:
        if text not in self._seen_notes:
            self._seen_notes.add(text)
            self.not_honoured.append(text)

    def _read(self, path: Path, depth: int, conditions: list[list[str]] | None = None) -> None:
        conditions = conditions or []
        if depth > MAX_INCLUDE_DEPTH:
            self._note(f"{path}: Include nested deeper than {MAX_INCLUDE_DEPTH} levels, not read")
            return
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            self._note(f"{path}: cannot be read ({exc.strerror or exc})")
            return
        for lineno, raw in enumerate(text.splitlines(), 1):
            parts = _split(raw)
            if parts is None:
                continue
            key, value = parts
            lkey = key.lower()
            where = f"{path}:{lineno}"
            if lkey == "host":
                self.blocks.append(Block(patterns=_words(value), where=where, conditions=conditions))
            elif lkey == "match":
                self.blocks.append(Block(patterns=[], is_match=True, where=where, conditions=conditions))
                self._note(f"{where}: Match {value} - Match blocks are not honoured; their options are ignored")
            elif lkey == "include":
                # As OpenSSH: an Include inside a Host block counts only for that block's hosts (Host lines in the
                # included file narrow it further), and the lines after it belong to that block again.
                outer = self.blocks[-1]
                if outer.is_match:
                    self._note(f"{where}: Include {value} - inside a Match block, which is not honoured; not read")
                    continue
                inner = conditions + ([outer.patterns] if outer.patterns else [])
                for word in _words(value):
                    self._include(word, depth, inner)
                if self.blocks[-1] is not outer:
                    self.blocks.append(Block(patterns=outer.patterns, where=outer.where, conditions=outer.conditions))
            else:
                current = self.blocks[-1]
                if current.is_match:
                    continue
                if lkey not in HONOURED:
                    self._note(f"{where}: {key} {value} - not honoured by Deskside")
                    continue
                current.options.append(Option(lkey, value, where))

    def _include(self, word: str, depth: int, conditions: list[list[str]]) -> None:
        pattern = os.path.expanduser(word)
        if not os.path.isabs(pattern):
            base = self.path.parent if self.path is not None else Path.home() / ".ssh"
            pattern = str(base / pattern)
        for match in sorted(glob.glob(pattern)):
            p = Path(match)
            if p.is_file():
                self.blocks.append(Block(patterns=[], where=f"{p}:0", conditions=conditions))
                self._read(p, depth + 1, conditions)

    # -- lookups --------------------------------------------------------------------------------------------
    def aliases(self) -> list[str]:
        """Concrete host names written in Host lines (no wildcards, no negations), in file order."""
        out: list[str] = []
        for b in self.blocks:
            if b.is_match:
                continue
            for p in b.patterns:
                if p.startswith("!") or any(c in p for c in "*?"):
                    continue
                if p not in out:
                    out.append(p)
        return out

    def has_alias(self, host: str) -> bool:
        """True when some Host line other than wildcard-only ones names this host."""
        for b in self.blocks:
            if b.is_match or not b.patterns:
                continue
            concrete = [p for p in b.patterns if not p.startswith("!") and not any(c in p for c in "*?")]
            if concrete and b.applies_to(host):
                return True
        return False

    def lookup(self, host: str) -> dict[str, list[str]]:
        """Options that apply to `host`: first value wins, except IdentityFile which accumulates."""
        return {k: [o.value for o in opts] for k, opts in self.lookup_options(host).items()}

    def lookup_options(self, host: str) -> dict[str, list[Option]]:
        """As `lookup`, with the file and line each value came from."""
        result: dict[str, list[Option]] = {}
        for b in self.blocks:
            if not b.applies_to(host):
                continue
            for opt in b.options:
                if opt.key == "identityfile":
                    result.setdefault("identityfile", []).append(opt)
                elif opt.key not in result:
                    result[opt.key] = [opt]
        return result


def expand_tokens(value: str, *, host: str, hostname: str, user: str, port: int) -> str:
    """Expand the ssh_config(5) tokens Deskside supports: %% %d %h %n %p %r %u, and a leading ~."""
    out: list[str] = []
    i = 0
    repl = {
        "%": "%",
        "d": str(Path.home()),
        "h": hostname,
        "n": host,
        "p": str(port),
        "r": user,
        "u": getpass.getuser(),
    }
    while i < len(value):
        c = value[i]
        if c == "%" and i + 1 < len(value) and value[i + 1] in repl:
            out.append(repl[value[i + 1]])
            i += 2
            continue
        out.append(c)
        i += 1
    return os.path.expanduser("".join(out))
