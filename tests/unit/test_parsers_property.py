"""Property-based tests (hypothesis) over every parser and every config, inventory and ssh_config reader:

1. no exception escapes but the reader's own declared one (CouldNotRead for parsers; InventoryError, PolicyError,
   ConfigError for the files a user writes), whatever the bytes, in any encoding;
2. garbage is never reported as "no problem": a parser whose empty result means "nothing pending / no errors"
   either finds something in it or says it could not read it.

Runs are bounded (max_examples, no deadline) so `make test` stays reasonable on two cores.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from common.text import CouldNotRead, clean_text, decode_bytes
from desktop import config_schema
from diagnostics.collectors import cpu, memory, processes, storage, system
from diagnostics.net import dnsconf, interfaces, proxy, routes
from diagnostics.parsers import crash_reports, journal, logevents, macos_log, systemd, windows_events
from diagnostics.updates import apt, common, dnf, eol, flatpak, macos, pacman, snap, windows, zypper
from fleet import ansible_inventory, inventory, policy
from remote.ssh_config import SshConfig

BOUNDED = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)

# Every text parser: name -> function of one str. Each may raise CouldNotRead, nothing else.
TEXT_PARSERS: dict[str, Callable[[str], Any]] = {
    "apt.parse_list_upgradable": apt.parse_list_upgradable,
    "apt.parse_release_header": apt.parse_release_header,
    "dnf.parse_check_update": dnf.parse_check_update,
    "dnf.parse_updateinfo": dnf.parse_updateinfo,
    "dnf.parse_rpm_query": dnf.parse_rpm_query,
    "eol.parse_os_release": eol.parse_os_release,
    "eol.parse_distro_info": lambda t: eol.parse_distro_info(t, "ubuntu"),
    "flatpak.parse_remote_ls": flatpak.parse_remote_ls,
    "macos.parse_softwareupdate_list": macos.parse_softwareupdate_list,
    "pacman.parse_updates": pacman.parse_updates,
    "snap.parse_refresh_list": snap.parse_refresh_list,
    "windows.parse_search_json": windows.parse_search_json,
    "windows.parse_date": windows.parse_date,
    "zypper.parse_list_patches": zypper.parse_list_patches,
    "zypper.parse_list_updates": zypper.parse_list_updates,
    "common.version_key": common.version_key,
    "common.split_nevra": common.split_nevra,
    "common.first_lines": common.first_lines,
    "crash_reports.parse_apport_header": crash_reports.parse_apport_header,
    "crash_reports.apport_time": crash_reports.apport_time,
    "crash_reports.parse_coredumpctl_json": crash_reports.parse_coredumpctl_json,
    "crash_reports.parse_coredumpctl_text": crash_reports.parse_coredumpctl_text,
    "crash_reports.parse_coredump_filename": crash_reports.parse_coredump_filename,
    "crash_reports.apport_report": lambda t: crash_reports.apport_report("/var/crash/x.crash", t, NOW),
    "journal.parse_journal_json": journal.parse_journal_json,
    "journal.parse_short_iso_lines": journal.parse_short_iso_lines,
    "journal.text_priority": journal.text_priority,
    "journal.parse_syslog_text": lambda t: journal.parse_syslog_text(t, now=NOW),
    "journal.parse_dmesg": journal.parse_dmesg,
    "logevents.parse_iso": logevents.parse_iso,
    "logevents.kernel_oom_kill": logevents.kernel_oom_kill,
    "macos_log.parse_ndjson": macos_log.parse_ndjson,
    "macos_log.parse_syslog_style": macos_log.parse_syslog_style,
    "systemd.parse_failed_units_json": systemd.parse_failed_units_json,
    "systemd.parse_failed_units_text": systemd.parse_failed_units_text,
    "systemd.restart_loops": lambda t: systemd.restart_loops(systemd.parse_show(t)),
    "windows_events.parse_get_winevent_json": windows_events.parse_get_winevent_json,
    "windows_events.parse_wevtutil_text": windows_events.parse_wevtutil_text,
    "cpu.parse_cpuinfo": cpu.parse_cpuinfo,
    "cpu.parse_loadavg": cpu.parse_loadavg,
    "cpu.parse_proc_stat_cpu": cpu.parse_proc_stat_cpu,
    "cpu.parse_pressure": cpu.parse_pressure,
    "memory.parse_meminfo": memory.parse_meminfo,
    "processes.parse_ps": processes.parse_ps,
    "storage.parse_mounts": storage.parse_mounts,
    "storage.parse_df": storage.parse_df,
    "system.parse_os_release": system.parse_os_release,
    "dnsconf.parse_resolv_conf": dnsconf.parse_resolv_conf,
    "interfaces.parse_ip_addr_json": interfaces.parse_ip_addr_json,
    "interfaces.parse_proc_net_dev": interfaces.parse_proc_net_dev,
    "proxy.parse_environment_file": proxy.parse_environment_file,
    "routes.parse_proc_route": routes.parse_proc_route,
    "routes.parse_proc_ipv6_route": routes.parse_proc_ipv6_route,
    "routes.parse_ip_route_json": routes.parse_ip_route_json,
}

# Parsers whose empty answer means "nothing pending" / "no errors": garbage must not give it.
LIST_PARSERS: dict[str, Callable[[str], Any]] = {
    "apt": apt.parse_list_upgradable,
    "dnf check-update": dnf.parse_check_update,
    "dnf updateinfo": dnf.parse_updateinfo,
    "flatpak": flatpak.parse_remote_ls,
    "softwareupdate": macos.parse_softwareupdate_list,
    "pacman": pacman.parse_updates,
    "snap": snap.parse_refresh_list,
    "zypper patches": zypper.parse_list_patches,
    "zypper updates": zypper.parse_list_updates,
    "Windows Update": lambda t: windows.parse_search_json(t).updates,
    "wevtutil": windows_events.parse_wevtutil_text,
    "Get-WinEvent": windows_events.parse_get_winevent_json,
    "systemctl --failed": systemd.parse_failed_units_text,
    "journalctl -o json": journal.parse_journal_json,
    "syslog file": lambda t: journal.parse_syslog_text(t, now=NOW),
    "dmesg": journal.parse_dmesg,
    "log show ndjson": macos_log.parse_ndjson,
    "log show syslog": macos_log.parse_syslog_style,
    "coredumpctl list": crash_reports.parse_coredumpctl_text,
}
# Outputs that really mean "nothing": a random string that happens to be one of them is not garbage.
REALLY_EMPTY = {"[]", "{}", "null", '""', "0"}


def _encodings() -> st.SearchStrategy[str]:
    return st.sampled_from(["utf-8", "utf-16", "utf-16-le", "utf-16-be", "latin-1", "cp1252", "utf-8-sig"])


any_text = st.text(max_size=400)
# Text as a tool or a file may give it: lines of printable words, in any encoding, maybe with NULs.
lines_of_words = st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60),
                          max_size=12).map("\n".join)


@BOUNDED
@given(name=st.sampled_from(sorted(TEXT_PARSERS)), text=any_text)
def test_no_exception_escapes_any_parser(name: str, text: str) -> None:
    try:
        TEXT_PARSERS[name](text)
    except CouldNotRead as exc:
        assert str(exc)  # the reason is said


@BOUNDED
@given(name=st.sampled_from(sorted(TEXT_PARSERS)), data=st.binary(max_size=600), nuls=st.booleans())
def test_no_exception_escapes_on_random_bytes(name: str, data: bytes, nuls: bool) -> None:
    text = decode_bytes(data)
    assert "\x00" not in text
    if nuls:  # a naive reader's NULs: the parsers repair them too
        text = data.decode("utf-8", errors="replace")
    try:
        TEXT_PARSERS[name](text)
    except CouldNotRead:
        pass


def _never_all_clear(name: str, text: str) -> None:
    """`text` is read as something, or said to be unreadable; never as "nothing found". (A line of random words
    may happen to be a valid line, a unit name or a package: then it is found.)"""
    assume(clean_text(text).strip() and clean_text(text).strip() not in REALLY_EMPTY)
    try:
        found = LIST_PARSERS[name](text)
    except CouldNotRead:
        return
    assert found, f"{name}: {text!r} read as 'nothing found'"


@BOUNDED
@given(name=st.sampled_from(sorted(LIST_PARSERS)), data=st.binary(min_size=1, max_size=400))
def test_random_bytes_are_never_an_all_clear(name: str, data: bytes) -> None:
    _never_all_clear(name, decode_bytes(data))


@BOUNDED
@given(name=st.sampled_from(sorted(LIST_PARSERS)), text=lines_of_words)
def test_random_lines_are_never_an_all_clear(name: str, text: str) -> None:
    _never_all_clear(name, text)


@BOUNDED
@given(text=st.text(min_size=1, max_size=300), encoding=_encodings())
def test_decoding_keeps_every_line_in_every_encoding(text: str, encoding: str) -> None:
    try:
        data = (text.encode(encoding))
    except UnicodeEncodeError:
        assume(False)
        return
    got = decode_bytes(data)
    assert "\x00" not in got
    clean = "\x00" not in text and not text.startswith("\ufeff")
    # UTF-16 without a byte order mark is only recognisable by its NULs: kept exact for ASCII text (what Windows
    # tools print without a BOM); with a BOM (utf-16, utf-8-sig, utf-32) or as UTF-8, any text is exact.
    bomless = encoding in ("utf-16-le", "utf-16-be")
    if clean and encoding.startswith("utf") and (not bomless or (text.isascii() and len(text) >= 2)):
        assert got == text


RECORDED = Path(__file__).resolve().parents[1] / "data"


@BOUNDED
@given(sample=st.sampled_from([
    ("updates/apt-list-upgradable-debian12.txt", apt.parse_list_upgradable),
    ("updates/dnf-check-update-rocky9.txt", dnf.parse_check_update),
    ("updates/pacman-Qu.txt", pacman.parse_updates),
    ("logs/systemctl_failed.txt", systemd.parse_failed_units_text),
    ("logs/wevtutil_system.txt", windows_events.parse_wevtutil_text),
    ("updates/macos-softwareupdate-list.txt", macos.parse_softwareupdate_list),
]), encoding=st.sampled_from(["utf-16", "utf-16-le", "utf-8-sig", "utf-32"]), naive=st.booleans())
def test_recorded_outputs_read_the_same_in_any_encoding(sample: tuple[str, Callable[[str], Any]], encoding: str,
                                                        naive: bool) -> None:
    path, parse = sample
    text = (RECORDED / path).read_text(encoding="utf-8")
    data = text.encode(encoding)
    again = data.decode("utf-8", errors="replace") if naive and encoding.startswith("utf-16") else decode_bytes(data)
    assert len(parse(again)) == len(parse(text)) > 0


@BOUNDED
@given(data=st.binary(max_size=800))
def test_softwareupdate_plist_never_raises_but_could_not_read(data: bytes) -> None:
    try:
        state = macos.parse_softwareupdate_plist(data)
    except CouldNotRead:
        return
    assert isinstance(state.updates, list)


# -- the files a user writes --------------------------------------------------------------------------------------
toml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
known_keys = st.sampled_from(["diagnostics", "tickets", "backends", "gui", "remote", "secrets", "logs", "crashes",
                              "sla", "P1", "redaction", "users", "paths", "crash_dir", "resolution_minutes",
                              "scale", "since_hours", "allow_network", "gateway_port", "type", "connectivity"])
config_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12) | st.lists(st.text(max_size=5)),
    lambda children: st.dictionaries(known_keys, children, max_size=4),
    max_leaves=12,
)


@BOUNDED
@given(config=st.dictionaries(known_keys, config_like, max_size=5))
def test_config_schema_names_the_key_or_accepts_and_never_raises(config: dict[str, Any]) -> None:
    for problem in config_schema.problems(config):
        assert problem.startswith("[") and ("must" in problem or "not a valid name" in problem)


@BOUNDED
@given(text=any_text)
def test_config_file_load_is_a_config_error_or_a_table(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    from desktop import settings

    path = tmp_path_factory.mktemp("cfg") / "config.toml"
    path.write_text(text, encoding="utf-8")
    try:
        cfg = settings.load(path)
    except settings.ConfigError as exc:
        assert str(path) in str(exc)
        return
    assert isinstance(cfg, dict)
    assert config_schema.problems(cfg) == []


@BOUNDED
@given(text=any_text, kind=st.sampled_from(["hosts.ini", "hosts.yml", "hosts.csv", "hosts"]))
def test_inventory_readers_raise_only_inventory_errors(tmp_path_factory: pytest.TempPathFactory, text: str,
                                                       kind: str) -> None:
    path = tmp_path_factory.mktemp("inv") / kind
    path.write_text(text, encoding="utf-8")
    try:
        hosts = inventory.load(path)
    except inventory.InventoryError as exc:
        assert str(exc)
        return
    assert isinstance(hosts, list)


@BOUNDED
@given(text=any_text)
def test_ansible_ini_and_yaml_raise_only_inventory_errors(text: str) -> None:
    for read in (ansible_inventory.read_ini, ansible_inventory.read_yaml, inventory.read_csv):
        try:
            read(Path("inventory"), text)
        except inventory.InventoryError:
            pass


@BOUNDED
@given(text=any_text)
def test_policy_reader_raises_only_policy_errors(text: str) -> None:
    try:
        policy.parse(text, "policy.toml")
    except policy.PolicyError as exc:
        assert str(exc)


@BOUNDED
@given(doc=st.dictionaries(st.sampled_from(["policy", "groups"]), toml_values, max_size=2))
def test_policy_reader_on_wrong_shapes(doc: dict[str, Any]) -> None:
    import tomli_w

    try:
        text = tomli_w.dumps(json.loads(json.dumps(doc, default=str)))
    except (TypeError, ValueError):
        assume(False)
        return
    assert isinstance(tomllib.loads(text), dict)
    try:
        policy.parse(text, "policy.toml")
    except policy.PolicyError:
        pass


@BOUNDED
@given(data=st.binary(max_size=600), host=st.text(alphabet="abcdefgh.-01", min_size=1, max_size=12))
def test_ssh_config_reader_never_raises_and_garbage_is_noted(tmp_path_factory: pytest.TempPathFactory, data: bytes,
                                                            host: str) -> None:
    from remote.ssh_config import SshConfigError
    from remote.ssh_config_tokens import TokenError

    path = tmp_path_factory.mktemp("ssh") / "config"
    path.write_bytes(data)
    cfg = SshConfig(path, resolver=lambda name: None, local_user="alice")
    try:
        cfg.lookup(host)
    except (SshConfigError, TokenError):
        pass
    meaningful = [ln for ln in decode_bytes(data).splitlines() if ln.strip() and not ln.strip().startswith("#")]
    if meaningful:
        assert cfg.entries or cfg.not_honoured, "a non-empty ssh_config that was neither read nor noted"
