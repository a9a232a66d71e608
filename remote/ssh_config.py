"""Read `~/.ssh/config` the way OpenSSH 9.2's `ssh -G` does (readconf.c), for the keywords Deskside honours.

Lines are split as OpenSSH's argv_split: "double" or 'single' quotes group words, a word starting with `#` ends the
line (`Host pi  # Raspberry Pi` is `Host pi`), `Key=Value` and `Key = Value` work; ProxyCommand, LocalCommand and
RemoteCommand keep the rest of the line as written (a `#` there is part of the command, as in OpenSSH).
Resolution walks the files like OpenSSH: `Host` lines match the name as typed (case-sensitive), `Match` blocks
(host, originalhost, user, localuser, all, canonical, final, exec when allowed, `!`), Include at its place (relative
paths from ~/.ssh, or /etc/ssh for a system file), the first value obtained wins (IdentityFile and CertificateFile
accumulate without duplicates), HostName's %h, lower-casing, CanonicalizeHostname, and the final re-parse.
Keywords Deskside does not use are reported as "not honoured" with file and line, never silently dropped.
"""

from __future__ import annotations

import getpass
import glob
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .ssh_config_match import (
    CanonOptions,
    MatchState,
    MatchSyntaxError,
    Resolver,
    canonicalize,
    host_matches,
    match_line,
    system_resolver,
)
from .ssh_config_tokens import TokenError, expand_tokens

__all__ = ["HONOURED", "Option", "SshConfig", "SshConfigError", "expand_tokens", "host_matches", "split_args"]

HONOURED = {
    "host", "match", "hostname", "user", "port", "identityfile", "proxyjump", "serveraliveinterval",
    "serveralivecountmax", "include", "hashknownhosts", "canonicalizehostname", "canonicaldomains",
    "canonicalizemaxdots", "canonicalizefallbacklocal", "canonicalizepermittedcnames",
    # honoured at connect time (remote/options.py CONNECT_KEYS)
    "ciphers", "macs", "kexalgorithms", "hostkeyalgorithms", "stricthostkeychecking", "identitiesonly", "proxycommand",
    "batchmode", "hostkeyalias", "userknownhostsfile", "globalknownhostsfile",
}
MAX_INCLUDE_DEPTH = 16
# keywords whose value is the rest of the line as written (readconf.c parse_command)
RAW_REST = {"proxycommand", "localcommand", "remotecommand", "knownhostscommand"}
# keywords whose every line adds a value (identity and certificate files without duplicates, as OpenSSH)
ACCUMULATE = {"identityfile", "certificatefile", "localforward", "remoteforward", "dynamicforward", "sendenv"}
DEDUP = {"identityfile", "certificatefile"}
# keywords that take a list of words on one line
MULTI_WORD = {"canonicaldomains", "canonicalizepermittedcnames", "userknownhostsfile", "globalknownhostsfile",
              "sendenv", "setenv", "localforward", "remoteforward", "ignoreunknown", "logverbose", "permitremoteopen",
              "channeltimeout", "include", "host", "match"}


class SshConfigError(Exception):
    pass


@dataclass
class Option:
    key: str  # lower case
    value: str  # the words joined by one space (the raw rest of the line for ProxyCommand & co)
    where: str  # "file:line"
    args: list[str] = field(default_factory=list)
    error: str = ""  # why OpenSSH would refuse this line ("extra arguments at end of line"); "" when fine


@dataclass
class _Entry:
    kind: str  # "host" | "match" | "include" | "option"
    where: str
    args: list[str]
    option: Option | None = None
    files: list[list[_Entry]] = field(default_factory=list)


_KEY_RE = re.compile(r"^\s*([^\s=]+)[ \t]*(?:=[ \t]*)?(.*)$", re.DOTALL)


def split_args(text: str) -> list[str]:
    """OpenSSH 9.2 argv_split(s, terminate_on_comment=1): quotes group, backslash escapes \\ \" \' and space, a word
    that starts with `#` ends the arguments. Raises ValueError on an unterminated quote."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] in " \t":
            i += 1
            continue
        if text[i] == "#":
            break
        quote = ""
        word: list[str] = []
        while i < n:
            c = text[i]
            if c == "\\" and i + 1 < n and (text[i + 1] in "'\"\\" or (not quote and text[i + 1] == " ")):
                word.append(text[i + 1])
                i += 2
                continue
            if not quote and c in " \t":
                break
            if not quote and c in "\"'":
                quote = c
            elif quote and c == quote:
                quote = ""
            else:
                word.append(c)
            i += 1
        if quote:
            raise ValueError("invalid quotes")
        out.append("".join(word))
    return out


@dataclass
class _Eval:
    host: str
    original: str
    final: bool
    allow_exec: bool
    out: dict[str, list[Option]] = field(default_factory=dict)
    want_final: bool = False
    notes: list[str] = field(default_factory=list)

    def first(self, key: str) -> str | None:
        vals = self.out.get(key)
        return vals[0].value if vals else None

    def apply(self, opt: Option) -> None:
        key = opt.key
        if key in ACCUMULATE:
            have = self.out.setdefault(key, [])
            if key not in DEDUP or all(o.value != opt.value for o in have):
                have.append(opt)
            return
        if key == "proxyjump" and ("proxycommand" in self.out or "proxyjump" in self.out):
            return  # whichever of ProxyJump / ProxyCommand comes first wins, as ssh -G shows
        if key == "proxycommand" and "proxycommand" not in self.out and "proxyjump" in self.out:
            if self.first("proxyjump") != "none":
                return
            del self.out["proxyjump"]  # `ProxyJump none` does not stop a later ProxyCommand (ssh -G); one of them stays
        self.out.setdefault(key, [opt])

    def state(self, local_user: str) -> MatchState:
        port = self.first("port") or "22"
        return MatchState(host=self.host, original_host=self.original, hostname=self.first("hostname"),
                          user=self.first("user") or local_user, port=int(port) if port.isdigit() else 22,
                          local_user=local_user, final_pass=self.final, allow_exec=self.allow_exec)


class SshConfig:
    """A parsed ssh config file with its Includes, plus what was found that Deskside does not honour.

    `allow_exec`: run `Match exec` commands (they run on this machine); when False such a block does not match and
    is named in `not_honoured`. `resolver` maps a name to its canonical name (or None) for CanonicalizeHostname;
    `system`: the file is a system-wide one (relative Includes from /etc/ssh instead of ~/.ssh).
    """

    def __init__(self, path: Path | str | None, *, allow_exec: bool = False, resolver: Resolver | None = None,
                 system: bool = False, local_user: str | None = None) -> None:
        self.path = Path(path).expanduser() if path else None
        self.allow_exec = allow_exec
        self._resolve_name: Resolver = resolver or system_resolver
        self._resolved: dict[str, str | None] = {}  # one DNS lookup per name for this file's lifetime
        self.system = system
        self.local_user = local_user or getpass.getuser()
        self.not_honoured: list[str] = []
        self._seen_notes: set[str] = set()
        self.entries: list[_Entry] = []
        self.refused: dict[str, str] = {}  # host -> why ssh would stop before connecting (set by resolve)
        if self.path is not None and self.path.exists():
            self.entries = self._read(self.path, depth=0)

    def resolver(self, name: str) -> str | None:
        if name not in self._resolved:
            self._resolved[name] = self._resolve_name(name)
        return self._resolved[name]

    # -- parsing --------------------------------------------------------------------------------------------
    def _note(self, text: str) -> None:
        if text not in self._seen_notes:
            self._seen_notes.add(text)
            self.not_honoured.append(text)

    def _read(self, path: Path, depth: int) -> list[_Entry]:
        if depth > MAX_INCLUDE_DEPTH:
            self._note(f"{path}: Include nested deeper than {MAX_INCLUDE_DEPTH} levels, not read")
            return []
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            self._note(f"{path}: cannot be read ({exc.strerror or exc})")
            return []
        entries: list[_Entry] = []
        for lineno, raw in enumerate(text.splitlines(), 1):
            entry = self._parse_line(raw, f"{path}:{lineno}", depth)
            if entry is not None:
                entries.append(entry)
        return entries

    def _parse_line(self, raw: str, where: str, depth: int) -> _Entry | None:
        m = _KEY_RE.match(raw.rstrip(" \t\r\n\f"))
        if m is None:
            if raw.strip():  # "=" alone, a stray quote...: ssh stops on such a line, so it must not pass silently
                self._note(f"{where}: {raw.strip()[:80]!r} is not a 'Keyword value' line, ignored "
                           "(ssh refuses this file)")
            return None
        if m.group(1).startswith("#"):
            return None
        key, rest = m.group(1), m.group(2)
        lkey = key.lower()
        try:
            args = split_args(rest)
        except ValueError:
            self._note(f"{where}: {key} {rest} - invalid quotes, line ignored (ssh refuses this file)")
            return None
        if lkey == "host":
            return _Entry("host", where, args)
        if lkey == "match":
            return _Entry("match", where, args)
        if lkey == "include":
            return _Entry("include", where, args, files=[self._read(p, depth + 1) for p in self._globs(args, where)])
        if lkey in RAW_REST:
            opt = Option(lkey, rest.lstrip(" \t="), where, [rest])
        else:
            opt = Option(lkey, " ".join(args), where, args)
            if len(args) > 1 and lkey not in MULTI_WORD:
                opt.error = "extra arguments at end of line"
        if lkey not in HONOURED:
            self._note(f"{where}: {key} {opt.value} - not honoured by Deskside")
        return _Entry("option", where, args, option=opt)

    def _globs(self, words: list[str], where: str) -> list[Path]:
        out: list[Path] = []
        for word in words:
            if word.startswith("~") and self.system:
                self._note(f"{where}: Include {word} - '~' is not allowed in a system file, not read")
                continue
            pattern = os.path.expanduser(word)
            if not os.path.isabs(pattern):
                pattern = str((Path("/etc/ssh") if self.system else Path.home() / ".ssh") / pattern)
            out.extend(Path(p) for p in sorted(glob.glob(pattern)) if Path(p).is_file())
        return out

    # -- resolution -----------------------------------------------------------------------------------------
    def _walk(self, entries: list[_Entry], ev: _Eval, active: bool, never: bool) -> None:
        for e in entries:
            if e.kind == "host":
                active = not never and host_matches(ev.host, e.args)
            elif e.kind == "match":
                st = ev.state(self.local_user)
                st.allow_exec = self.allow_exec and not never
                try:
                    value = match_line(e.args, st, e.where)
                except MatchSyntaxError as exc:
                    self._note(f"{e.where}: Match {' '.join(e.args)} - {exc}; block ignored (ssh refuses this file)")
                    value = False
                ev.want_final |= st.want_final
                if not never:
                    ev.notes.extend(st.notes)
                active = not never and value
            elif e.kind == "include":
                for sub in e.files:
                    self._walk(sub, ev, active, never or not active)
            elif active and e.option is not None:
                ev.apply(e.option)

    def resolve(self, host: str, user: str | None = None, original_host: str | None = None) -> dict[str, list[Option]]:
        """Every option that applies to `host` as `ssh -G [user@]host` would find them. `hostname` holds the final
        (expanded, lower-cased, canonicalised) name; `user` the command-line user when one is given."""
        ev = _Eval(host=host, original=original_host or host, final=False, allow_exec=self.allow_exec)
        self.refused.pop(host, None)
        if user:
            ev.out["user"] = [Option("user", user, "command line", [user])]
        self._walk(self.entries, ev, True, False)
        name = host
        hn = ev.out.get("hostname")
        if hn and hn[0].value and not hn[0].error:
            try:
                name = _expand_hostname(hn[0].value, host)
            except TokenError as exc:
                hn[0] = Option("hostname", hn[0].value, hn[0].where, hn[0].args, error=str(exc))
        name = name.lower()
        mode = _canon_mode(ev.first("canonicalizehostname"))
        canon_where = (ev.out.get("canonicalizehostname") or ev.out.get("canonicalizepermittedcnames")
                       or [Option("", "", "")])[0].where
        if mode != "no" or "canonicalizepermittedcnames" in ev.out:
            name, problem = canonicalize(name, _canon_options(ev, mode), self.resolver)
            if problem:
                ev.notes.append(f"{canon_where}: {problem} (ssh stops here)")
                self.refused[host] = f"{canon_where}: {problem}"
        ev.want_final |= mode != "no"
        if ev.want_final:
            where = hn[0].where if hn else canon_where
            ev.out["hostname"] = [Option("hostname", name, where, [name])]
            ev.host, ev.final = name, True
            self._walk(self.entries, ev, True, False)
        elif hn and hn[0].value and not hn[0].error:
            ev.out["hostname"] = [Option("hostname", name, hn[0].where, [name])]
        for note in ev.notes:
            self._note(note)
        return ev.out

    def lookup_options(self, host: str, user: str | None = None,
                       original_host: str | None = None) -> dict[str, list[Option]]:
        """As `lookup`, with the file and line each value came from."""
        return self.resolve(host, user=user, original_host=original_host)

    def lookup(self, host: str, user: str | None = None, original_host: str | None = None) -> dict[str, list[str]]:
        """Options that apply to `host`: first value wins, except IdentityFile & co which accumulate."""
        return {k: [o.value for o in opts] for k, opts in self.resolve(host, user, original_host).items()}

    # -- what the file names --------------------------------------------------------------------------------
    def _hosts(self, entries: list[_Entry] | None = None) -> list[_Entry]:
        out: list[_Entry] = []
        for e in self.entries if entries is None else entries:
            if e.kind == "host":
                out.append(e)
            elif e.kind == "include":
                for sub in e.files:
                    out.extend(self._hosts(sub))
        return out

    def aliases(self) -> list[str]:
        """Concrete host names written in Host lines (no wildcards, no negations), in file order."""
        out: list[str] = []
        for e in self._hosts():
            for p in e.args:
                if not p or p.startswith("!") or any(c in p for c in "*?"):
                    continue
                if p not in out:
                    out.append(p)
        return out

    def has_alias(self, host: str) -> bool:
        """True when some Host line other than wildcard-only ones names this host."""
        for e in self._hosts():
            concrete = [p for p in e.args if not p.startswith("!") and not any(c in p for c in "*?")]
            if concrete and host_matches(host, e.args):
                return True
        return False


def _expand_hostname(value: str, host: str) -> str:
    """HostName takes only %h and %% (ssh.c percent_expand(options.hostname, "h", host))."""
    out, i = [], 0
    while i < len(value):
        if value[i] == "%":
            t = value[i + 1: i + 2]
            if t not in ("h", "%"):
                raise TokenError(f"HostName {value!r}: unknown token %{t} (HostName takes only %h and %%)")
            out.append(host if t == "h" else "%")
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def _canon_mode(value: str | None) -> str:
    v = (value or "no").lower()
    return {"yes": "yes", "true": "yes", "always": "always"}.get(v, "no")


def _canon_options(ev: _Eval, mode: str) -> CanonOptions:
    dots = ev.first("canonicalizemaxdots") or "1"
    cnames: list[tuple[str, str]] = []
    for rule in (ev.out.get("canonicalizepermittedcnames") or [Option("", "", "")])[0].args:
        src, sep, dst = rule.partition(":")
        if sep:
            cnames.append((src, dst))
    direct = ev.first("proxycommand") in (None, "none") and ev.first("proxyjump") in (None, "none")
    return CanonOptions(mode=mode, domains=(ev.out.get("canonicaldomains") or [Option("", "", "")])[0].args,
                        max_dots=int(dots) if dots.isdigit() else 1,
                        fallback_local=(ev.first("canonicalizefallbacklocal") or "yes").lower() in ("yes", "true"),
                        permitted_cnames=cnames, direct=direct)
