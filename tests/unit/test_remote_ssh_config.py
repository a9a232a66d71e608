"""~/.ssh/config import: the keywords Deskside honours, OpenSSH's first-value-wins rule, and what is named as not
honoured."""

from __future__ import annotations

from pathlib import Path

import pytest

from remote.hosts import import_ssh_config, resolve_target
from remote.ssh_config import SshConfig, expand_tokens, host_matches


def write(p: Path, text: str) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def test_import_honours_fields_includes_and_patterns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a relative Include is read from ~/.ssh even when the file itself is elsewhere (as `ssh -F file` does)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    write(tmp_path / "home" / ".ssh" / "conf.d" / "10-bastion.conf",
          "Host bastion\n  HostName 127.0.0.1\n  Port 2201\n  User ops\n")
    cfg = write(
        tmp_path / "config",
        "Include conf.d/*.conf\n"
        "Host web1 web2\n"
        "  HostName %h.internal.example\n"
        "  User deploy\n"
        "  IdentityFile ~/.ssh/id_web\n"
        "  ProxyJump bastion,jump2:2222\n"
        "  ServerAliveInterval 15\n"
        "  ServerAliveCountMax 4\n"
        "Host web2\n"
        "  User ignored-because-first-wins\n"
        "  IdentityFile /keys/extra\n"
        "Host *.example !secret.example\n"
        "  Port 2022\n"
        "Host * \n"
        "  ForwardAgent yes\n"
        "  IdentityFile ~/.ssh/id_default\n",
    )
    profiles, notes = import_ssh_config(cfg)
    by = {p.name: p for p in profiles}
    assert sorted(by) == ["bastion", "web1", "web2"]
    w2 = by["web2"]
    assert w2.hostname == "web2.internal.example"
    assert w2.user == "deploy"
    assert w2.port == 22
    assert w2.proxy_jump == ["bastion", "jump2:2222"]
    assert (w2.keepalive_interval, w2.keepalive_count_max) == (15, 4)
    home = str(Path.home())
    assert w2.identity_files == [f"{home}/.ssh/id_web", "/keys/extra", f"{home}/.ssh/id_default"]
    assert (by["bastion"].hostname, by["bastion"].port, by["bastion"].user) == ("127.0.0.1", 2201, "ops")
    assert notes == [f"{cfg}:15: ForwardAgent yes - not honoured by Deskside"]


def test_match_blocks_apply_and_unknown_keywords_are_named(tmp_path: Path) -> None:
    import getpass

    cfg = write(
        tmp_path / "config",
        "Host a\n  HostName 127.0.0.1\n  ForwardAgent yes\n  LocalForward 8080 127.0.0.1:80\n"
        "Match user someone-else\n  Port 1111\n"
        f"Match user {getpass.getuser()}\n  Port 9999\n",
    )
    profiles, notes = import_ssh_config(cfg)
    assert profiles[0].port == 9999  # the matching Match block applies (it used to be ignored)
    assert f"{cfg}:3: ForwardAgent yes - not honoured by Deskside" in notes
    assert f"{cfg}:4: LocalForward 8080 127.0.0.1:80 - not honoured by Deskside" in notes
    assert not any("Match" in n for n in notes)


def test_patterns_negation_and_literal_brackets() -> None:
    assert host_matches("db.example", ["*.example"])
    assert not host_matches("secret.example", ["*.example", "!secret.example"])
    assert host_matches("a1", ["a?"]) and not host_matches("a12", ["a?"])
    assert host_matches("[h]", ["[h]"])  # brackets are literal in OpenSSH patterns


def test_include_loops_do_not_hang(tmp_path: Path) -> None:
    cfg = write(tmp_path / "config", f"Include {tmp_path}/config\nHost x\n  Port 2\n")
    parsed = SshConfig(cfg)
    assert parsed.lookup("x")["port"] == ["2"]
    assert any("nested deeper" in n for n in parsed.not_honoured)


def test_tokens() -> None:
    out = expand_tokens("~/.ssh/%r@%h:%p-%n-%%", host="alias", hostname="real", user="bob", port=2222)
    assert out == f"{Path.home()}/.ssh/bob@real:2222-alias-%"


def test_resolve_target_alias_and_user_at_host(tmp_path: Path) -> None:
    cfg = write(tmp_path / "config", "Host box\n  HostName 127.0.0.1\n  Port 2200\n  User alice\n")
    p = resolve_target("box", None, cfg)
    assert (p.hostname, p.port, p.user, p.group) == ("127.0.0.1", 2200, "alice", "ssh-config")
    p = resolve_target("bob@box:2300", None, cfg)
    assert (p.hostname, p.port, p.user) == ("127.0.0.1", 2300, "bob")
    p = resolve_target("carol@127.0.0.2", None, cfg)
    assert (p.hostname, p.port, p.user, p.group) == ("127.0.0.2", 22, "carol", "")


def test_values_ssh_would_reject_are_errors_with_file_and_line(tmp_path: Path) -> None:
    from remote.hosts import HostsError

    cfg = write(
        tmp_path / "config",
        "Host badport\n  HostName 127.0.0.1\n  Port abc\n"
        "Host badalive\n  HostName 127.0.0.1\n  ServerAliveInterval ten\n"
        "Host nohost\n  HostName\n"
        "Host good\n  HostName 127.0.0.1\n  Port 2200\n",
    )
    # Port abc used to become port 22 without a word: the connection went to another port than the user wrote
    with pytest.raises(HostsError, match=rf"{cfg}:3: Port 'abc' is not valid \(host 'badport'\)"):
        resolve_target("badport", None, cfg)
    with pytest.raises(HostsError, match=rf"{cfg}:6: ServerAliveInterval 'ten' is not valid"):
        resolve_target("badalive", None, cfg)
    with pytest.raises(HostsError, match=rf"{cfg}:8: HostName has no value"):
        resolve_target("nohost", None, cfg)
    # an import takes the good hosts and names the bad ones (it used to stop at the first bad one)
    profiles, notes = import_ssh_config(cfg)
    assert [(p.name, p.port) for p in profiles] == [("good", 2200)]
    assert [n.split(":")[0] for n in notes] == [
        "host 'badport' not imported", "host 'badalive' not imported", "host 'nohost' not imported"]
    assert f"{cfg}:3: Port 'abc'" in notes[0]


def test_include_inside_a_host_block_agrees_with_openssh(tmp_path: Path) -> None:
    # An Include inside `Host a` counts only for a, and the lines after it still belong to `Host a`. They used to be
    # attached to the last Host block of the included file: `a` lost its Port and User, and `b` got them.
    import shutil
    import subprocess

    from tests.conftest import need

    write(tmp_path / "inc.conf", "Host b\n  User bob\n  Port 2202\nHost *\n  User inc-star\n")
    write(tmp_path / "top.conf", "User top-user\n")
    cfg = write(
        tmp_path / "config",
        f"Host a\n  Include {tmp_path}/inc.conf\n  User alice\n  Port 2201\n"
        f"Host c\n  Include {tmp_path}/top.conf\n  Port 2203\n"
        "Host *\n  Port 2299\n",
    )
    ours = {h: resolve_target(h, None, cfg) for h in ("a", "b", "c", "d")}
    assert {h: (p.user, p.port) for h, p in ours.items() if h != "d"} == {
        "a": ("inc-star", 2201), "b": ("", 2299), "c": ("top-user", 2203)}
    need(shutil.which("ssh") is not None, "OpenSSH client (ssh -G)")
    for host, p in ours.items():
        out = subprocess.run(["ssh", "-G", "-F", str(cfg), host], capture_output=True, text=True, check=True).stdout
        got = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
        assert int(got["port"]) == p.port, host
        if p.user:
            assert got["user"] == p.user, host
