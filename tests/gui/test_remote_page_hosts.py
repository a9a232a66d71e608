"""The Remote page's address book: add, edit, search, remove, import from an ssh config — what lands in the TOML
file and what the list shows. No network: connecting is covered by test_remote_page.py against a real sshd."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from remote.hosts import AddressBook, HostProfile, import_ssh_config
from ui.remote_hosts import AddressBookPanel

pytestmark = pytest.mark.gui


@pytest.fixture
def book(tmp_path: Path) -> AddressBook:
    b = AddressBook(tmp_path / "hosts.toml")
    b.add(HostProfile(name="web1", hostname="10.0.0.5", user="ops", group="production", tags=["nginx"]))
    b.add(HostProfile(name="db1", hostname="10.0.0.6", port=2222, group="production", tags=["postgres"]))
    b.add(HostProfile(name="laptop", hostname="192.168.1.20", notes="Anna's laptop"))
    b.save()
    return b


@pytest.fixture
def panel(qtbot, book: AddressBook, tmp_path: Path) -> AddressBookPanel:  # type: ignore[no-untyped-def]
    p = AddressBookPanel(book, import_ssh_config, tmp_path / "ssh_config")
    qtbot.addWidget(p)
    p.show()
    return p


def test_lists_by_group_and_searches(qtbot, panel: AddressBookPanel) -> None:  # type: ignore[no-untyped-def]
    assert sorted(panel.hosts_shown()) == ["db1", "laptop", "web1"]
    groups = [panel.tree.topLevelItem(i).text(0) for i in range(panel.tree.topLevelItemCount())]
    assert "production" in groups
    qtbot.keyClicks(panel.search, "postgres")
    assert panel.hosts_shown() == ["db1"]
    panel.search.clear()
    qtbot.keyClicks(panel.search, "anna")
    assert panel.hosts_shown() == ["laptop"]
    panel.search.clear()
    qtbot.keyClicks(panel.search, "production ops")
    assert panel.hosts_shown() == ["web1"]


def test_add_host_writes_the_address_book(qtbot, panel: AddressBookPanel, book: AddressBook) -> None:  # type: ignore[no-untyped-def]
    dlg = panel.add_host()
    qtbot.keyClicks(dlg.name, "jump-target")
    qtbot.keyClicks(dlg.hostname, "127.0.0.1")
    qtbot.keyClicks(dlg.user, "admin")
    dlg.port.setValue(2200)
    qtbot.keyClicks(dlg.jump, "bastion, admin@gw:2022")
    qtbot.keyClicks(dlg.tags, "lab, test")
    dlg._try_accept()
    assert dlg.result() == QDialog.DialogCode.Accepted
    assert "jump-target" in panel.hosts_shown()
    data = tomllib.loads(book.path.read_text())
    entry = next(h for h in data["hosts"] if h["name"] == "jump-target")
    assert entry["hostname"] == "127.0.0.1" and entry["user"] == "admin" and entry["port"] == 2200
    assert entry["proxy_jump"] == ["bastion", "admin@gw:2022"]
    assert entry["tags"] == ["lab", "test"]
    assert "password" not in book.path.read_text().lower().replace("# deskside address book. secrets", "")


def test_invalid_host_is_explained_and_nothing_lost(qtbot, panel: AddressBookPanel, book: AddressBook) -> None:  # type: ignore[no-untyped-def]
    before = book.path.read_text()
    dlg = panel.add_host()
    qtbot.keyClicks(dlg.name, "has space")
    qtbot.keyClicks(dlg.hostname, "example.test")
    dlg._try_accept()
    assert dlg.result() != QDialog.DialogCode.Accepted and dlg.isVisible()
    assert "not valid" in dlg.error.text()
    assert dlg.hostname.text() == "example.test"  # what was typed is still there
    assert book.path.read_text() == before


def test_edit_and_rename(qtbot, panel: AddressBookPanel, book: AddressBook) -> None:  # type: ignore[no-untyped-def]
    panel.select("laptop")
    dlg = panel.edit_selected()
    assert dlg is not None and dlg.hostname.text() == "192.168.1.20"
    dlg.name.setText("annas-laptop")
    dlg.port.setValue(2022)
    dlg._try_accept()
    assert "annas-laptop" in panel.hosts_shown() and "laptop" not in panel.hosts_shown()
    reloaded = AddressBook(book.path).load()
    p = reloaded.get("annas-laptop")
    assert p is not None and p.port == 2022 and p.notes == "Anna's laptop"
    assert reloaded.get("laptop") is None


def test_remove(qtbot, panel: AddressBookPanel, book: AddressBook) -> None:  # type: ignore[no-untyped-def]
    panel.remove_host("db1")
    assert "db1" not in panel.hosts_shown()
    assert AddressBook(book.path).load().get("db1") is None


def test_import_from_ssh_config_names_what_is_not_honoured(qtbot, panel: AddressBookPanel, book: AddressBook,  # type: ignore[no-untyped-def]
                                                            tmp_path: Path) -> None:  # fmt: skip
    cfg = tmp_path / "ssh_config"
    cfg.write_text(
        "Host bastion\n  HostName 127.0.0.1\n  User jump\n  Port 2022\n\n"
        "Host inner\n  HostName 10.1.2.3\n  ProxyJump bastion\n  ServerAliveInterval 15\n  LocalForward 8080 x:80\n\n"
        "Host *\n  User fallback\n"
    )
    dlg = panel.import_config(cfg)
    assert dlg is not None
    names = [dlg.list.item(i).text().split()[0] for i in range(dlg.list.count())]
    assert names == ["bastion", "inner"]
    notes = dlg.notes.toPlainText()
    assert "localforward" in notes.lower()
    dlg.accept()
    assert {"bastion", "inner"} <= set(panel.hosts_shown())
    inner = AddressBook(book.path).load().get("inner")
    assert inner is not None and inner.proxy_jump == ["bastion"] and inner.keepalive_interval == 15


def test_connect_emits_the_profile(qtbot, panel: AddressBookPanel) -> None:  # type: ignore[no-untyped-def]
    panel.select("web1")
    with qtbot.waitSignal(panel.connect_requested) as sig:
        panel.connect_button.click()
    assert sig.args[0].name == "web1" and sig.args[0].hostname == "10.0.0.5"


def test_quick_connect_resolves_what_a_user_types(qtbot, book: AddressBook, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from remote.hosts import resolve_target

    cfg = tmp_path / "ssh_config"
    cfg.write_text("Host lab\n  HostName 127.0.0.1\n  Port 2200\n  User tech\n")
    p = AddressBookPanel(book, import_ssh_config, cfg, resolve=lambda text: resolve_target(text, book, cfg))
    qtbot.addWidget(p)
    p.show()
    assert p.quick.isVisible()
    for typed, expected in [("admin@10.9.8.7:2022", ("admin", "10.9.8.7", 2022)), ("lab", ("tech", "127.0.0.1", 2200)),
                            ("web1", ("ops", "10.0.0.5", 22))]:  # fmt: skip
        p.quick.setText(typed)
        with qtbot.waitSignal(p.connect_requested) as sig:
            qtbot.keyClick(p.quick, Qt.Key.Key_Return)
        prof = sig.args[0]
        assert (prof.user, prof.hostname, prof.port) == expected
    p.quick.setText("user@host:99999")
    with qtbot.assertNotEmitted(p.connect_requested):
        qtbot.keyClick(p.quick, Qt.Key.Key_Return)
    assert "out of range" in p.error.text() and p.error.isVisible()
