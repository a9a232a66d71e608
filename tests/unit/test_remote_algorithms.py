"""OpenSSH's algorithm-list syntax and the per-host settings parser (remote/algorithms.py, remote/options.py)."""

from __future__ import annotations

import pytest

from remote.algorithms import OPENSSH_CIPHERS, AlgorithmError, AlgorithmPolicy, apply_spec
from remote.hosts import HostProfile, HostsError, validate_profile
from remote.options import OptionError, SshOptions, validate_line

SUPPORTED = ["aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-cbc", "aes192-cbc", "aes256-cbc", "3des-cbc",
             "aes128-gcm@openssh.com", "aes256-gcm@openssh.com"]
DEFAULT = [c for c in OPENSSH_CIPHERS if c in SUPPORTED]


def test_default_is_openssh_set_narrowed_to_what_paramiko_has() -> None:
    assert apply_spec(OPENSSH_CIPHERS, "", SUPPORTED) == DEFAULT
    assert not [c for c in DEFAULT if "cbc" in c]


@pytest.mark.parametrize(("spec", "want"), [
    ("+aes128-cbc", [*DEFAULT, "aes128-cbc"]),
    ("+aes*-cbc", [*DEFAULT, "aes128-cbc", "aes192-cbc", "aes256-cbc"]),
    ("-aes*-ctr", ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com"]),
    ("^aes256-gcm@openssh.com", ["aes256-gcm@openssh.com", *[c for c in DEFAULT if c != "aes256-gcm@openssh.com"]]),
    ("3des-cbc,aes128-ctr", ["3des-cbc", "aes128-ctr"]),
    ("chacha20-poly1305@openssh.com", []),
])
def test_openssh_list_syntax(spec: str, want: list[str]) -> None:
    assert apply_spec(OPENSSH_CIPHERS, spec, SUPPORTED) == want


def test_a_setting_that_leaves_nothing_is_an_error_naming_it() -> None:
    supported = {"ciphers": SUPPORTED, "macs": ["hmac-sha2-256"], "kex": ["curve25519-sha256"],
                 "keys": ["ssh-ed25519"]}
    with pytest.raises(AlgorithmError, match=r"'Ciphers chacha20-poly1305@openssh\.com' leaves no cipher"):
        AlgorithmPolicy.build({"ciphers": ["chacha20-poly1305@openssh.com"]}, supported)


def test_options_parse_as_openssh() -> None:
    o = SshOptions.from_lines(["StrictHostKeyChecking=off", "StrictHostKeyChecking yes", "IdentitiesOnly yes",
                               "ProxyCommand none", "UserKnownHostsFile ~/a /b", "BatchMode no"])
    assert (o.strict, o.identities_only, o.proxy_command, o.batch_mode) == ("no", True, "", False)
    assert o.user_known_hosts == ["~/a", "/b"]
    with pytest.raises(OptionError, match="StrictHostKeyChecking 'maybe'"):
        SshOptions.from_lines(["StrictHostKeyChecking maybe"])


def test_address_book_ssh_options_are_checked() -> None:
    assert validate_line("Ciphers +aes128-cbc") == ""
    assert "does not honour forwardagent" in validate_line("ForwardAgent yes")
    with pytest.raises(HostsError, match="ssh_options"):
        validate_profile(HostProfile(name="x", hostname="h", ssh_options=["IdentitiesOnly perhaps"]))
    assert "ignored_settings" not in HostProfile(name="x", hostname="h", ignored_settings=["forwardagent"]).to_dict()


def test_hosts_add_keeps_per_host_ssh_options(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from desktop.cli import main
    from remote.hosts import AddressBook

    monkeypatch.setenv("DESKSIDE_CONFIG_DIR", str(tmp_path))
    assert main(["hosts", "add", "old", "root@10.0.0.9", "--ssh-option", "Ciphers=+aes128-cbc"]) == 0
    assert AddressBook(tmp_path / "hosts.toml").load().get("old").ssh_options == ["Ciphers +aes128-cbc"]  # type: ignore[union-attr]
    assert main(["hosts", "add", "bad", "10.0.0.9", "--ssh-option", "ForwardAgent yes"]) == 2
