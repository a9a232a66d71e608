"""The address book file and parsing what a user types as HOST."""

from __future__ import annotations

from pathlib import Path

import pytest

from remote.hosts import AddressBook, HostProfile, HostsError, parse_target, resolve_target


def test_address_book_round_trip_search_and_permissions(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "hosts.toml"
    book = AddressBook(path).load()
    assert book.all() == []
    book.add(HostProfile("web1", "127.0.0.1", "deploy", 2222, ["~/.ssh/k"], ["jump"], "prod", ["nginx", "eu"],
                         notes="front end"))
    book.add(HostProfile("db", "127.0.0.1", group="prod", tags=["postgres"]))
    book.save()
    assert path.stat().st_mode & 0o777 == 0o600
    again = AddressBook(path).load()
    assert again.get("web1") == book.get("web1")
    assert [p.name for p in again.search("PROD nginx")] == ["web1"]
    assert [p.name for p in again.search("postgres")] == ["db"]
    assert [p.name for p in again.all()] == ["db", "web1"]
    with pytest.raises(HostsError, match="already exists"):
        again.add(HostProfile("db", "127.0.0.1"))
    again.remove("db")
    with pytest.raises(HostsError, match="no host named 'db'"):
        again.remove("db")
    assert "password" not in path.read_text().lower()


def test_malformed_file_is_reported_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "hosts.toml"
    path.write_text("[[hosts]]\nname = 'x'\nhostname = \n")
    with pytest.raises(HostsError) as err:
        AddressBook(path).load()
    assert str(path) in str(err.value) and "not valid TOML" in str(err.value)
    assert path.read_text() == "[[hosts]]\nname = 'x'\nhostname = \n"
    path.write_text("[[hosts]]\nname = 'x'\nhostname = 'h'\nport = 70000\n")
    with pytest.raises(HostsError, match="out of range"):
        AddressBook(path).load()
    path.write_text("[[hosts]]\nname = 'x'\nhostname = 'h'\npasword = 'typo'\n")
    with pytest.raises(HostsError, match="unknown field"):
        AddressBook(path).load()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("host", ("", "host", None)),
        ("bob@host", ("bob", "host", None)),
        ("bob@host:2222", ("bob", "host", 2222)),
        ("[::1]:2222", ("", "::1", 2222)),
        ("bob@[::1]", ("bob", "::1", None)),
        ("::1", ("", "::1", None)),
    ],
)
def test_parse_target(text: str, expected: tuple[str, str, int | None]) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize("bad", ["", "bob@", "host:99999", "a b"])
def test_parse_target_rejects_with_advice(bad: str) -> None:
    with pytest.raises(HostsError):
        parse_target(bad)


def test_resolve_prefers_the_address_book(tmp_path: Path) -> None:
    book = AddressBook(tmp_path / "h.toml")
    book.add(HostProfile("box", "127.0.0.5", "alice", 2200))
    assert resolve_target("box", book, None).hostname == "127.0.0.5"
    p = resolve_target("bob@box", book, None)
    assert (p.hostname, p.user, p.port) == ("127.0.0.5", "bob", 2200)
    assert book.get("box").user == "alice"  # the stored profile is not changed


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ("name = 123\nhostname = 'x'", "name = 123 is not valid: it must be a string"),
        ("name = 'a'\nhostname = 5", "hostname = 5 is not valid"),
        ("name = 'a'\nhostname = 'h'\nproxy_jump = 'jump1'", "proxy_jump = 'jump1' is not valid: it must be a list"),
        ("name = 'a'\nhostname = 'h'\ntags = 'web'", "tags = 'web' is not valid"),
        ("name = 'a'\nhostname = 'h'\nidentity_files = [1]", "identity_files = [1] is not valid"),
        ("name = 'a'\nhostname = 'h'\nport = true", "port = True is not valid: it must be a whole number"),
        ("name = 'a'\nhostname = 'h'\nport = 2.5", "port = 2.5 is not valid"),
        ("name = 'a'\nhostname = 'h'\nport = 70000", "port 70000 is out of range"),
    ],
)
def test_wrong_value_types_name_the_field_and_file(tmp_path: Path, entry: str, says: str) -> None:
    # a string where a list belongs used to become a list of its letters (proxy_jump "jump1" -> j, u, m, p, 1);
    # a number where a string belongs raised a TypeError
    path = tmp_path / "hosts.toml"
    path.write_text(f"[[hosts]]\n{entry}\n")
    with pytest.raises(HostsError) as err:
        AddressBook(path).load()
    assert says in str(err.value)
    assert f"{path}, host entry 1" in str(err.value)
    assert path.read_text() == f"[[hosts]]\n{entry}\n"


def test_unwritable_address_book_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the config folder should be")
    book = AddressBook(blocker / "hosts.toml")
    book.add(HostProfile("web1", "127.0.0.1"))
    with pytest.raises(HostsError, match=r"address book .*hosts.toml: File exists\. It was left as it was"):
        book.save()
