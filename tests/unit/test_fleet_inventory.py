"""Fleet inventories: Ansible INI/YAML read as Ansible reads them (checked against ansible-inventory itself), CSV,
host ranges, selection, and errors that name the file and line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fleet import ansible_inventory, inventory
from fleet.inventory import InventoryError

DATA = Path(__file__).resolve().parents[1] / "data" / "fleet"


def _shape(hosts: list[inventory.InventoryHost]) -> dict[str, tuple]:
    return {h.name: (h.hostname, h.port, h.user, h.identity_file, tuple(sorted(h.groups)),
                     {k: str(v) for k, v in h.vars.items()}) for h in hosts}


def _need_ansible() -> None:
    if ansible_inventory.ansible_inventory_available() is None:
        if os.environ.get("CI"):
            pytest.fail("ansible-inventory is not installed (make test installs ansible-core from the dev extras)")
        pytest.skip("ansible-inventory is not installed")


@pytest.mark.parametrize("name", ["inventory.ini", "inventory.yml"])
def test_built_in_reader_agrees_with_ansible_inventory(name: str) -> None:
    _need_ansible()
    ours = inventory.load(DATA / name)
    theirs = ansible_inventory.run_ansible_inventory(DATA / name)
    assert _shape(ours) == _shape(theirs)
    assert len(ours) >= 5


def test_ini_values_ranges_groups_and_precedence() -> None:
    hosts = {h.name: h for h in inventory.load(DATA / "inventory.ini")}
    assert sorted(hosts) == ["api.example.test", "db-a.example.test", "db-b.example.test", "mail.example.test",
                             "web01.example.test", "web02.example.test", "web03.example.test"]
    web01 = hosts["web01.example.test"]
    assert (web01.user, web01.port, web01.groups) == ("deploy", 22, ["prod", "web"])  # host var beats group var
    assert hosts["api.example.test"].user == "www"  # group var where the host sets none
    assert (hosts["api.example.test"].hostname, hosts["api.example.test"].port) == ("127.0.0.2", 2222)
    assert hosts["db-a.example.test"].identity_file == "~/.ssh/db_key"
    assert hosts["mail.example.test"].groups == ["ungrouped"]
    assert web01.source.endswith("inventory.ini:5")


def test_csv_inventory() -> None:
    hosts = {h.name: h for h in inventory.load(DATA / "hosts.csv")}
    assert (hosts["web01"].hostname, hosts["web01"].port, hosts["web01"].user) == ("127.0.0.1", 2201, "deploy")
    assert hosts["web01"].groups == ["prod", "web"] and hosts["web01"].vars == {"owner": "alice"}
    assert hosts["db01"].hostname == "db01" and hosts["db01"].port is None and hosts["db01"].groups == ["db", "prod"]


@pytest.mark.parametrize(("name", "text", "line", "words"), [
    ("bad.ini", "[web\nhost1\n", 1, "must end with ']'"),
    ("bad.ini", "[web]\nhost1 ansible_port=99999\n", 2, "not a port number"),
    ("bad.ini", "[web]\nweb[05:01]\n", 2, "starts after it ends"),
    ("bad.ini", "[web]\nh1 'unclosed\n", 2, "unclosed quote"),
    ("bad.ini", "[a:children]\nb\n[b:children]\na\n", None, "contain each other"),
    ("bad.yml", "all:\n  hosts:\n    - h1\n", 3, "must be a mapping"),
    ("bad.yml", "all:\n  children:\n    web:\n      hostz:\n        h1:\n", 4, "only hosts, vars and children"),
    ("bad.yml", "all:\n  hosts: [\n", 3, "not valid YAML"),
    ("bad.csv", "hostname,port\n1.2.3.4,22\n", 1, "no 'name' column"),
    ("bad.csv", "name,port\nh1,22\nh1,23\n", 3, "already on line 2"),
    ("bad.csv", "name,port\nh1,x\n", 2, "not a port number"),
])
def test_errors_name_the_file_and_line(tmp_path: Path, name: str, text: str, line: int | None, words: str) -> None:
    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(InventoryError) as err:
        inventory.load(p)
    assert words in str(err.value)
    assert str(err.value).startswith(f"{p}:{line}:" if line else f"{p}:")
    assert err.value.line == line


def test_unreadable_inventories(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="no such file"):
        inventory.load(tmp_path / "missing.ini")
    os.mkfifo(tmp_path / "fifo.ini")
    with pytest.raises(InventoryError, match="not a regular file"):
        inventory.load(tmp_path / "fifo.ini")
    (tmp_path / "latin1.ini").write_bytes(b"[web]\nh\xe9\n")
    with pytest.raises(InventoryError, match=r"latin1.ini:2: is not UTF-8"):
        inventory.load(tmp_path / "latin1.ini")


def test_select_by_name_glob_and_group() -> None:
    hosts = inventory.load(DATA / "inventory.ini")
    assert [h.name for h in inventory.select(hosts, ["@db"])] == ["db-a.example.test", "db-b.example.test"]
    assert len(inventory.select(hosts, ["web0*"])) == 3
    assert len(inventory.select(hosts, ["@prod"])) == 6
    assert len(inventory.select(hosts, [])) == 7
    with pytest.raises(KeyError, match=r"@dbs.*matches no host.*@db"):
        inventory.select(hosts, ["@dbs"])


def test_ranges() -> None:
    assert inventory.expand_pattern("web[08:10]") == ["web08", "web09", "web10"]
    assert inventory.expand_pattern("n[1:5:2]") == ["n1", "n3", "n5"]
    assert inventory.expand_pattern("r[1:2]-[a:b]") == ["r1-a", "r1-b", "r2-a", "r2-b"]
    with pytest.raises(ValueError, match="not a range"):
        inventory.expand_pattern("x[aa:bb]")
