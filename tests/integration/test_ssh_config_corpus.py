"""Deskside resolves ssh_config like `ssh -G`: a corpus of real-world-style configs (tests/data/ssh_config_corpus,
modelled on public dotfiles and the ssh_config(5) manual), every alias compared with OpenSSH itself.

Both run inside a private network namespace (`unshare -n -m`) with a DNS server on 127.0.0.1 that knows the
corpus' names, so CanonicalizeHostname resolves the same names for both and nothing is contacted. Every alias must be
equal on hostname, port, user, identity files, ProxyJump/ProxyCommand, HashKnownHosts, StrictHostKeyChecking,
IdentitiesOnly and ControlPath (expanded), or be listed in DIFFERENCES with the reason.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from remote.ssh_config_tokens import TokenContext, expand_for
from tests.conftest import need

pytestmark = [pytest.mark.integration, pytest.mark.root]

CORPUS = Path(__file__).resolve().parents[1] / "data" / "ssh_config_corpus"
REPO = Path(__file__).resolve().parents[2]

# ssh -G prints these when nothing is configured (OpenSSH 9.2)
DEFAULT_IDENTITIES = ["~/.ssh/id_rsa", "~/.ssh/id_ecdsa", "~/.ssh/id_ecdsa_sk", "~/.ssh/id_ed25519",
                      "~/.ssh/id_ed25519_sk", "~/.ssh/id_xmss", "~/.ssh/id_dsa"]
YES_NO = {"yes": "yes", "true": "yes", "no": "no", "false": "no"}
STRICT = {"yes": "true", "true": "true", "no": "false", "off": "false", "false": "false", "ask": "ask",
          "accept-new": "accept-new"}

# (file, target) -> why Deskside differs from ssh -G there. Empty: every alias agrees.
DIFFERENCES: dict[tuple[str, str], str] = {}


def cases() -> list[tuple[str, str]]:
    out = []
    for f in sorted(CORPUS.glob("*.conf")):
        first = f.read_text().splitlines()[0]
        assert first.startswith("# aliases: "), f
        import shlex

        out.extend((f.name, alias) for alias in shlex.split(first.split(":", 1)[1]))
    return out


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict[str, Any]]:
    need(all(shutil.which(t) for t in ("ssh", "unshare", "ip", "mount")), "OpenSSH client, unshare, ip and mount")
    need(os.geteuid() == 0, "root (unshare -n -m)")
    home = tmp_path_factory.mktemp("home")
    shutil.copytree(CORPUS / "dot_ssh", home / ".ssh")
    job = {"home": str(home), "zone": json.loads((CORPUS / "zone.json").read_text()),
           "cases": [[str(CORPUS / f), t] for f, t in cases()]}
    r = subprocess.run(["unshare", "-n", "-m", sys.executable, "-m", "tests.ssh_g_runner"], input=json.dumps(job),
                       capture_output=True, text=True, cwd=REPO, timeout=600, check=False)
    assert r.returncode == 0, r.stderr
    return {(Path(x["file"]).name, x["target"]): x for x in json.loads(r.stdout)}


def model(ours: dict[str, list[str]], target: str, home: str) -> dict[str, Any]:
    """Deskside's resolution in ssh -G's terms (its defaults filled in, ControlPath expanded as ssh does)."""
    pw = pwd.getpwuid(os.getuid())
    alias = target.rsplit("@", 1)[-1]

    def first(key: str, default: str) -> str:
        return ours.get(key, [default])[0]

    user = first("user", pw.pw_name)
    hostname = first("hostname", alias.lower())
    port = first("port", "22")
    out: dict[str, Any] = {
        "hostname": hostname, "port": port, "user": user,
        "identityfile": ours.get("identityfile") or DEFAULT_IDENTITIES,
        "hashknownhosts": YES_NO[first("hashknownhosts", "no").lower()],
        "identitiesonly": YES_NO[first("identitiesonly", "no").lower()],
        "stricthostkeychecking": STRICT[first("stricthostkeychecking", "ask").lower()],
    }
    pj, pc = first("proxyjump", "none"), first("proxycommand", "none")
    out["proxyjump"] = None if pj.lower() == "none" else pj
    out["proxycommand"] = None if pc.lower() == "none" else pc
    ctx = TokenContext(host=alias, hostname=hostname, user=user, port=int(port), home=pw.pw_dir,
                       host_key_alias=first("hostkeyalias", ""))
    env = dict(os.environ, HOME=home)
    if "controlpath" in ours:
        out["controlpath"] = expand_for("controlpath", ours["controlpath"][0], ctx, env)
    if "remotecommand" in ours:
        out["remotecommand"] = expand_for("remotecommand", ours["remotecommand"][0], ctx, env)
    known = ours.get("userknownhostsfile", ["~/.ssh/known_hosts ~/.ssh/known_hosts2"])[0].split()
    out["userknownhostsfile"] = " ".join(expand_for("userknownhostsfile", k, ctx, env) for k in known)
    return out


def theirs(ssh: dict[str, list[str]], keys: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {k: (ssh[k] if k == "identityfile" else ssh.get(k, [None])[0]) for k in keys}
    return out


@pytest.mark.parametrize(("conf", "target"), cases())
def test_alias_resolves_as_ssh_g(results: dict[tuple[str, str], dict[str, Any]], conf: str, target: str) -> None:
    r = results[(conf, target)]
    ssh, ours = r["ssh"], r["ours"]
    if "error" in ssh:  # ssh refuses: Deskside must name the same problem rather than resolve something
        assert any("ssh stops here" in n or "ssh refuses" in n for n in ours["notes"]), (ssh["error"], ours)
        return
    want = model(ours["values"], target, r["home"])
    got = theirs(ssh, list(want))
    if (conf, target) in DIFFERENCES:
        assert got != want, f"{conf} {target} now agrees with ssh -G: drop it from DIFFERENCES"
        return
    assert want == got, f"{conf}: {target}"


def test_corpus_is_big_enough() -> None:
    assert len({f for f, _ in cases()}) >= 20 and len(cases()) >= 100
