"""README.md is the front door: its first two commands are `make run` and `make test`, and every link in it
resolves (to a file of the repository, to a page of the docs site and an anchor that page has, or to one of its own
sections). `mkdocs build --strict` (in `make lint`) checks the same for the pages under docs/."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def _headings(markdown: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"^#{1,6} (.+?)\s*#*$", FENCE.sub("", markdown), re.M)]


def slug(heading: str) -> str:
    """The anchor both GitHub and MkDocs' toc give a heading made of words, spaces, hyphens and punctuation."""
    text = re.sub(r"[^\w\s-]", "", heading.strip().lower())
    return re.sub(r"[-\s]+", "-", text).strip("-")


def anchors(path: Path) -> set[str]:
    return {slug(h) for h in _headings(path.read_text(encoding="utf-8"))}


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def broken_links(path: Path) -> list[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    problems = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):  # https:, mailto: ...: not ours to check here
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            problems.append(f"{target}: {_shown(dest)} is missing")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            problems.append(f"{target}: no section #{anchor} in {_shown(dest)}")
    return problems


def test_slug_matches_the_anchor_rules() -> None:
    assert slug("Diagnosing this machine: `deskside diagnose`") == "diagnosing-this-machine-deskside-diagnose"
    assert slug("Settings: `[diagnostics.connectivity]` in config.toml") == (
        "settings-diagnosticsconnectivity-in-configtoml")


def test_every_link_in_the_readme_resolves() -> None:
    assert broken_links(ROOT / "README.md") == []


def test_a_broken_link_is_found(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n## Exit codes\n\n[ok](#exit-codes) [gone](#speed) [file](missing.md)\n"
                    "```\n[in code](#not-a-link)\n```\n", encoding="utf-8")
    assert broken_links(page) == ["#speed: no section #speed in page.md", "missing.md: missing.md is missing"]


def test_the_readme_starts_with_make_run_and_make_test() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```(?:sh|console|bash)?\n(.*?)^```", text, re.S | re.M)
    commands = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()
                if line.split("#")[0].strip()]
    assert commands[:2] == ["make run", "make test"]


def test_the_readme_links_to_every_page_of_the_docs_site() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    pages = {p.name for p in (ROOT / "docs").glob("*.md")} - {"index.md"}
    linked = {Path(t.partition("#")[0]).name for t in LINK.findall(text) if t.startswith("docs/")}
    assert pages <= linked, f"README does not link to: {sorted(pages - linked)}"


def test_exit_codes_are_tabled_in_one_place_only() -> None:
    """docs/exit-codes.md is the one table of exit codes; other pages link to it (three copies used to disagree)."""
    row = re.compile(r"^\| *`?(0|1|2|3|4|5|64|70|124|130|141|255)`? *\|", re.M)
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    tables = [p.name for p in pages if p.name != "exit-codes.md" and row.search(FENCE.sub("", p.read_text("utf-8")))]
    assert tables == [], "exit codes belong on docs/exit-codes.md; link to it instead"
    assert row.search((ROOT / "docs" / "exit-codes.md").read_text("utf-8"))
