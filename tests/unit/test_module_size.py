"""No module of Deskside is over about 400 lines unless it says why at its top (issue 7).

A contributor who grows a module past the limit sees which one and the two ways out: split it by what it does, or
add a line `Long because: ...` near the top of its docstring.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("desktop", "ui", "remote", "diagnostics", "tickets", "common", "fleet")
LIMIT = 400
REASON = "Long because:"


def _helpers() -> list[Path]:
    """The tests' own helper modules (servers, fixtures), not the test files."""
    return [p for p in (ROOT / "tests").rglob("*.py") if not p.name.startswith("test_")]


def _modules() -> list[Path]:
    return sorted([p for pkg in CHECKED for p in (ROOT / pkg).rglob("*.py")] + _helpers())


def _says_why(path: Path, text: str) -> bool:
    doc = ast.get_docstring(ast.parse(text, filename=str(path))) or ""
    return REASON in "\n".join(doc.splitlines()[:6])


def test_every_long_core_module_is_split_or_says_why() -> None:
    long_ones = []
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines > LIMIT and not _says_why(path, text):
            long_ones.append(f"{path.relative_to(ROOT)} ({lines} lines)")
    assert not long_ones, (f"over {LIMIT} lines without a '{REASON} ...' line at the top of the docstring "
                           f"(split it by what it does, or say why it is one piece): {', '.join(long_ones)}")


def test_the_check_sees_the_modules_it_guards() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in _modules()}
    assert "tickets/outbox.py" in names and "diagnostics/net/checks/base.py" in names
    assert "desktop/commands/remote.py" in names and "ui/remote_page.py" in names and "remote/connection.py" in names
    assert "tests/integration/sshd.py" in names and not any(Path(n).name.startswith("test_") for n in names)
