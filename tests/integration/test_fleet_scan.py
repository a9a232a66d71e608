"""`deskside scan` against real OpenSSH servers on 127.0.0.1: the posture in one round trip, what `apt list
--upgradable` says, unknown / changed keys, unreachable hosts and failed logins as `unknown` with the reason, a
per-host timeout, exports and the history."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from desktop.remote_host import SshHost
from diagnostics.updates.scan import scan_posture
from fleet import export
from fleet import policy as pol
from fleet.apt_answers import AptAnswers
from fleet.scan import collect_evidence
from tests.integration.sshd import Sshd, SshEnv, free_port, sshd_servers


def apt_upgradable_lines() -> set[str]:
    """The package lines `apt list --upgradable` prints on this machine."""
    out = subprocess.run(["apt", "list", "--upgradable"], capture_output=True, text=True, check=True,
                         env=dict(os.environ, LC_ALL="C")).stdout
    return {line for line in out.splitlines() if "[upgradable from" in line}


def apt_upgradable() -> tuple[set[str], set[str]]:
    """The oracle: package names `apt list --upgradable` prints on this machine, and those from a -security archive."""
    out = subprocess.run(["apt", "list", "--upgradable"], capture_output=True, text=True, check=False,
                         env=dict(os.environ, LC_ALL="C")).stdout
    names, security = set(), set()
    for line in out.splitlines():
        if "[upgradable from" not in line:
            continue
        name, _, rest = line.partition("/")
        names.add(name)
        if "-security" in rest.split(" ", 1)[0]:
            security.add(name)
    return names, security


@pytest.fixture(scope="module")
def servers(ssh_env: SshEnv) -> Iterator[list[Sshd]]:
    with sshd_servers(ssh_env, "fleet", 2) as started:
        yield started


def _env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, HOME=str(home), PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    env.pop("SSH_AUTH_SOCK", None)
    return env


def deskside(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], env=env, capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL)


def _line(name: str, ssh_env: SshEnv, port: int, key: Path | None = None) -> str:
    return (f"{name} ansible_host=127.0.0.1 ansible_port={port} ansible_user={ssh_env.user} "
            f"ansible_ssh_private_key_file={key or ssh_env.client_key}")


def test_one_round_trip_gives_the_same_posture(ssh_env: SshEnv, servers: list[Sshd]) -> None:
    conn = ssh_env.connect(servers[0])
    try:
        host = SshHost(conn)
        before = host.commands_run
        evidence, misses = collect_evidence(host, pol.DEFAULT)
        assert misses == 0
        assert host.commands_run - before == 1  # one script after login, whatever the number of questions
        direct = scan_posture(host)
        assert host.commands_run - before > 10  # what it costs one question at a time
        a, b = evidence.posture.to_dict(), direct.to_dict()
        for d in (a, b):
            d.pop("collected_at")
        assert a == b
        assert evidence.installed and "openssh-server" in evidence.installed
        # The host is this machine: its packages whose files are there (not removed with configuration left).
        abbrev = subprocess.run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev} ${Package}\\n"], capture_output=True,
                                text=True, check=True).stdout.splitlines()
        assert evidence.installed == sorted({ln.split()[1] for ln in abbrev if ln[1] not in "nc"})
    finally:
        conn.close()


def test_scan_inventory_statuses_reasons_and_exports(ssh_env: SshEnv, servers: list[Sshd], tmp_path: Path) -> None:
    env = _env(tmp_path)
    locked_out = ssh_env.sshd("fleet-nokey", authorize=False)
    stranger = ssh_env.sshd("fleet-stranger")
    try:
        closed = free_port()
        inv = tmp_path / "hosts.ini"
        inv.write_text("[web]\n" + _line("web1", ssh_env, servers[0].port) + "\n"
                       + _line("web2", ssh_env, servers[1].port) + "\n"
                       "[odd]\n" + _line("locked", ssh_env, locked_out.port) + "\n"
                       + _line("stranger", ssh_env, stranger.port) + "\n"
                       + _line("gone", ssh_env, closed) + "\n")
        strict = tmp_path / "policy.toml"
        strict.write_text("[policy]\nmax_security_age_days = 0\nforbidden_packages = [\"telnetd\"]\n"
                          "required_packages = [\"openssh-server\"]\n")
        # First the web group and `locked`, trusting their new keys; then everything without --accept-new.
        first = deskside(env, "scan", "-i", str(inv), "@web", "locked", "--accept-new", "--policy", str(strict),
                         "--json")
        doc = json.loads(first.stdout)
        web = [h for h in doc["hosts"] if h["name"] != "locked"]
        assert all(h["status"] != "unknown" for h in web), [(h["name"], h["error"]) for h in doc["hosts"]]
        jsonschema.validate(doc, export.schema())
        names, security = apt_upgradable()
        for h in web:
            pending = {p["name"] for p in h["updates"]["pending"]}
            assert pending == names  # what `apt list --upgradable` says on that host
            # whole records, line for line (the host answered through apt-cache policy, apt_policy.py)
            assert {f"{p['name']}/{p['source']} {p['candidate']} {p['arch']} [upgradable from: {p['installed']}]"
                    for p in h["updates"]["pending"]} == apt_upgradable_lines()
            assert {p["name"] for p in h["updates"]["pending"] if p["security"]} == security
            assert h["status"] == ("non-compliant" if security else "compliant")
            if security:
                assert h["reasons"][0]["rule"] == "security-updates"
                assert h["score"] == 60
        assert first.returncode == (2 if security else 3)  # `locked` cannot log in: unknown

        csv_file, html_file = tmp_path / "out.csv", tmp_path / "out.html"
        r = deskside(env, "scan", "-i", str(inv), "--policy", str(strict), "--csv", str(csv_file), "--html",
                     str(html_file), "-j", "3")
        assert r.returncode == (2 if security else 3), r.stdout + r.stderr
        rows = {row["host"]: row for row in csv.DictReader(io.StringIO(csv_file.read_text()))}
        assert rows["web1"]["status"] == rows["web2"]["status"]
        assert rows["gone"]["status"] == "unknown" and "refused" in rows["gone"]["error"].lower()
        assert rows["locked"]["status"] == "unknown" and "login" in rows["locked"]["error"].lower()
        assert rows["stranger"]["status"] == "unknown" and "--accept-new" in rows["stranger"]["error"]
        assert "Since the last scan:" in r.stdout  # the history compared it with the first scan
        page = html_file.read_text()
        assert "Content-Security-Policy" in page and "<script" not in page and "stranger" in page

        # A changed key is refused even with --accept-new.
        port = servers[1].port
        servers[1].stop()
        imposter = Sshd(ssh_env.base, ssh_env.user, name="fleet-imposter")
        imposter.port = port
        imposter.authorize(ssh_env.client_key.with_suffix(".pub"))
        imposter.start()
        try:
            r = deskside(env, "scan", "-i", str(inv), "web2", "--accept-new", "--json", "--no-history")
            h = json.loads(r.stdout)["hosts"][0]
            assert h["status"] == "unknown" and "changed" in h["error"].lower(), h
            assert r.returncode == 3
        finally:
            imposter.stop()
            servers[1].__init__(ssh_env.base, ssh_env.user, name="fleet1")  # type: ignore[misc]
            servers[1].authorize(ssh_env.client_key.with_suffix(".pub"))
            servers[1].start()
    finally:
        locked_out.stop()
        stranger.stop()


def test_per_host_timeout_and_bad_input(ssh_env: SshEnv, tmp_path: Path) -> None:
    env = _env(tmp_path)
    mute = socket.socket()
    mute.bind(("127.0.0.1", 0))
    mute.listen(8)  # accepts TCP, never says a word
    accepted = threading.Event()

    def take() -> None:
        conns = []
        try:
            while True:
                c, _ = mute.accept()
                conns.append(c)
                accepted.set()
        except OSError:
            pass

    threading.Thread(target=take, daemon=True).start()
    try:
        inv = tmp_path / "mute.csv"
        inv.write_text(f"name,hostname,port,user\nmute,127.0.0.1,{mute.getsockname()[1]},{ssh_env.user}\n")
        r = deskside(env, "scan", "-i", str(inv), "--timeout", "2", "--connect-timeout", "600", "--json")
        h = json.loads(r.stdout)["hosts"][0]
        assert accepted.is_set()
        assert h["status"] == "unknown" and "no answer within 2 s" in h["error"], h
        assert r.returncode == 3
    finally:
        mute.close()
    bad = tmp_path / "bad.ini"
    bad.write_text("[web]\nweb[3:1]\n")
    r = deskside(env, "scan", "-i", str(bad), "--no-ansible")
    assert r.returncode == 64 and f"{bad}:2:" in r.stderr and "starts after it ends" in r.stderr
    pol_file = tmp_path / "p.toml"
    pol_file.write_text("[policy]\nmax_security_updates = 'x'\n")
    r = deskside(env, "scan", "-i", str(inv), "--policy", str(pol_file))
    assert r.returncode == 64 and f"{pol_file}:2:" in r.stderr
    r = deskside(env, "scan", "-i", str(inv), "@nosuchgroup")
    assert r.returncode == 64 and "matches no host" in r.stderr


def test_json_is_indented_on_a_terminal_and_compact_in_a_pipe(ssh_env: SshEnv, tmp_path: Path) -> None:
    env = _env(tmp_path)
    inv = tmp_path / "gone.csv"
    inv.write_text(f"name,hostname,port,user\ngone,127.0.0.1,{free_port()},{ssh_env.user}\n")
    argv = ["scan", "-i", str(inv), "--json", "--no-history"]
    piped = deskside(env, *argv)
    assert piped.stdout.count("\n") == 1 and json.loads(piped.stdout)["hosts"][0]["name"] == "gone"
    main, sub = os.openpty()
    with subprocess.Popen([sys.executable, "-m", "desktop.cli", *argv], env=env, stdout=sub,
                          stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL) as proc:
        os.close(sub)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the terminal's other end closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(timeout=600)
    os.close(main)
    shown = b"".join(chunks).decode().replace("\r\n", "\n")
    assert '\n  "hosts": [' in shown  # indented
    host, again = json.loads(shown)["hosts"][0], json.loads(piped.stdout)["hosts"][0]
    assert (host["name"], host["status"], host["error"]) == (again["name"], again["status"], again["error"])
    assert host["status"] == "unknown" and "refused" in host["error"].lower()


def test_the_probe_rides_in_the_script(ssh_env: SshEnv, servers: list[Sshd]) -> None:
    """What the scan's SshHost (probe=False) needs to know about the host comes with the posture script: one
    command after the login in all, and the same identity as SshHost's own probe."""
    conn = ssh_env.connect(servers[0])
    try:
        probed = SshHost(conn)
        host = SshHost(conn, probe=False)
        evidence, misses = collect_evidence(host, pol.DEFAULT)
        assert misses == 0 and host.commands_run == 1
        assert (host.platform, host.name, host.is_admin) == (probed.platform, probed.name, probed.is_admin)
        assert evidence.posture.host == probed.name and host.commands_run == 1
    finally:
        conn.close()


def test_an_unchanged_host_is_spared_apt_and_a_changed_one_is_not(ssh_env: SshEnv, servers: list[Sshd],
                                                                    tmp_path: Path) -> None:
    """The second scan of a host where nothing apt depends on has changed reads the kept answer instead of running
    apt there (the kept answer is made recognisable to prove it is what the scan read); a host whose stat differs
    runs apt again; --fresh always does."""
    answers = AptAnswers(tmp_path / "answers")
    names, _security = apt_upgradable()
    conn = ssh_env.connect(servers[0])
    try:
        host = SshHost(conn)
        first, _ = collect_evidence(host, pol.DEFAULT, answers=answers, target="h1")
        assert not first.posture.from_cache
        assert {p.name for p in first.posture.pending if p.manager == "apt"} == names
        [kept] = list((tmp_path / "answers").iterdir())
        assert kept.stat().st_mode & 0o777 == 0o600
        doc = json.loads(kept.read_text())
        [res] = doc["results"].values()
        res["stdout"] += "zz-marker/stable-security 2.0 amd64 [upgradable from: 1.0]\n"
        kept.write_text(json.dumps(doc))

        second, misses = collect_evidence(host, pol.DEFAULT, answers=answers, target="h1")
        assert misses == 0 and second.posture.from_cache
        assert {p.name for p in second.posture.pending if p.manager == "apt"} == names | {"zz-marker"}
        a, b = first.posture.to_dict(), second.posture.to_dict()
        for d in (a, b):
            for k in ("collected_at", "from_cache", "pending", "counts"):
                d.pop(k)
        assert a == b

        # The host "changed": its stat no longer matches the kept one, so apt runs and the marker is gone.
        doc["stat_out"] = doc["stat_out"].replace("|", "|1", 1)
        kept.write_text(json.dumps(doc))
        third, _ = collect_evidence(host, pol.DEFAULT, answers=answers, target="h1")
        assert not third.posture.from_cache
        assert {p.name for p in third.posture.pending if p.manager == "apt"} == names

        # Another host name never gets this one's answer; neither does a scan with reuse turned off (--fresh).
        other, _ = collect_evidence(host, pol.DEFAULT, answers=answers, target="h2")
        fresh, _ = collect_evidence(host, pol.DEFAULT, answers=AptAnswers(tmp_path / "answers", reuse=False),
                                    target="h1")
        assert not other.posture.from_cache and not fresh.posture.from_cache
    finally:
        conn.close()


def test_scan_cli_reuses_and_fresh_asks_again(ssh_env: SshEnv, servers: list[Sshd], tmp_path: Path) -> None:
    env = _env(tmp_path)
    inv = tmp_path / "hosts.ini"
    inv.write_text(_line("web1", ssh_env, servers[0].port) + "\n")

    def cached(*extra: str) -> bool:
        r = deskside(env, "scan", "-i", str(inv), "--accept-new", "--json", "--no-history", *extra)
        assert r.returncode in (0, 1, 2), r.stderr
        [host] = json.loads(r.stdout)["hosts"]
        return bool(host["updates"]["from_cache"])

    assert [cached(), cached(), cached("--fresh"), cached()] == [False, True, False, True]
