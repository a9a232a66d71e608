"""Each section's data has one definition (diagnostics/sections): the shipped JSON Schema is generated from it, a
real run on this machine fits it, and a rule given data of another shape says so instead of going quiet."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from diagnostics.collectors import all_collectors, select
from diagnostics.collectors.base import CollectContext
from diagnostics.host import LocalHost
from diagnostics.model import Report, SectionStatus, Severity
from diagnostics.render.json import dumps
from diagnostics.render.text import render_text
from diagnostics.rules import evaluate
from diagnostics.rules import system as system_rules
from diagnostics.runner import run_collectors
from diagnostics.schema import report_schema, validation_errors
from diagnostics.sections import CONTRACTS, SectionContractError, contract, read, schemagen, section_problems
from diagnostics.sections.factory import make_data, make_report, make_section

UNREADABLE = "deskside.section_unreadable."


@pytest.fixture(scope="module")
def real_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The default run of the real collectors on this machine (no connectivity checks: they send traffic)."""
    ctx = CollectContext(host=LocalHost(), cache_dir=tmp_path_factory.mktemp("cache"))
    return run_collectors(select(), ctx)


def test_every_collector_has_a_definition_and_every_definition_a_collector() -> None:
    assert [c.name for c in all_collectors()] == list(CONTRACTS)


def test_the_shipped_schema_is_generated_from_the_definitions() -> None:
    """Changing a definition without `python -m diagnostics.sections.schemagen` (or editing the schema by hand)
    fails here: the keys and types of the definitions and the schema agree."""
    shipped = schemagen.SCHEMA_FILE.read_text(encoding="utf-8")
    assert schemagen.render(schemagen.with_sections(json.loads(shipped))) == shipped
    schema = report_schema()
    for name, kind in CONTRACTS.items():
        data = schema["$defs"][f"data_{name}"]
        assert data == contract.schema_of(kind, with_required=False)
        assert data["additionalProperties"] is False  # a renamed key is an error, not an extra


def test_a_real_report_from_this_machine_fits_every_section_definition(real_report: Report) -> None:
    assert set(real_report.sections) == {c.name for c in select()}
    doc = json.loads(dumps(real_report))
    assert validation_errors(doc) == []
    for name, s in real_report.sections.items():
        assert section_problems(s) == [], name
    assert not [f.id for f in real_report.findings if f.id.startswith(UNREADABLE)]
    # the sections that finished ok have all their required keys: the schema checks them
    ok = [n for n, s in real_report.sections.items() if s.status == SectionStatus.OK]
    assert ok, "no section finished ok on this machine"
    for name in ok:
        required = contract.required_keys(CONTRACTS[name])
        assert set(required) <= set(doc["sections"][name]["data"]), name


def _mutations(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Shapes a collector change could produce: a key renamed, a key dropped, a value of another type."""
    out = []
    for key, value in data.items():
        renamed = {k: v for k, v in data.items() if k != key} | {key + "_renamed": value}
        dropped = {k: v for k, v in data.items() if k != key}
        retyped = dict(data) | {key: [] if not isinstance(value, list) else "text"}
        out += [renamed, dropped, retyped]
    return out


def test_the_runtime_check_and_the_schema_agree_on_real_data(real_report: Report) -> None:
    """Every section of the real report, and every key of it renamed, dropped or retyped: the check the rules
    use rejects exactly what the JSON Schema rejects."""
    base = json.loads(dumps(real_report))
    tried = 0
    for name, s in real_report.sections.items():
        for data in [s.data, *_mutations(s.data)]:
            doc = copy.deepcopy(base)
            doc["sections"][name]["data"] = data
            schema_says = [e for e in validation_errors(doc) if e.startswith(f"sections/{name}/data")]
            check_says = section_problems(type(s)(**{**s.__dict__, "data": data}))
            assert bool(schema_says) == bool(check_says), (name, schema_says, check_says)
            tried += 1
    assert tried > 100


def test_a_rule_fed_a_section_with_a_missing_key_says_so_instead_of_going_quiet() -> None:
    report = make_report(system={"uptime_s": 120 * 86400.0, "os": {"source": "/etc/os-release"}})
    assert [f.id for f in evaluate(report)] == ["system.long_uptime"]  # the well-formed data gives the finding
    del report.sections["system"].data["uptime_s"]  # a collector change that forgot to update the definition
    with pytest.raises(SectionContractError, match="rule could not read section system: missing key 'uptime_s'"):
        list(system_rules.long_uptime(report))
    [f] = evaluate(report)
    assert f.id == UNREADABLE + "system"
    assert f.severity == Severity.INFO and f.incident_type == "software problem"
    assert f.evidence[0] == "rule could not read section system: missing key 'uptime_s'"
    assert f.evidence[-1].startswith("checks not evaluated: long_uptime, os_unknown")
    # the user sees it in the report, as any finding
    assert "rule could not read section system: missing key 'uptime_s'" in render_text(report_with(report, f))
    assert validation_errors(json.loads(dumps(report_with(report, f)))) != []  # and the schema rejects the data


def report_with(report: Report, *findings: Any) -> Report:
    report.findings = list(findings)
    return report


def test_a_renamed_key_is_named_in_the_finding() -> None:
    report = make_report(system={"uptime_s": 45 * 86400.0})
    data = report.sections["system"].data
    data["uptime_seconds"] = data.pop("uptime_s")
    [f] = [f for f in evaluate(report) if f.id.startswith(UNREADABLE)]
    assert "rule could not read section system: missing key 'uptime_s'" in f.evidence
    assert ("rule could not read section system: unexpected key 'uptime_seconds' (not in the section's "
            "definition)") in f.evidence
    assert not [f for f in evaluate(report) if f.id == "system.long_uptime"]


def test_a_value_of_another_type_is_named_in_the_finding() -> None:
    report = make_report(storage={"mounts": [{"mountpoint": "/", "percent": "97%", "total": 100, "used": 97,
                                              "free": 3}]})
    [f] = evaluate(report)
    assert f.id == UNREADABLE + "storage"
    assert "rule could not read section storage: key 'mounts[0].percent' should be number, not string" in f.evidence


def test_a_malformed_section_no_rule_reads_is_reported_too() -> None:
    report = make_report(crashes={})
    report.sections["crashes"].data["reports"] = "none"
    [f] = [f for f in evaluate(report) if f.id.startswith(UNREADABLE)]
    assert f.id == UNREADABLE + "crashes"
    assert "rule could not read section crashes: key 'reports' should be array, not string" in f.evidence


def test_a_partial_section_may_lack_keys_its_skips_explain() -> None:
    report = make_report(system={"os": {"source": "/etc/os-release"}})
    s = report.sections["system"]
    del s.data["uptime_s"], s.data["uptime_human"]
    s.skip("uptime", "/proc/uptime could not be read")
    s.status = SectionStatus.PARTIAL
    assert section_problems(s) == []
    assert evaluate(report) == []  # nothing to judge, and the skip says why
    assert read(report, "system") is s.data


def test_a_skipped_or_failed_section_is_not_read() -> None:
    for status in (SectionStatus.SKIPPED, SectionStatus.ERROR, SectionStatus.CANCELLED):
        report = make_report(system={})
        report.sections["system"].status = status
        report.sections["system"].data = {}  # nothing was collected
        assert read(report, "system") is None
        assert evaluate(report) == []
        report.sections["system"].data = {"uptime_s": "long"}  # what was collected is still checked
        assert [f.id for f in evaluate(report)] == [UNREADABLE + "system"]


def test_the_factory_refuses_a_key_the_definition_does_not_have() -> None:
    with pytest.raises(KeyError, match="'uptime_seconds' is not a key of SystemData"):
        make_data("system", uptime_seconds=5)
    with pytest.raises(KeyError, match="'size' is not a key of Mount"):
        make_data("storage", mounts=[{"mountpoint": "/", "size": 5}])


@pytest.mark.parametrize("name", list(CONTRACTS))
def test_the_factory_defaults_fit_the_definition(name: str) -> None:
    assert section_problems(make_section(name)) == []


def test_the_schema_version_says_sections_are_checked(tmp_path: Path) -> None:
    from diagnostics.model import SCHEMA_VERSION

    assert SCHEMA_VERSION == "1.1"
    assert report_schema()["$id"].endswith("report-1.1.json")
    old = json.loads(dumps(make_report(system={})))
    old["schema_version"] = "1.0"  # a 1.0 report whose data fits is still valid
    assert validation_errors(old) == []
