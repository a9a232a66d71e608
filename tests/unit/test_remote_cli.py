"""`deskside hosts ...` and argument handling of ssh/sftp/forward, without any network."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.commands.remote import parse_forward, split_ssh_command
from remote.hosts import HostsError


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".ssh").mkdir()
    return tmp_path


def test_hosts_add_list_remove(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hosts", "add", "web1", "deploy@127.0.0.1:2222", "--group", "prod", "--tag", "nginx",
                 "-J", "bastion"]) == 0
    assert main(["hosts", "list"]) == 0
    out = capsys.readouterr().out
    assert "web1  deploy@127.0.0.1:2222  (via bastion; group prod; tags nginx)" in out
    assert main(["hosts", "add", "web1", "127.0.0.1"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["hosts", "list", "--search", "nomatch"]) == 0
    assert "no hosts" in capsys.readouterr().out
    assert main(["hosts", "remove", "web1"]) == 0
    assert main(["hosts", "remove", "web1"]) == 2
    assert "no host named 'web1'" in capsys.readouterr().err


def test_bad_input_is_one_clear_line(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hosts", "add", "bad name", "127.0.0.1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("deskside: host name 'bad name' is not valid") and "Traceback" not in err
    assert main(["ssh", "bob@host:99999", "--", "true"]) == 2
    assert "out of range" in capsys.readouterr().err


def test_malformed_address_book_is_not_overwritten(home: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    book = Path(os.environ["DESKSIDE_CONFIG_DIR"]) / "hosts.toml"
    book.write_text("[[hosts]\n")
    assert main(["hosts", "add", "x", "127.0.0.1"]) == 2
    assert "not valid TOML" in capsys.readouterr().err
    assert book.read_text() == "[[hosts]\n"


def test_import_dry_run_names_what_is_not_honoured(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (home / ".ssh" / "config").write_text("Host a\n  HostName 127.0.0.1\n  ForwardAgent yes\n")
    assert main(["hosts", "import", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would import 1 host(s)" in out and "ForwardAgent yes - not honoured" in out
    assert main(["hosts", "list"]) == 0
    assert "no hosts" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("spec", "kind", "expected"),
    [
        ("8080:127.0.0.1:80", "L", ("127.0.0.1", 8080, "127.0.0.1", 80)),
        ("0.0.0.0:8080:db:5432", "L", ("0.0.0.0", 8080, "db", 5432)),
        ("[::1]:8080:[::1]:80", "R", ("::1", 8080, "::1", 80)),
        ("1080", "D", ("127.0.0.1", 1080, "", 0)),
        ("127.0.0.1:1080", "D", ("127.0.0.1", 1080, "", 0)),
    ],
)
def test_parse_forward(spec: str, kind: str, expected: tuple[str, int, str, int]) -> None:
    assert parse_forward(spec, kind) == expected


@pytest.mark.parametrize(("spec", "kind"), [("8080", "L"), ("a:b:c", "L"), ("x", "D")])
def test_parse_forward_rejects(spec: str, kind: str) -> None:
    with pytest.raises(HostsError, match="is not valid"):
        parse_forward(spec, kind)


def test_options_between_host_and_command() -> None:
    ns = argparse.Namespace(command=["--timeout", "5", "-i", "k", "--", "ls", "-l"], timeout=None, identity=[],
                            jump=None, accept_new=False, no_agent=False, save_secrets=False, connect_timeout=20.0,
                            keepalive=None)
    assert split_ssh_command(ns) == ["ls", "-l"]
    assert ns.timeout == 5.0 and ns.identity == ["k"]
    ns.command = ["uptime"]
    assert split_ssh_command(ns) == ["uptime"]


def test_address_book_with_a_wrong_type_is_one_clear_line(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from desktop.paths import address_book_path

    path = address_book_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[[hosts]]\nname = 7\nhostname = '127.0.0.1'\n")
    assert main(["hosts", "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"deskside: {path}, host entry 1: name = 7 is not valid") and "Traceback" not in err


def test_server_text_is_shown_without_control_characters() -> None:
    from desktop.commands.remote import shown

    assert shown("a\x1b[2Jb\x07c\x9bd\x7f") == "a\\x1b[2Jb\\x07c\\x9bd\\x7f"
    assert shown("line one\nline two\tx") == "line one\nline two\tx"
    assert shown("new\nline", one_line=True) == "new\\nline"
    assert shown("naïve ☃") == "naïve ☃"


def test_one_connection_factory_for_cli_and_gui(home: Path) -> None:
    # the CLI, the Remote page (desktop/connection_worker.py) and its "Run diagnostics"
    # (desktop/remote_diagnostics_gui.py) build their connections with this one function
    from desktop import paths
    from desktop.wiring import new_connection
    from remote.auth import NoSecrets
    from remote.hosts import AddressBook, HostProfile

    book = AddressBook(paths.config_dir() / "hosts.toml")
    book.add(HostProfile(name="jumpy", hostname="127.0.0.9", port=2222, user="ops"))
    conn = new_connection(book, secrets=NoSecrets(), save_secrets=True)
    assert conn.trust.known_hosts_paths == [home / ".ssh" / "known_hosts", home / ".ssh" / "known_hosts2",
                                            Path("/etc/ssh/ssh_known_hosts"), Path("/etc/ssh/ssh_known_hosts2")]
    assert conn.trust.own_store_path == paths.data_dir() / "known_hosts"
    assert conn.audit.path == paths.log_dir() / "remote-audit.jsonl"
    assert conn.default_identity_dir == home / ".ssh"
    assert (conn.save_secrets, conn.use_agent) == (True, True)
    jump = conn.resolve_jump("jumpy")
    assert (jump.hostname, jump.port, jump.user) == ("127.0.0.9", 2222, "ops")
    for module in ("connection_worker.py", "remote_diagnostics_gui.py"):
        src = (Path(__file__).parents[2] / "desktop" / module).read_text()
        assert "new_connection" in src and "HostKeyStore(" not in src


@pytest.mark.parametrize(("key_type", "label"), [("ssh-ed25519", "ED25519"), ("ssh-rsa", "RSA"),
                                                  ("ecdsa-sha2-nistp256", "ECDSA"), ("ecdsa-sha2-nistp521", "ECDSA")])
def test_host_key_question_names_the_type_as_ssh_does(key_type: str, label: str) -> None:
    from desktop.commands.remote import openssh_key_label

    assert openssh_key_label(key_type) == label  # was "ECDSA-SHA2-NISTP256" where ssh says "ECDSA"


def test_a_local_file_problem_is_one_line_not_a_bug_report(capsys: pytest.CaptureFixture[str]) -> None:
    from desktop.commands.remote import EXIT_FAIL, run_guarded

    def full_disk(args: argparse.Namespace) -> int:
        raise OSError(28, "No space left on device", "/tmp/x.part")

    assert run_guarded(full_disk, argparse.Namespace()) == EXIT_FAIL
    assert capsys.readouterr().err == "deskside: No space left on device (/tmp/x.part)\n"


def test_hash_known_hosts_from_the_ssh_config_is_followed(home: Path) -> None:
    from desktop.wiring import new_connection
    from remote.auth import NoSecrets
    from remote.hosts import AddressBook

    (home / ".ssh" / "config").write_text("Host 127.0.0.2\n  HashKnownHosts yes\n")
    conn = new_connection(AddressBook(home / "hosts.toml"), secrets=NoSecrets())
    path = conn.trust.accept("127.0.0.2", 22, "ssh-ed25519", b"\0\0\0\x0bssh-ed25519")
    conn.trust.accept("127.0.0.3", 2222, "ssh-ed25519", b"\0\0\0\x0bssh-ed25519")
    lines = path.read_text().splitlines()
    assert lines[0].startswith("|1|") and lines[1].startswith("[127.0.0.3]:2222 ")
