"""Deskside takes an OpenSSH setup at its word (issue 8), checked against real sshd processes: OpenSSH's default
algorithms (weak ones only per host, with a warning), StrictHostKeyChecking, IdentitiesOnly, ProxyCommand,
HashKnownHosts by alias, @cert-authority host certificates, HostKeyAlias/UserKnownHostsFile, BatchMode, and
settings that are not honoured named at connect time."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from remote.auth import AuthCancelled, AuthError
from remote.connection import ConnectError, Connection
from remote.hosts import resolve_target
from remote.trust import HostKeyChanged, HostKeyStore, StrictHostKeyRefused, TrustError, UnknownHostKey
from tests.integration.sshd import Answers, Sshd, SshEnv, keygen

pytestmark = [pytest.mark.integration, pytest.mark.root]


def connect(env: SshEnv, server: Sshd, store: HostKeyStore, answers: Answers | None = None, *,
            use_agent: bool = False, batch: bool = False, **profile: object) -> Connection:
    conn = Connection(store, use_agent=use_agent, batch=batch)
    profile.setdefault("identity_files", [str(env.client_key)])
    conn.connect(env.profile(server, **profile), answers or Answers(accept=False), timeout=20)
    return conn


def pub_blob(pub_line: str) -> tuple[str, bytes]:
    kind, b64 = pub_line.split()[:2]
    return kind, base64.b64decode(b64)


# -- a. weak ciphers and MACs ----------------------------------------------------------------------------------------
def test_weak_only_server_is_refused_then_allowed_per_host_with_a_warning(ssh_env: SshEnv) -> None:
    old = ssh_env.sshd("weak", extra="Ciphers aes128-cbc\nMACs hmac-md5")
    try:
        store = ssh_env.trusted_store(old)
        with pytest.raises(ConnectError) as err:
            connect(ssh_env, old, store, name="oldbox")
        text = str(err.value)
        assert "aes128-cbc" in text and "hmac-md5" in text
        assert "'Ciphers +aes128-cbc'" in text and "'MACs +hmac-md5'" in text and "Host oldbox" in text
        conn = connect(ssh_env, old, store, name="oldbox", ssh_options=["Ciphers +aes128-cbc", "MACs +hmac-md5"])
        try:
            assert conn.exec("echo ok").stdout == b"ok\n"
            warnings = "\n".join(conn.notes)
            assert "weak cipher aes128-cbc" in warnings and "'Ciphers +aes128-cbc'" in warnings
            assert "weak MAC hmac-md5" in warnings
        finally:
            conn.close()
    finally:
        old.stop()


def test_modern_server_gets_no_warning_and_no_weak_algorithm_is_offered(ssh_env: SshEnv, sshd_server: Sshd) -> None:
    conn = connect(ssh_env, sshd_server, ssh_env.trusted_store(sshd_server))
    try:
        assert conn.notes == []
        offered = conn.transport.get_security_options()
        assert not [c for c in offered.ciphers if "cbc" in c] and "hmac-md5" not in offered.digests
    finally:
        conn.close()


# -- b. StrictHostKeyChecking ----------------------------------------------------------------------------------------
def test_strict_yes_refuses_an_unknown_key_without_asking(ssh_env: SshEnv, sshd_server: Sshd) -> None:
    answers = Answers(accept=True)
    store = ssh_env.store()
    with pytest.raises(StrictHostKeyRefused) as err:
        connect(ssh_env, sshd_server, store, answers, ssh_options=["StrictHostKeyChecking yes"])
    assert answers.asked == []
    assert sshd_server.fingerprint() in str(err.value) and "StrictHostKeyChecking yes" in str(err.value)
    assert not store.own_store_path or not store.own_store_path.exists()


@pytest.mark.parametrize("value", ["accept-new", "no", "off"])
def test_accept_new_and_no_record_an_unknown_key_but_refuse_a_changed_one(ssh_env: SshEnv, sshd_server: Sshd,
                                                                          value: str) -> None:
    answers = Answers(accept=False)
    store = ssh_env.store()
    conn = connect(ssh_env, sshd_server, store, answers, ssh_options=[f"StrictHostKeyChecking {value}"])
    conn.close()
    assert answers.asked == []
    assert any("permanently added" in n for n in conn.notes)
    assert store.own_store_path is not None
    assert f"[127.0.0.1]:{sshd_server.port} ssh-ed25519 " in store.own_store_path.read_text()
    # the same host now presents another key: refused whatever the setting, as OpenSSH
    other = keygen(ssh_env.base / f"other_{value}", comment="other")
    changed = ssh_env.store()
    changed.accept("127.0.0.1", sshd_server.port, *pub_blob(other.with_suffix(".pub").read_text()))
    with pytest.raises(HostKeyChanged):
        connect(ssh_env, sshd_server, changed, answers, ssh_options=[f"StrictHostKeyChecking {value}"])
    assert answers.asked == []


def test_strict_ask_asks(ssh_env: SshEnv, sshd_server: Sshd) -> None:
    answers = Answers(accept=False)
    with pytest.raises(UnknownHostKey):
        connect(ssh_env, sshd_server, ssh_env.store(), answers, ssh_options=["StrictHostKeyChecking ask"])
    assert [a[0] for a in answers.asked] == ["host_key"]


# -- c. IdentitiesOnly -----------------------------------------------------------------------------------------------
@pytest.fixture
def agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    sock = tmp_path / "agent.sock"
    proc = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL)
    try:
        subprocess.run([sys.executable, "-c", "import os,sys,time\nwhile not os.path.exists(sys.argv[1]): "
                        "time.sleep(0.02)", str(sock)], timeout=10, check=True)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))

        def add(key: Path) -> None:
            subprocess.run(["ssh-add", str(key)], env=dict(os.environ, SSH_AUTH_SOCK=str(sock)), check=True,
                           capture_output=True)

        yield add
    finally:
        proc.terminate()
        proc.wait(5)


def fingerprint(pub: Path) -> str:
    return subprocess.run(["ssh-keygen", "-lf", str(pub)], capture_output=True, text=True, check=True).stdout.split()[1]


def test_identities_only_never_offers_other_agent_keys(ssh_env: SshEnv, sshd_server: Sshd, tmp_path: Path,
                                                       agent) -> None:
    configured = keygen(tmp_path / "configured")  # not authorized on the server
    unrelated = keygen(tmp_path / "unrelated")  # authorized: offering it would log in
    sshd_server.authorize(unrelated.with_suffix(".pub"))
    agent(unrelated)
    agent(configured)
    store = ssh_env.trusted_store(sshd_server)
    off = sshd_server.log_size()
    with pytest.raises(AuthError):
        connect(ssh_env, sshd_server, store, use_agent=True, identity_files=[str(configured)],
                ssh_options=["IdentitiesOnly yes"])
    log = sshd_server.log_since(off)
    assert fingerprint(configured.with_suffix(".pub")) in log  # the configured key was offered (the check works)
    assert fingerprint(unrelated.with_suffix(".pub")) not in log
    # without IdentitiesOnly the other agent keys are offered too, after the configured one (as OpenSSH)
    conn = connect(ssh_env, sshd_server, store, use_agent=True, identity_files=[str(configured)])
    conn.close()
    assert "agent key" in conn.auth_method and fingerprint(unrelated.with_suffix(".pub")) in conn.auth_method


def test_configured_identity_is_tried_before_other_agent_keys(ssh_env: SshEnv, sshd_server: Sshd, tmp_path: Path,
                                                              agent) -> None:
    first = keygen(tmp_path / "first")
    other = keygen(tmp_path / "other")
    for k in (first, other):
        sshd_server.authorize(k.with_suffix(".pub"))
    agent(other)
    agent(first)
    conn = connect(ssh_env, sshd_server, ssh_env.trusted_store(sshd_server), use_agent=True,
                   identity_files=[str(first)])
    conn.close()
    assert fingerprint(first.with_suffix(".pub")) in conn.auth_method and f"(for {first})" in conn.auth_method


# -- d. ProxyCommand -------------------------------------------------------------------------------------------------
RELAY = """
import socket, sys, threading, pathlib
pathlib.Path(sys.argv[3]).write_text(sys.argv[1] + " " + sys.argv[2])
s = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
def up():
    while True:
        b = sys.stdin.buffer.raw.read(65536)
        if not b:
            s.shutdown(socket.SHUT_WR); return
        s.sendall(b)
threading.Thread(target=up, daemon=True).start()
while True:
    b = s.recv(65536)
    if not b:
        break
    sys.stdout.buffer.write(b); sys.stdout.buffer.flush()
"""


def test_proxycommand_is_the_transport(ssh_env: SshEnv, sshd_server: Sshd, tmp_path: Path) -> None:
    relay = tmp_path / "relay.py"
    relay.write_text(RELAY)
    marker = tmp_path / "relay-ran"
    cfg = tmp_path / "config"
    # the host name does not resolve: only the relay can reach the server
    cfg.write_text(f"Host viaproxy\n  HostName no-such-host.invalid\n  Port {sshd_server.port}\n"
                   f"  User {ssh_env.user}\n  IdentityFile {ssh_env.client_key}\n"
                   f"  ProxyCommand {sys.executable} {relay} %h %p {marker}\n")
    profile = resolve_target("viaproxy", None, cfg)
    store = ssh_env.store()
    store.accept("no-such-host.invalid", sshd_server.port, *pub_blob(sshd_server.host_pub_line))
    conn = Connection(store, use_agent=False)
    conn.connect(profile, Answers(accept=False), timeout=20)
    try:
        assert conn.exec("echo through").stdout == b"through\n"
    finally:
        conn.close()
    assert marker.read_text() == f"no-such-host.invalid {sshd_server.port}"


def test_proxycommand_false_fails_and_none_is_direct(ssh_env: SshEnv, sshd_server: Sshd) -> None:
    store = ssh_env.trusted_store(sshd_server)
    with pytest.raises(ConnectError) as err:
        connect(ssh_env, sshd_server, store, ssh_options=["ProxyCommand false"])
    assert "ProxyCommand 'false' exited with status 1" in str(err.value)
    connect(ssh_env, sshd_server, store, ssh_options=["ProxyCommand none"]).close()


# -- e. HashKnownHosts inside `Host alias` ---------------------------------------------------------------------------
def test_hash_known_hosts_in_an_alias_block_hashes_the_host_name(ssh_env: SshEnv, sshd_server: Sshd,
                                                                  tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    cfg.write_text(f"Host myalias\n  HostName 127.0.0.1\n  Port {sshd_server.port}\n  User {ssh_env.user}\n"
                   f"  IdentityFile {ssh_env.client_key}\n  HashKnownHosts yes\n")
    store = ssh_env.store()
    conn = Connection(store, use_agent=False)
    conn.connect(resolve_target("myalias", None, cfg), Answers(accept=True), timeout=20)
    conn.close()
    assert store.own_store_path is not None
    text = store.own_store_path.read_text()
    assert text.startswith("|1|") and "127.0.0.1" not in text
    out = subprocess.run(["ssh-keygen", "-F", f"[127.0.0.1]:{sshd_server.port}", "-f", str(store.own_store_path)],
                         capture_output=True, text=True)
    assert out.returncode == 0  # OpenSSH finds it


# -- g. host certificates, HostKeyAlias, UserKnownHostsFile, mixed-case names ----------------------------------------
def cert_server(env: SshEnv, name: str, ca: Path, *sign_args: str) -> Sshd:
    d = Sshd(env.base, env.user, name=name)
    d.authorize(env.client_key.with_suffix(".pub"))
    subprocess.run(["ssh-keygen", "-q", "-s", str(ca), "-I", f"{name}-id", "-h", *sign_args,
                    str(d.host_key.with_suffix(".pub"))], check=True, capture_output=True)
    d.extra = f"HostCertificate {d.host_key}-cert.pub"
    return d.start()


@pytest.fixture(scope="module")
def ca(ssh_env: SshEnv) -> Path:
    return keygen(ssh_env.base / "host_ca", comment="host-ca")


def ca_store(env: SshEnv, ca: Path, pattern: str = "*") -> HostKeyStore:
    store = env.store()
    assert store.own_store_path is not None
    store.own_store_path.write_text(f"@cert-authority {pattern} {ca.with_suffix('.pub').read_text()}")
    return store


@pytest.mark.parametrize("principals", ["127.0.0.1,localhost", "127.0.0.*"])
def test_host_certificate_signed_by_a_known_ca_is_trusted_without_asking(ssh_env: SshEnv, ca: Path,
                                                                         principals: str) -> None:
    srv = cert_server(ssh_env, "certok", ca, "-n", principals, "-V", "-5m:+1h")
    try:
        answers = Answers(accept=False)
        conn = connect(ssh_env, srv, ca_store(ssh_env, ca), answers)
        conn.close()
        assert answers.asked == []
    finally:
        srv.stop()


@pytest.mark.parametrize(("sign", "why"), [
    (("-n", "127.0.0.1", "-V", "20200101:20200102"), "expired"),
    (("-n", "other.example", "-V", "-5m:+1h"), "not for 127.0.0.1"),
])
def test_expired_or_wrong_principal_certificate_is_not_trusted(ssh_env: SshEnv, ca: Path, sign: tuple[str, ...],
                                                               why: str) -> None:
    srv = cert_server(ssh_env, "certbad", ca, *sign)
    try:
        with pytest.raises(TrustError) as err:
            connect(ssh_env, srv, ca_store(ssh_env, ca), Answers(accept=False))
        assert why in str(err.value)
        with pytest.raises(StrictHostKeyRefused) as err2:
            connect(ssh_env, srv, ca_store(ssh_env, ca), ssh_options=["StrictHostKeyChecking yes"])
        assert why in str(err2.value)
    finally:
        srv.stop()


def test_certificate_from_an_unknown_ca_falls_back_to_the_plain_key(ssh_env: SshEnv, ca: Path) -> None:
    other_ca = keygen(ssh_env.base / "other_ca", comment="other-ca")
    srv = cert_server(ssh_env, "certplain", other_ca, "-n", "127.0.0.1", "-V", "-5m:+1h")
    try:
        connect(ssh_env, srv, ssh_env.trusted_store(srv)).close()  # the plain key is on record: fine
        with pytest.raises(TrustError):
            connect(ssh_env, srv, ca_store(ssh_env, ca))
    finally:
        srv.stop()


def test_host_key_alias_and_user_known_hosts_file(ssh_env: SshEnv, sshd_server: Sshd, tmp_path: Path) -> None:
    known = tmp_path / "my_known_hosts"
    known.write_text(f"MyBox {sshd_server.host_pub_line}\n")  # written under the alias, mixed case, no port
    answers = Answers(accept=False)
    connect(ssh_env, sshd_server, ssh_env.store(), answers,
            ssh_options=["HostKeyAlias mybox", f"UserKnownHostsFile {known}"]).close()
    assert answers.asked == []


def test_mixed_case_hostname_matches_a_hashed_entry_written_by_ssh(ssh_env: SshEnv, sshd_server: Sshd,
                                                                   tmp_path: Path) -> None:
    known = tmp_path / "hashed"
    known.write_text(f"[localhost]:{sshd_server.port} {sshd_server.host_pub_line}\n")
    subprocess.run(["ssh-keygen", "-H", "-f", str(known)], check=True, capture_output=True)
    assert known.read_text().startswith("|1|")
    answers = Answers(accept=False)
    connect(ssh_env, sshd_server, HostKeyStore([known], tmp_path / "own"), answers, hostname="LocalHost").close()
    assert answers.asked == []


# -- h. BatchMode ----------------------------------------------------------------------------------------------------
def test_batch_mode_asks_nothing_and_fails(ssh_env: SshEnv, sshd_server: Sshd) -> None:
    answers = Answers(accept=True, password=ssh_env.password, kbd=[ssh_env.password])
    with pytest.raises(StrictHostKeyRefused):
        connect(ssh_env, sshd_server, ssh_env.store(), answers, batch=True)
    with pytest.raises(AuthError) as err:
        connect(ssh_env, sshd_server, ssh_env.trusted_store(sshd_server), answers, identity_files=[],
                ssh_options=["BatchMode yes"])
    assert answers.asked == []
    assert "BatchMode" in str(err.value)


def test_keyboard_interactive_without_anyone_to_answer_never_sends_empty_answers(ssh_env: SshEnv,
                                                                                  sshd_server: Sshd) -> None:
    answers = Answers(kbd=None, password=None)
    off = sshd_server.log_size()
    with pytest.raises(AuthCancelled):
        connect(ssh_env, sshd_server, ssh_env.trusted_store(sshd_server), answers, identity_files=[])
    assert [a[0] for a in answers.asked] == ["kbd"]
    log = sshd_server.wait_log("by authenticating user", offset=off)  # sshd saw us go
    assert "method keyboard-interactive" in log
    # no answer reached PAM: an (empty) response would be logged as Postponed/Failed keyboard-interactive/pam
    assert "keyboard-interactive/pam for" not in log


# -- f. settings not honoured are named at connect time --------------------------------------------------------------
def test_cli_names_ignored_settings_and_batch_flag(ssh_env: SshEnv, sshd_server: Sshd, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "config").write_text(
        f"Host box\n  HostName 127.0.0.1\n  Port {sshd_server.port}\n  User {ssh_env.user}\n"
        f"  IdentityFile {ssh_env.client_key}\n  ForwardAgent yes\n  LocalForward 9999 127.0.0.1:22\n")
    env = dict(os.environ, HOME=str(home))
    env.pop("SSH_AUTH_SOCK", None)

    def deskside(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "desktop.cli", *args], env=env, capture_output=True, text=True,
                              timeout=60, input="")

    r = deskside("ssh", "--batch", "box", "--", "true")
    assert r.returncode == 255 and "BatchMode forbids asking" in r.stderr
    assert "note: ignoring ssh_config settings for box: forwardagent, localforward" in r.stderr
    r = deskside("ssh", "--ssh-option", "StrictHostKeyChecking=accept-new", "box", "--", "echo hi")
    assert r.returncode == 0 and r.stdout == "hi\n"
    assert "permanently added" in r.stderr and "note: ignoring ssh_config settings for box" in r.stderr
    r = deskside("ssh", "--ssh-option", "Ciphers nonsense", "box", "--", "true")
    assert r.returncode == 255 and "leaves no cipher" in r.stderr
