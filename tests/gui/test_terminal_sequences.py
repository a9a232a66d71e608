"""Sequences pyte 0.8.2 lacks, as a user of htop, ncdu, mc, vim or a chat log would notice them."""

from __future__ import annotations

from ui.terminal.screen import TerminalEmulator


def emulate(data: bytes, columns: int = 20, lines: int = 4) -> tuple[TerminalEmulator, list[str]]:
    emulator = TerminalEmulator(columns, lines)
    replies: list[str] = []
    emulator.screen.reply = replies.append
    emulator.feed(data)
    return emulator, replies


def rows(emulator: TerminalEmulator) -> list[str]:
    return [line.rstrip() for line in emulator.screen.screen_text()]


def test_text_after_emoji_variation_selector_and_zwj_is_kept() -> None:
    emulator, _ = emulate("⚠️ disk full on /var\r\n👩‍💻 ok".encode(), columns=30)
    assert rows(emulator)[0] == "⚠️ disk full on /var"
    assert rows(emulator)[1].endswith(" ok")


def test_scroll_up_and_down_move_the_scrolling_region() -> None:
    emulator, _ = emulate(b"a\r\nb\r\nc\r\nd\x1b[2;4r\x1b[1S")
    assert rows(emulator) == ["a", "c", "d", ""]
    emulator.feed(b"\x1b[2T")
    assert rows(emulator) == ["a", "", "", "c"]


def test_repeat_last_character() -> None:
    emulator, _ = emulate(b"Up\x1b[3bx-\x1b[4b")
    assert rows(emulator)[0] == "Uppppx-----"


def test_dec_line_drawing_in_utf8() -> None:
    emulator, _ = emulate(b"\x1b(0lqqk\x1b(B x \x0e\x1b)0x\x0f x")
    assert rows(emulator)[0] == "┌──┐ x │ x"


def test_colon_sgr_is_colour_not_text() -> None:
    emulator, _ = emulate(b"\x1b[38:2::255:128:0mA\x1b[4:3mB\x1b[4:0;48:5:21mC")
    line = emulator.screen.line(0)
    assert rows(emulator)[0] == "ABC"
    assert line[0].fg == "ff8000"
    assert line[1].underscore and not line[2].underscore
    assert line[2].bg == "0000ff"


def test_colour_queries_and_secondary_da_answered_as_xterm() -> None:
    _, replies = emulate(b"\x1b]10;?\x07\x1b]11;?\x1b\\\x1b[>c\x1b[c")
    assert replies == [
        "\x1b]10;rgb:d4d4/d4d4/d4d4\x07",
        "\x1b]11;rgb:1e1e/1e1e/1e1e\x1b\\",
        "\x1b[>41;380;0c",
        "\x1b[?62;22c",
    ]


def test_unknown_strings_and_sequences_are_not_drawn() -> None:
    emulator, _ = emulate(b"a\x1bP+q544e\x1b\\b\x1b_apc\x1b\\c\x1b[?1$pd\x1b[2 qe\x1b[>4;2mf\x1b]52;c;eA==\x07g")
    assert rows(emulator)[0] == "abcdefg"


def test_dim_and_double_underline_are_kept_per_cell() -> None:
    emulator, _ = emulate(b"\x1b[2ma\x1b[21mb\x1b[22mc\x1b[24md\x1b[4:2me\x1b[0mf\x1b[38;2;1;2;3;58;5;9mg")
    line = emulator.screen.line(0)
    dims = [getattr(line[x], "dim", False) for x in range(7)]
    doubles = [getattr(line[x], "underline2", False) for x in range(7)]
    assert dims == [True, True, False, False, False, False, False]
    assert doubles == [False, True, True, False, True, False, False]
    assert line[6].fg == "010203" and not line[6].blink  # 58;5;9 (underline colour) is not read as blink
    assert rows(emulator)[0] == "abcdefg"
