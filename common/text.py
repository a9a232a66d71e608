"""Text from outside as parsers can read it: any encoding a tool or a log may use, never an exception.

Windows tools (wevtutil, PowerShell redirected to a file, reg export) write UTF-16; old logs and config files are
Latin-1 or cp1252; a crashed writer leaves NUL bytes. `decode_bytes` turns all of these into clean text;
`clean_text` repairs text that was already decoded naively (UTF-16 read as UTF-8 leaves a NUL after each letter).
A parser that still recognises nothing raises `CouldNotRead`, which callers report as a skip ("could not read"),
never as "0 found".
"""

from __future__ import annotations

import codecs

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# What a UTF-16 byte order mark looks like after a naive decode (UTF-8 with replacement, Latin-1, cp1252).
_MANGLED_BOMS = ("\ufffd\ufffd", "\xff\xfe", "\xfe\xff", "ï»¿", "\ufeff")


class CouldNotRead(ValueError):
    """The input is not in the format the parser reads. The message says what was expected; callers report it as
    a skip ("could not read ...") instead of an empty, all-clear result."""


def _utf16_guess(data: bytes) -> str | None:
    """UTF-16 without a byte order mark: mostly-ASCII text has a NUL in every other byte."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) >= 0.4 * len(odd) and even.count(0) <= 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) >= 0.4 * len(even) and odd.count(0) <= 0.05 * len(odd):
        return "utf-16-be"
    return None


def _decode_line(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        # A line that is not UTF-8 is almost always Latin-1/cp1252 (old logs, old config files). Latin-1 never
        # fails, so the line is kept, not dropped.
        try:
            return line.decode("cp1252")
        except UnicodeDecodeError:
            return line.decode("latin-1")


def decode_bytes(data: bytes) -> str:
    """Bytes from a command, a log or a file as text: BOM detection (UTF-8/16/32), UTF-16 without a BOM,
    UTF-8 with a per-line cp1252/Latin-1 fallback, NUL bytes removed. Never raises."""
    if not data:
        return ""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace").replace("\x00", "")
    guess = _utf16_guess(data)
    if guess is not None:
        body = data[: len(data) - (len(data) % 2)]
        return body.decode(guess, errors="replace").replace("\x00", "")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = "".join(_decode_line(line) for line in data.splitlines(keepends=True))
    return text.replace("\x00", "")


def clean_text(text: str) -> str:
    """Text that may have been decoded naively: a byte order mark (or its mangled form) at the start and NUL
    characters (UTF-16 read as an 8-bit encoding, or a file padded with NULs by a crash) removed."""
    if not text:
        return text
    for mark in _MANGLED_BOMS:
        if text.startswith(mark):
            text = text[len(mark):]
            break
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text


def meaningful_lines(text: str) -> list[str]:
    """The non-blank lines, stripped: what a parser must account for before it may say "nothing found"."""
    return [ln.strip() for ln in text.splitlines() if ln.strip()]
