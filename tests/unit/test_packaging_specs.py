"""packaging/: what can be checked here of the builds that are not run in CI (Flatpak, Windows, macOS) and of the
PyInstaller settings all builds share. The Linux build itself is built, installed and run in
tests/integration/test_package_deb.py.

flatpak-builder-lint is neither in Debian 12 nor on PyPI, so the Flatpak manifest is checked here for what that
linter and flatpak-builder would reject (structure, app ID, permissions, pinned sources), and its Python
dependencies against pyproject.toml.
"""

from __future__ import annotations

import ast
import re
import runpy
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from diagnostics import __version__
from tests.conftest import REPO, need

PKG = REPO / "packaging"
APP_ID = "io.github.deskside.Deskside"
FLATPAK = PKG / "flatpak" / f"{APP_ID}.yml"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _manifest() -> dict[str, Any]:
    data = yaml.safe_load(FLATPAK.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_flatpak_manifest_structure_and_permissions() -> None:
    m = _manifest()
    assert m["app-id"] == APP_ID and m["command"] == "deskside"
    for key in ("runtime", "runtime-version", "sdk", "modules", "finish-args"):
        assert m.get(key), key
    args = m["finish-args"]
    assert all(isinstance(a, str) and a.startswith("--") for a in args)
    assert len(args) == len(set(args))
    # what flatpak-builder-lint rejects: arbitrary host or home access, both x11 sockets, a session bus wildcard
    assert not {"--filesystem=host", "--filesystem=home", "--filesystem=host:rw", "--filesystem=home:rw"} & set(args)
    assert not {"--socket=x11", "--socket=fallback-x11"} <= set(args)
    assert "--socket=wayland" in args and "--socket=session-bus" not in args
    assert not any(a.startswith("--own-name=") and not a.startswith(f"--own-name={APP_ID}") for a in args)
    names = []
    for module in m["modules"]:
        if isinstance(module, str):
            assert (FLATPAK.parent / module).is_file(), module
            module = yaml.safe_load((FLATPAK.parent / module).read_text(encoding="utf-8"))
        names.append(module["name"])
        assert module.get("buildsystem") in {"simple", "autotools", "cmake", "cmake-ninja", "meson", "qmake"}
        assert module.get("build-commands") if module.get("buildsystem") == "simple" else True
        for src in module["sources"]:
            assert src["type"] in {"file", "archive", "git", "dir"}, src
            if src["type"] in {"file", "archive"}:  # pinned: https and a sha256
                assert src["url"].startswith("https://") and re.fullmatch(r"[0-9a-f]{64}", src["sha256"]), src
    assert names[-1] == "deskside" and len(names) == len(set(names))
    installs = " ".join(m["modules"][-1]["build-commands"])
    for dest in (f"/app/share/applications/{APP_ID}.desktop", f"/app/share/metainfo/{APP_ID}.metainfo.xml",
                 f"/app/share/icons/hicolor/scalable/apps/{APP_ID}.svg"):
        assert dest in installs


def test_flatpak_python_deps_cover_pyproject() -> None:
    deps = yaml.safe_load((PKG / "flatpak" / "python3-deps.yml").read_text(encoding="utf-8"))
    wheels = [Path(s["url"]).name for s in deps["sources"]]
    assert all(w.endswith(".whl") for w in wheels)
    have = {_norm(w.split("-")[0]) for w in wheels}
    for w in wheels:  # pure Python, or CPython 3.12 / abi3 on x86_64 (the runtime's Python)
        tags = w[:-4].split("-")[-3:]
        assert tags[2] == "any" or ("x86_64" in tags[2] and tags[1] in {"cp312", "abi3"}), w
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {_norm(re.split(r"[<>=!;\[ ]", d, maxsplit=1)[0]) for d in project["dependencies"]}
    wanted = {w for w in wanted if not w.startswith("pyside6")}  # from the PySide6 BaseApp
    assert wanted <= have, wanted - have


def _spec_tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))  # a spec is Python


@pytest.mark.parametrize("platform", ["linux", "windows", "macos"])
def test_pyinstaller_specs_parse_and_share_the_analysis(platform: str) -> None:
    spec = PKG / platform / "deskside.spec"
    _spec_tree(spec)
    text = spec.read_text(encoding="utf-8")
    assert "spec_shared.py" in text and "deskside_analysis(Analysis, SPECPATH)" in text
    if platform == "macos":
        assert "BUNDLE(" in text and f'version="{__version__}"' in text and "bundle_identifier=APP_ID" in text
    if platform != "linux":
        assert "UNTESTED" in text


def test_inno_setup_script_installs_the_windows_build() -> None:
    iss = (PKG / "windows" / "deskside.iss").read_text(encoding="utf-8")
    assert f'#define AppVersion "{__version__}"' in iss and f'#define AppId "{APP_ID}"' in iss
    assert r'Source: "..\..\dist\deskside\*"' in iss and r"{app}\Deskside.exe" in iss
    sections = re.findall(r"^\[(\w+)\]", iss, flags=re.M)
    assert {"Setup", "Files", "Icons", "Code"} <= set(sections)


def test_shared_analysis_collects_every_command_and_data_file() -> None:
    need(_importable("PyInstaller"), "PyInstaller (pip install -e '.[dev]')")
    got: dict[str, Any] = {}

    class FakeAnalysis:  # records what the spec would build from
        def __init__(self, scripts: list[str], **kw: Any) -> None:
            got.update(kw, scripts=scripts)

    namespace = runpy.run_path(str(PKG / "pyinstaller" / "spec_shared.py"))  # as a spec's exec() runs it
    namespace["deskside_analysis"](FakeAnalysis, str(PKG / "linux"))
    assert Path(got["scripts"][0]).is_file()
    commands = {p.stem for p in (REPO / "desktop" / "commands").glob("*.py") if p.stem != "__init__"}
    assert {f"desktop.commands.{c}" for c in commands} <= set(got["hiddenimports"])
    data = {Path(src).name for src, _dest in got["datas"]}
    assert {"report.schema.json", "scan.schema.json", "eol.csv"} <= data
    assert any(name.endswith(".yml") for name in data)  # the Ansible playbook of `scan --engine ansible`


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None
