"""The kept apt answers (`fleet.apt_answers`): offered back only while fresh, for the same host, and never from a
damaged or foreign file; a failed or reused apt answer is not kept."""

from __future__ import annotations

import json
from pathlib import Path

from diagnostics.host import CommandResult
from diagnostics.updates import apt
from diagnostics.updates.scan import Paths
from diagnostics.updates.snapshot import Run, Snapshot, _all_stats
from fleet.apt_answers import MAX_AGE_S, AptAnswers

APT_KEY = Run(tuple(apt.LIST_ARGV)).key
STAT_KEY = _all_stats(Paths()).key
LISTING = "Listing...\nopenssl/stable-security 3.0.13-1 amd64 [upgradable from: 3.0.11-1]\n"


def _snap(apt_rc: int = 0, reused: bool = False) -> Snapshot:
    snap = Snapshot(stat_key=STAT_KEY)
    snap.runs[STAT_KEY] = CommandResult(["sh"], 0, "1700000000|100|/var/lib/dpkg/status\n", "")
    snap.runs[APT_KEY] = CommandResult(list(apt.LIST_ARGV), apt_rc, LISTING, "")
    snap.runs[Run(("uname", "-r")).key] = CommandResult(["uname", "-r"], 0, "6.1.0\n", "")
    if reused:
        snap.reused.append(APT_KEY)
    return snap


def test_kept_then_offered_while_fresh(tmp_path: Path) -> None:
    now = [1_000_000.0]
    answers = AptAnswers(tmp_path, clock=lambda: now[0])
    answers.keep("web1", _snap())
    reuse = answers.offer("web1")
    assert reuse is not None and reuse.stat_out == "1700000000|100|/var/lib/dpkg/status\n"
    assert list(reuse.results) == [APT_KEY] and reuse.results[APT_KEY].stdout == LISTING  # only apt's answer
    assert answers.offer("web2") is None
    now[0] += MAX_AGE_S + 1
    assert answers.offer("web1") is None  # too old: asked afresh
    assert AptAnswers(tmp_path, reuse=False).offer("web1") is None


def test_failed_or_reused_answers_are_not_kept(tmp_path: Path) -> None:
    answers = AptAnswers(tmp_path)
    answers.keep("web1", _snap(apt_rc=100))
    answers.keep("web2", _snap(reused=True))
    assert list(tmp_path.iterdir()) == []
    AptAnswers(None).keep("web1", _snap())  # no folder: nothing kept, nothing raised
    assert AptAnswers(None).offer("web1") is None


def test_damaged_or_foreign_files_are_ignored(tmp_path: Path) -> None:
    answers = AptAnswers(tmp_path)
    answers.keep("web1", _snap())
    [path] = list(tmp_path.iterdir())
    good = path.read_text()
    for bad in ("{not json", json.dumps({**json.loads(good), "format": 99}),
                json.dumps({**json.loads(good), "target": "web9"}), json.dumps({**json.loads(good), "results": 3}),
                json.dumps({**json.loads(good), "saved_at": "yesterday"}), "[]"):
        path.write_text(bad)
        assert answers.offer("web1") is None, bad
    path.write_text(good)
    assert answers.offer("web1") is not None


def test_an_unwritable_folder_only_costs_time(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    answers = AptAnswers(blocker / "sub")
    answers.keep("web1", _snap())
    assert answers.offer("web1") is None
