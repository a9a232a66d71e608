"""The organisation's system config as a user meets it: `deskside config show`, and the commands that follow the
merged settings (real processes; the system file is a real file found through DESKSIDE_SYSTEM_CONFIG)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

DESKSIDE = str(Path(sys.executable).with_name("deskside"))

ORG = """\
[locks]
keys = ["tickets.redaction.keywords", "backends.corpdesk"]

[tickets]
backend = "corpdesk"

[tickets.redaction]
keywords = ["Project Falcon"]
domains = ["corp.example"]

[backends.corpdesk]
type = "rt"
url = "http://127.0.0.1:18080"
queue = "General"
"""


def deskside(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    return subprocess.run([DESKSIDE, *args], capture_output=True, text=True, timeout=timeout, env=env,
                          stdin=subprocess.DEVNULL)


def system_file(text: str) -> Path:
    path = Path(os.environ["DESKSIDE_SYSTEM_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def user_file(text: str) -> Path:
    path = Path(os.environ["DESKSIDE_CONFIG_DIR"]) / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def shown_lines(stdout: str) -> dict[str, str]:
    """`key = value  # where` lines of `config show`, as {key: the line with its spaces collapsed}."""
    return {line.split(" ", 1)[0]: " ".join(line.split()) for line in stdout.splitlines() if "  # " in line}


def test_config_show_says_where_each_value_comes_from() -> None:
    org = system_file(ORG)
    user = user_file('[tickets]\nscale = 5\n\n[tickets.redaction]\nkeywords = []\ndomains = ["home.example"]\n\n'
                     '[backends.corpdesk]\nurl = "https://elsewhere.example"\n\n[gui]\ntest_conection = true\n')
    r = deskside("config", "show")
    assert r.returncode == 0, r.stderr
    assert f"System file: {org}" in r.stdout and f"User file:   {user}" in r.stdout
    lines = shown_lines(r.stdout)
    assert lines["tickets.scale"].endswith("= 5 # user file")
    assert lines["tickets.backend"].endswith('= "corpdesk" # system file')
    assert '"Project Falcon"' in lines["tickets.redaction.keywords"]
    assert lines["tickets.redaction.keywords"].endswith("# system file, locked")
    assert lines["tickets.redaction.domains"].split(" = ")[1].startswith('["corp.example", "home.example"]')
    assert lines["tickets.redaction.domains"].endswith("# system file + user file")
    assert lines["backends.corpdesk.url"].endswith('"http://127.0.0.1:18080" # system file, locked (backends.corpdesk)')
    assert lines["gui.test_conection"].endswith("# user file, unknown: ignored")
    err = r.stderr
    assert (f"deskside: warning: {user}:5: tickets.redaction.keywords is locked by your organisation in {org}: the "
            "value here is ignored") in err
    assert (f"{user}:9: backends.corpdesk.url is locked by your organisation in {org} (lock 'backends.corpdesk')"
            in err)
    assert (f"{user}:12: unknown setting gui.test_conection; did you mean gui.test_connection? (Deskside ignores it)"
            in err)

    r = deskside("config", "show", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)  # the warnings stay on stderr
    assert doc["system_file"] == str(org) and doc["system_file_present"] and doc["user_file"] == str(user)
    values = {v["key"]: v for v in doc["values"]}
    assert values["tickets.scale"]["source"] == "user"
    assert values["backends.corpdesk.queue"] == {"key": "backends.corpdesk.queue", "value": "General",
                                                 "source": "system", "sources": ["system"], "locked": True,
                                                 "lock": "backends.corpdesk", "known": True}
    assert values["tickets.redaction.domains"]["sources"] == ["system", "user"]
    assert {w["key"] for w in doc["warnings"]} == {"tickets.redaction.keywords", "backends.corpdesk.url",
                                                   "gui.test_conection"}


def test_unknown_keys_in_the_system_file_and_secrets_never_shown() -> None:
    org = system_file('[diagnostics.logs]\nsince_hourz = 48\n[backends.hook]\ntype = "webhook"\n'
                      'url = "http://127.0.0.1:9/h"\ntoken = "corp-s3cret-value"\n')
    r = deskside("config", "show")
    assert r.returncode == 0, r.stderr
    assert (f"{org}:2: unknown setting diagnostics.logs.since_hourz; did you mean diagnostics.logs.since_hours?"
            in r.stderr)
    assert f"{org}:6: backends.hook.token looks like a secret" in r.stderr
    assert "corp-s3cret-value" not in r.stdout + r.stderr
    assert "backends.hook.token = (hidden: secrets belong in the keyring)" in r.stdout
    assert "corp-s3cret-value" not in deskside("config", "show", "--json").stdout


def test_a_backend_only_in_the_system_file_is_listed_and_used() -> None:
    system_file(ORG)
    r = deskside("backend", "list")
    assert r.returncode == 0, r.stderr
    assert any(line.startswith("* corpdesk") and "rt" in line and "set by your organisation, locked" in line
               for line in r.stdout.splitlines()), r.stdout
    r = deskside("ticket", "new", "--summary", "printer jam", "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "Backend:   corpdesk" in r.stdout


def test_a_locked_redaction_keyword_cannot_be_removed_by_the_user() -> None:
    org = system_file(ORG)
    user = user_file('[tickets.redaction]\nkeywords = []\n')
    r = deskside("ticket", "new", "--summary", "Project Falcon share is down", "--description",
                 "The Project Falcon drive is gone since fs01.corp.example rebooted", "--dry-run")
    assert r.returncode == 0, r.stderr
    message = r.stdout.split("--- the message, as it will be sent")[1]
    assert "Project Falcon" not in message and "<keyword-1> share is down" in message
    assert f"{user}:2: tickets.redaction.keywords is locked by your organisation in {org}" in r.stderr
    # unlocked, the user's list is still added to the organisation's, never a replacement
    system_file(ORG.replace('"tickets.redaction.keywords", ', ""))
    user_file('[tickets.redaction]\nkeywords = ["fs01"]\n')
    r = deskside("ticket", "new", "--summary", "Project Falcon on fs01 is down", "--dry-run")
    message = r.stdout.split("--- the message, as it will be sent")[1]
    assert "Project Falcon" not in message and "fs01" not in message, message
    assert "locked" not in r.stderr


def test_a_broken_system_file_never_stops_the_user() -> None:
    org = system_file('[tickets\nbackend = "corpdesk"\n')
    user_file('[tickets]\nscale = 5\n')
    r = deskside("config", "show")
    assert r.returncode == 0
    assert f"{org} is not valid TOML" in r.stderr and "your own settings still apply" in r.stderr
    assert shown_lines(r.stdout)["tickets.scale"] == "tickets.scale = 5 # user file"
    # the user's 5-level scale applies
    r = deskside("ticket", "new", "--summary", "x", "--impact", "extensive", "--urgency", "extensive", "--dry-run")
    assert r.returncode == 0 and "Impact:    extensive" in r.stdout and "IT support" in r.stderr, r.stderr
    system_file('[agent]\ncheck_every_hours = "daily"\n[tickets]\nscale = 5\n')
    r = deskside("config", "show")
    assert r.returncode == 0
    assert f"{org}:1: [agent] check_every_hours must be a number of hours" in r.stderr
    assert "[agent] settings are left out until the file is fixed" in r.stderr


def test_the_users_own_mistakes_stay_errors() -> None:
    user = user_file('[diagnostics.crashes]\ncrash_dir = 5\n')
    r = deskside("config", "show")
    assert r.returncode == 2
    assert "crash_dir must be a folder path" in r.stderr and str(user) in r.stderr and "Traceback" not in r.stderr


def test_scan_uses_the_organisations_policy(tmp_path: Path) -> None:
    inventory = tmp_path / "hosts.csv"
    inventory.write_text("name,port\n127.0.0.1,1\n")  # refused at once: the policy is all this test looks at
    org = system_file('[compliance]\npolicy = "policy.toml"\n')
    (org.parent / "policy.toml").write_text("[policy]\nmax_security_age_days = 3\n")
    args = ("scan", "-i", str(inventory), "--json", "--no-history", "--no-ansible")
    r = deskside(*args)
    assert json.loads(r.stdout)["policy"] == str(org.parent / "policy.toml"), r.stderr
    system_file('[compliance.policy]\nmax_security_age_days = 3\n[[compliance.policy.check]]\nname = "x"\n'
                'command = "true"\n')
    r = deskside(*args)
    assert json.loads(r.stdout)["policy"] == f"[compliance] in {org}", r.stderr
    (org.parent / "policy.toml").write_text('[policy]\nmax_security_age_days = "soon"\n')
    system_file('[compliance]\npolicy = "policy.toml"\n')
    r = deskside(*args)
    assert r.returncode == 64 and "policy.toml:2: max_security_age_days must be a whole number" in r.stderr
