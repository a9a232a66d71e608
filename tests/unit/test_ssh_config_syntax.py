"""ssh_config line syntax as OpenSSH 9.2 reads it: inline `#` comments, quotes, `Key=Value`, duplicate identity
files, relative Includes; and `deskside hosts import` on such a file, end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.cli import main
from remote.hosts import import_ssh_config, resolve_target
from remote.ssh_config import SshConfig, split_args


def write(p: Path, text: str) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".ssh").mkdir()
    return tmp_path


def test_split_args_like_argv_split() -> None:
    assert split_args('pi  # Raspberry Pi') == ["pi"]
    assert split_args('"my key" b#c \'x y\'') == ["my key", "b#c", "x y"]
    assert split_args(r'a\ b c\"d') == ["a b", 'c"d']
    assert split_args("#all comment") == []
    with pytest.raises(ValueError):
        split_args('"unterminated')


def test_inline_comments_quotes_and_key_value(home: Path) -> None:
    cfg = write(home / ".ssh" / "config",
                "Host pi  # Raspberry Pi\n"
                "  HostName 10.0.0.7 # the pi\n"
                "  User bob # admin\n"
                "  Port 2022 # comment\n"
                '  IdentityFile "~/.ssh/my key"\n'
                "  IdentityFile ~/.ssh/id_pi\n"
                "  IdentityFile ~/.ssh/id_pi\n"
                "  ProxyCommand nc %h %p # part of the command\n"
                "Host=eq\n  User=equser\n  Port = 2300\n"
                'Host "quoted"\n  User q\n')
    parsed = SshConfig(cfg)
    assert parsed.aliases() == ["pi", "eq", "quoted"]
    got = parsed.lookup("pi")
    assert got["hostname"] == ["10.0.0.7"] and got["user"] == ["bob"] and got["port"] == ["2022"]
    assert got["identityfile"] == ["~/.ssh/my key", "~/.ssh/id_pi"]  # the duplicate is dropped, as OpenSSH
    assert got["proxycommand"] == ["nc %h %p # part of the command"]  # OpenSSH keeps the rest of the line
    p = resolve_target("pi", None, cfg)
    assert (p.user, p.port, p.identity_files) == ("bob", 2022, [f"{home}/.ssh/my key", f"{home}/.ssh/id_pi"])
    assert parsed.lookup("eq") == {"user": ["equser"], "port": ["2300"]}


def test_extra_words_are_refused_with_file_and_line(home: Path) -> None:
    from remote.hosts import HostsError

    cfg = write(home / ".ssh" / "config", "Host a\n  HostName 127.0.0.1\n  User bob admin\nHost b\n  Port 22 x\n")
    with pytest.raises(HostsError, match=rf"{cfg}:3: User 'bob admin': extra arguments at end of line"):
        resolve_target("a", None, cfg)
    profiles, notes = import_ssh_config(cfg)
    assert profiles == [] and len(notes) == 2


def test_hosts_import_with_inline_comments_end_to_end(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(home / ".ssh" / "config",
          "Host pi  # Raspberry Pi\n  HostName 10.0.0.7\n  User bob # admin\n  Port 2022 # comment\n"
          "Host nas backup # storage boxes\n  User admin\n")
    assert main(["hosts", "import"]) == 0
    out = capsys.readouterr().out
    assert "imported 3 host(s)" in out and "pi, nas, backup" in out
    assert main(["hosts", "list"]) == 0
    listing = capsys.readouterr().out
    assert "bob@10.0.0.7:2022" in listing and "admin@nas" in listing
    for junk in ("#", "Raspberry", "storage", "boxes", "# admin"):
        assert junk not in listing


def test_relative_include_is_read_from_dot_ssh(home: Path, tmp_path: Path) -> None:
    write(home / ".ssh" / "conf.d" / "a.conf", "Host inc\n  Port 2201\n")
    elsewhere = write(tmp_path / "other" / "config", "Include conf.d/*.conf\n")
    write(tmp_path / "other" / "conf.d" / "a.conf", "Host inc\n  Port 9999\n")  # not this one
    assert SshConfig(elsewhere).lookup("inc")["port"] == ["2201"]
    system = write(tmp_path / "etc" / "ssh_config", "Include ~/x.conf\n")
    assert any("not allowed in a system file" in n for n in SshConfig(system, system=True).not_honoured)


def test_unquoted_path_with_spaces_is_refused(home: Path) -> None:
    from remote.hosts import HostsError

    cfg = write(home / ".ssh" / "config", "Host k\n  IdentityFile ~/.ssh/my key\n")
    with pytest.raises(HostsError, match=rf"{cfg}:2: IdentityFile '~/.ssh/my key': extra arguments.*quote a path"):
        resolve_target("k", None, cfg)
