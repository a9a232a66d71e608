"""Resolution as OpenSSH 9.2: Match criteria, the exec opt-in, the final pass, canonicalisation (with an injected
resolver, no DNS) and tokens."""

from __future__ import annotations

import getpass
import hashlib
import socket
from pathlib import Path

import pytest

from remote.hosts import HostsError, import_ssh_config, profile_from_ssh_config, resolve_target
from remote.ssh_config import SshConfig
from remote.ssh_config_tokens import TokenContext, TokenError, expand_env, expand_for, expand_percent


def write(p: Path, text: str) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def test_match_criteria_are_anded_and_negated(tmp_path: Path) -> None:
    me = getpass.getuser()
    cfg = write(tmp_path / "config",
                "Match originalhost lab* !user ops\n  Port 2201\n"
                f"Match originalhost lab2 localuser {me}\n  IdentityFile ~/lab2\n"
                "Match user ops host lab*\n  Port 2299\n"
                "Match host *.example.com\n  User from-hostname-match\n"
                "Host web\n  HostName Web.Example.COM\n")
    c = SshConfig(cfg)
    assert c.lookup("lab1")["port"] == ["2201"]
    assert c.lookup("lab2")["identityfile"] == ["~/lab2"]
    assert c.lookup("lab1", user="ops")["port"] == ["2299"]  # the command-line user is what Match user sees
    assert c.lookup("lab1", user="ops")["user"] == ["ops"]  # and it wins over the config
    web = c.lookup("web")
    # Match host sees the HostName set by a later Host block only on a second pass; here none is wanted, so no User
    assert web["hostname"] == ["web.example.com"] and "user" not in web


def test_match_final_re_parses_against_the_resolved_name(tmp_path: Path) -> None:
    cfg = write(tmp_path / "config",
                "Host alias\n  HostName Real.Example.COM\n"
                "Host real.example.com\n  User realuser\n"
                "Match final\n  Port 99\n"
                "Match canonical\n  IdentityFile ~/canon\n"
                "Match !final\n  IdentityFile ~/first-pass\n")
    got = SshConfig(cfg).lookup("alias")
    assert got["user"] == ["realuser"] and got["port"] == ["99"]
    assert got["identityfile"] == ["~/first-pass", "~/canon"]


def test_match_exec_only_when_allowed(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    cfg = write(tmp_path / "config", f'Match host box exec "touch {marker}; test %n = box"\n  User exec-user\n'
                                     "Match host other exec \"touch /nonexistent-never-run\"\n  Port 1\n")
    c = SshConfig(cfg)
    assert "user" not in c.lookup("box") and not marker.exists()
    assert any("Match exec" in n and "not run" in n and "treated as not matching" in n for n in c.not_honoured)
    allowed = SshConfig(cfg, allow_exec=True)
    assert allowed.lookup("box")["user"] == ["exec-user"] and marker.exists()
    assert "port" not in allowed.lookup("box")  # exec after a failed criterion is not run, as OpenSSH
    assert not any("Match exec" in n for n in allowed.not_honoured)


def test_match_exec_opt_in_through_hosts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write(tmp_path / "config", 'Match exec "true"\n  User via-exec\n')
    monkeypatch.delenv("DESKSIDE_SSH_MATCH_EXEC", raising=False)
    assert resolve_target("h", None, cfg).user == ""
    _, notes = import_ssh_config(write(tmp_path / "c2", 'Host h\nMatch exec "true"\n  User x\n'))
    assert any("not run" in n for n in notes)
    assert resolve_target("h", None, cfg, allow_exec=True).user == "via-exec"
    monkeypatch.setenv("DESKSIDE_SSH_MATCH_EXEC", "yes")
    assert resolve_target("h", None, cfg).user == "via-exec"


def test_bad_match_lines_are_named(tmp_path: Path) -> None:
    cfg = write(tmp_path / "config", "Match all host x\n  Port 1\nMatch tagged x\n  Port 2\nMatch host\n  Port 3\n")
    c = SshConfig(cfg)
    assert "port" not in c.lookup("x")
    assert len([n for n in c.not_honoured if "ssh refuses this file" in n]) == 3


def test_host_patterns_are_case_sensitive_hostname_is_lowercased(tmp_path: Path) -> None:
    # checked against ssh -G 9.2 (tests/data/ssh_config_corpus/12-case-rules.conf): `Host mixedcase` does not apply
    # to `ssh MixedCase`, Match host/originalhost ignore case, the HostName is lower-cased
    cfg = write(tmp_path / "config", "Host mixedcase\n  User lower\nMatch originalhost MIXED*\n  Port 7\n")
    c = SshConfig(cfg)
    assert c.lookup("MixedCase") == {"port": ["7"]}
    assert resolve_target("MixedCase", None, cfg).hostname == "mixedcase"


def zone(names: dict[str, str]):  # type: ignore[no-untyped-def]
    def resolve(name: str) -> str | None:
        return names.get(name.rstrip(".").lower())
    return resolve


def test_canonicalisation_with_an_injected_resolver(tmp_path: Path) -> None:
    cfg = write(tmp_path / "config",
                "CanonicalizeHostname yes\nCanonicalDomains lab.example corp.example\n"
                "CanonicalizePermittedCNAMEs *.corp.example:*.db.corp.example\n"
                "Host *.corp.example\n  User corp\nHost *.db.corp.example\n  Port 5432\n"
                "Host viaproxy\n  ProxyJump gw\n")
    names = {"login.corp.example": "login.corp.example", "db.corp.example": "pg1.db.corp.example",
             "viaproxy.corp.example": "viaproxy.corp.example"}
    c = SshConfig(cfg, resolver=zone(names))
    assert c.lookup("login")["hostname"] == ["login.corp.example"] and c.lookup("login")["user"] == ["corp"]
    db = c.lookup("db")
    assert (db["hostname"], db["port"], db["user"]) == (["pg1.db.corp.example"], ["5432"], ["corp"])
    assert c.lookup("viaproxy")["hostname"] == ["viaproxy"]  # proxied: not canonicalised unless `always`
    assert c.lookup("a.b.c") == c.lookup("a.b.c") and "user" not in c.lookup("a.b.c")  # more dots than MaxDots
    assert "user" not in c.lookup("10.0.0.1")


def test_canonicalisation_failure_without_fallback_is_named(tmp_path: Path) -> None:
    cfg = write(tmp_path / "config", "CanonicalizeHostname yes\nCanonicalDomains corp.example\n"
                                     "CanonicalizeFallbackLocal no\nHost *\n  HostName %h\n")
    c = SshConfig(cfg, resolver=zone({}))
    c.lookup("nowhere")
    assert any("Could not resolve host 'nowhere'" in n and "ssh stops here" in n for n in c.not_honoured)
    # Deskside does not connect where ssh would not: the host is refused with the reason, not sent elsewhere
    with pytest.raises(HostsError, match=rf"{cfg}:1: Could not resolve host 'nowhere'.*would not connect"):
        profile_from_ssh_config(SshConfig(cfg, resolver=zone({})), "nowhere")


def test_tokens_and_connection_hash() -> None:
    ctx = TokenContext(host="alias", hostname="real.example", user="bob", port=2222, local_user="me", home="/h",
                       uid=1000, local_hostname="ws.local.example")
    want_c = hashlib.sha1(b"ws.local.examplereal.example2222bob", usedforsecurity=False).hexdigest()
    assert expand_percent("%C", ctx) == want_c  # %l%h%p%r, as OpenSSH 9.2
    assert expand_percent("%%-%d-%h-%i-%k-%L-%l-%n-%p-%r-%u", ctx) == \
        "%-/h-real.example-1000-alias-ws-ws.local.example-alias-2222-bob-me"
    assert expand_for("identityfile", "~/.ssh/id_%r@%h", ctx) == "/h/.ssh/id_bob@real.example"
    assert expand_for("proxycommand", "nc %h %p", ctx) == "nc real.example 2222"
    with pytest.raises(TokenError, match="unknown token %C"):
        expand_for("proxycommand", "nc %C", ctx)  # ProxyCommand takes only %h %n %p %r %%
    assert expand_for("identityfile", "${XDG_X}/k", ctx, {"XDG_X": "/x"}) == "/x/k"
    with pytest.raises(TokenError, match=r"\$\{NOPE\} is not set"):
        expand_env("${NOPE}/k", {})
    assert expand_for("proxyjump", "%h", ctx) == "%h"  # ProxyJump is not expanded by OpenSSH 9.2
    assert socket.gethostname() == TokenContext("a", "b", "c", 1).local_hostname


def test_hostname_tokens_and_bad_identity_token(tmp_path: Path) -> None:
    cfg = write(tmp_path / "config", "Host pct\n  HostName 100%%.%h\nHost bad\n  HostName %r.example\n"
                                     "Host badid\n  IdentityFile ~/id_%Z\n")
    assert resolve_target("pct", None, cfg).hostname == "100%.pct"
    with pytest.raises(HostsError, match="HostName takes only %h and %%"):
        resolve_target("bad", None, cfg)
    with pytest.raises(HostsError, match=r"IdentityFile .*unknown token %Z"):
        resolve_target("badid", None, cfg)


def test_proxyjump_and_proxycommand_first_wins_as_ssh_g(tmp_path: Path) -> None:
    cfg = write(tmp_path / "config",
                "Host a\n  ProxyJump none\n  ProxyCommand nc x\n  ProxyJump j\n"
                "Host b\n  ProxyCommand none\n  ProxyJump j\n"
                "Host c\n  ProxyJump j\n  ProxyCommand nc %h %p\n")
    c = SshConfig(cfg)
    assert c.lookup("a") == {"proxycommand": ["nc x"]}
    assert c.lookup("b") == {"proxycommand": ["none"]}
    assert c.lookup("c") == {"proxyjump": ["j"]}
