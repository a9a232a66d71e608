"""The organisation's system config under the user's: merge rules, sources, locks, warnings (desktop/config_layers)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from desktop import config_layers, paths, settings


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "etc" / "config.toml", tmp_path / "user" / "config.toml"


def test_no_files_everything_is_default(files: tuple[Path, Path]) -> None:
    layered = config_layers.load(*files)
    assert layered.merged == {} and layered.notices == [] and not layered.system_present
    assert layered.value("tickets.backend", "x") == "x"
    assert layered.source("tickets.backend") == "default"
    assert not layered.is_locked("tickets.backend")
    assert layered.entries() == []


def test_tables_merge_key_by_key_and_lists_replace(files: tuple[Path, Path]) -> None:
    system, user = files
    write(system, '[backends.helpdesk]\ntype = "rt"\nurl = "https://rt.corp.example"\nqueue = "General"\n'
                  '[diagnostics.logs]\npaths = ["/var/log/corp.log"]\nsince_hours = 48\n')
    write(user, '[backends.helpdesk]\nqueue = "Desktop"\n[backends.mine]\ntype = "webhook"\n'
                '[diagnostics.logs]\npaths = ["/var/log/mine.log"]\n')
    layered = config_layers.load(system, user)
    assert layered.value("backends.helpdesk") == {"type": "rt", "url": "https://rt.corp.example", "queue": "Desktop"}
    assert set(layered.value("backends")) == {"helpdesk", "mine"}
    assert layered.value("diagnostics.logs.paths") == ["/var/log/mine.log"]  # a list replaces
    assert layered.value("diagnostics.logs.since_hours") == 48
    assert layered.source("backends.helpdesk.url") == "system"
    assert layered.source("backends.helpdesk.queue") == "user"
    assert layered.source("diagnostics.logs.paths") == "user"
    assert layered.sources("diagnostics.logs.paths") == ("user",)  # replaced: the organisation's value is gone
    assert layered.source("diagnostics.logs.since_hours") == "system"
    assert layered.sources("backends.helpdesk") == ("system", "user")  # a table both files fill
    assert layered.source("backends.mine") == "user"
    assert layered.source("gui.test_connection") == "default"


def test_redaction_lists_are_the_union(files: tuple[Path, Path]) -> None:
    system, user = files
    write(system, '[tickets.redaction]\nkeywords = ["Project Falcon"]\ndomains = ["corp.example"]\n')
    write(user, '[tickets.redaction]\nkeywords = ["my-nas", "Project Falcon"]\ndomains = []\n')
    layered = config_layers.load(system, user)
    assert layered.value("tickets.redaction.keywords") == ["Project Falcon", "my-nas"]
    assert layered.value("tickets.redaction.domains") == ["corp.example"]  # a user cannot drop the organisation's
    assert layered.sources("tickets.redaction.keywords") == ("system", "user")
    assert layered.user_value("tickets.redaction.keywords") == ["my-nas", "Project Falcon"]
    assert layered.system_value("tickets.redaction.keywords") == ["Project Falcon"]


def test_a_locked_key_keeps_the_organisations_value_and_warns(files: tuple[Path, Path]) -> None:
    system, user = files
    write(system, '[locks]\nkeys = ["tickets.backend", "backends.helpdesk", "gui"]\n'
                  '[tickets]\nbackend = "helpdesk"\n[backends.helpdesk]\ntype = "rt"\nurl = "https://rt.corp.example"\n')
    write(user, '[tickets]\nbackend = "mine"\nscale = 5\n[backends.helpdesk]\nurl = "https://evil.example"\n'
                '[backends.mine]\ntype = "rt"\n[gui]\ntest_connection = true\n')
    layered = config_layers.load(system, user)
    assert layered.value("tickets.backend") == "helpdesk"
    assert layered.value("tickets.scale") == 5  # not locked: the user's
    assert layered.value("backends.helpdesk.url") == "https://rt.corp.example"
    assert layered.value("backends.mine.type") == "rt"
    assert layered.value("gui.test_connection") is None  # locked to the built-in default
    assert layered.is_locked("tickets.backend") and layered.is_locked("backends.helpdesk.url")
    assert layered.lock_of("backends.helpdesk.url") == "backends.helpdesk"
    assert not layered.is_locked("backends.mine") and not layered.is_locked("tickets.scale")
    assert layered.source("tickets.backend") == "system"
    assert layered.source("gui.test_connection") == "default"
    ignored = {n.key: n for n in layered.notices if "locked" in n.message}
    assert set(ignored) == {"tickets.backend", "backends.helpdesk.url", "gui.test_connection"}
    n = ignored["tickets.backend"]
    assert n.file == user and n.line == 2 and str(system) in n.message and "ignored" in n.message
    assert "lock 'backends.helpdesk'" in ignored["backends.helpdesk.url"].message
    shown = {e.key: e for e in layered.entries()}
    assert shown["tickets.backend"].locked and shown["tickets.backend"].sources == ("system",)
    assert shown["gui"].value is None and shown["gui"].sources == ("default",) and shown["gui"].locked


def test_writing_a_user_value(files: tuple[Path, Path]) -> None:
    system, user = files
    write(system, '[locks]\nkeys = ["tickets.redaction"]\n[tickets.redaction]\nkeywords = ["Falcon"]\n')
    write(user, '# mine\n[agent]\nnotify = false\n')
    layered = config_layers.load(system, user)
    layered.set_user_value("tickets.scale", 5)
    assert layered.value("tickets.scale") == 5 and layered.source("tickets.scale") == "user"
    on_disk = tomllib.loads(user.read_text())
    assert on_disk == {"agent": {"notify": False}, "tickets": {"scale": 5}}  # the organisation's values not copied
    with pytest.raises(config_layers.LockedError, match=r"locked in .*config\.toml"):
        layered.set_user_value("tickets.redaction.keywords", [])
    with pytest.raises(settings.ConfigError, match="must be 3 or 5"):
        layered.set_user_value("tickets.scale", 4)
    assert tomllib.loads(user.read_text())["tickets"]["scale"] == 5  # a refused value writes nothing
    layered.remove_user_value("agent.notify")
    assert layered.source("agent.notify") == "default"
    assert tomllib.loads(user.read_text()) == {"tickets": {"scale": 5}}  # and its emptied table


def test_unknown_keys_warn_with_file_line_and_suggestion(files: tuple[Path, Path]) -> None:
    system, user = files
    write(system, '[diagnostics.logs]\nsince_hourz = 5\n[backends.helpdesk]\ntype = "rt"\nurl = "https://x.example"\n'
                  'custom_thing = 1\n')
    write(user, '[gui]\ntest_conection = true\n\n[agnet]\nnotify = false\n[tickets]\nsince_hours = 3\n')
    layered = config_layers.load(system, user)
    found = {(n.file, n.key): n for n in layered.notices}
    assert set(found) == {(system, "diagnostics.logs.since_hourz"), (user, "gui.test_conection"), (user, "agnet"),
                          (user, "tickets.since_hours")}  # a backend's own keys are its connector's to check
    assert found[(system, "diagnostics.logs.since_hourz")].line == 2
    assert "did you mean diagnostics.logs.since_hours?" in found[(system, "diagnostics.logs.since_hourz")].message
    assert found[(user, "gui.test_conection")].line == 2
    assert "did you mean gui.test_connection?" in found[(user, "gui.test_conection")].message
    assert found[(user, "agnet")].line == 4 and "did you mean agent?" in found[(user, "agnet")].message
    assert "did you mean diagnostics.logs.since_hours?" in found[(user, "tickets.since_hours")].message
    assert str(found[(user, "agnet")]).startswith(f"{user}:4: unknown setting agnet")


def test_a_broken_system_file_never_stops_the_user(files: tuple[Path, Path]) -> None:
    system, user = files
    write(user, '[tickets]\nscale = 5\n')
    write(system, '[tickets\nbackend = "x"\n')
    layered = config_layers.load(system, user)
    assert layered.value("tickets.scale") == 5
    (n,) = layered.notices
    assert n.file == system and "not valid TOML" in n.message and "your own settings still apply" in n.message
    # a wrong value leaves out that table only, with the key, the file and what to do
    write(system, '[tickets.sla.P1]\nresolution_minutes = inf\n[agent]\nnotify = false\n')
    layered = config_layers.load(system, user)
    assert layered.value("agent.notify") is False and layered.value("tickets.sla") is None
    (n,) = layered.notices
    assert "[tickets.sla.P1] resolution_minutes must be a whole number" in n.message and n.line == 1
    assert "[tickets] settings are left out" in n.message and "IT support" in n.message


def test_the_user_files_problems_stay_errors(files: tuple[Path, Path]) -> None:
    system, user = files
    write(user, '[diagnostics.crashes]\ncrash_dir = 5\n')
    with pytest.raises(settings.ConfigError, match=r"crash_dir must be a folder path.*in .*user"):
        config_layers.load(system, user)


def test_secrets_are_never_shown_and_are_warned_about(files: tuple[Path, Path]) -> None:
    system, user = files
    write(system, '[backends.helpdesk]\ntype = "rt"\ntoken = "corp-s3cret"\nuse_app_token = true\n')
    layered = config_layers.load(system, user)
    shown = {e.key: e.value for e in layered.entries()}
    assert shown["backends.helpdesk.token"] == config_layers.HIDDEN
    assert shown["backends.helpdesk.use_app_token"] is True
    (n,) = layered.notices
    assert n.key == "backends.helpdesk.token" and "keyring" in n.message and "corp-s3cret" not in str(n)


def test_locks_only_in_the_system_file_and_unknown_locks_warn(files: tuple[Path, Path]) -> None:
    system, user = files
    write(system, '[locks]\nkeys = ["tickets.redaction.keyword"]\n')
    write(user, '[locks]\nkeys = ["gui"]\n[gui]\ntest_connection = true\n')
    layered = config_layers.load(system, user)
    assert not layered.is_locked("gui.test_connection") and layered.value("gui.test_connection") is True
    messages = [str(n) for n in layered.notices]
    assert any("only the organisation's file" in m and m.startswith(str(user)) for m in messages)
    assert any("'tickets.redaction.keyword', which is not a setting; did you mean tickets.redaction.keywords?" in m
               for m in messages)


def test_settings_load_is_the_merged_view(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    write(paths.system_config_file(), '[locks]\nkeys = ["remote.save_secrets"]\n[remote]\nsave_secrets = false\n'
                                      '[tickets]\nscale = 5\n')
    write(paths.config_file(), '[remote]\nsave_secrets = true\n')
    settings._reported.clear()
    assert settings.load() == {"locks": {"keys": ["remote.save_secrets"]}, "remote": {"save_secrets": False},
                               "tickets": {"scale": 5}}
    settings.load()
    err = capsys.readouterr().err
    assert err.count("remote.save_secrets is locked by your organisation") == 1  # once per process
    assert settings.load_user() == {"remote": {"save_secrets": True}}  # what writers change


def test_system_config_path_per_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DESKSIDE_SYSTEM_CONFIG")
    monkeypatch.setattr(paths.sys, "platform", "linux")
    assert paths.system_config_file() == Path("/etc/deskside/config.toml")
    monkeypatch.setattr(paths.sys, "platform", "darwin")
    assert paths.system_config_file() == Path("/Library/Application Support/Deskside/config.toml")
    monkeypatch.setattr(paths.sys, "platform", "win32")
    monkeypatch.setenv("PROGRAMDATA", "D:\\ProgramData")
    assert paths.system_config_file() == Path("D:\\ProgramData") / "Deskside" / "config.toml"
    monkeypatch.setenv("DESKSIDE_SYSTEM_CONFIG", "/srv/deskside.toml")
    assert paths.system_config_file() == Path("/srv/deskside.toml")
