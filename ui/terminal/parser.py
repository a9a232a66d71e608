"""The byte stream parser in front of the screen: pyte's state machine, extended to what ncurses programs send today.

Beyond pyte 0.8.2 it reads CSI prefixes (`?`, `>`, `=`, `<`) and intermediates (`CSI ! p`, `CSI SP q`, `CSI ? n $ p`),
colon sub-parameters (`38:2::r:g:b`, `4:3`), the DEC character sets (`ESC ( 0`, SO/SI) even in UTF-8, multi-digit OSC
codes (10/11 colour queries) and swallows DCS/APC/PM/SOS strings instead of printing them. A sequence it does not
know is dropped (never drawn as text). Qt-free."""

from __future__ import annotations

from typing import Any

import pyte
from pyte import control as ctrl

_PREFIXES = "?>=<"
_ALLOWED_IN_CSI = ctrl.BEL + ctrl.BS + ctrl.HT + ctrl.LF + ctrl.VT + ctrl.FF + ctrl.CR
_CAN_OR_SUB = ctrl.CAN + ctrl.SUB
_STRING_STARTS = "P_^X"  # DCS, APC, PM, SOS: a string up to ST that nothing here uses
_UNDERLINE_STYLES = {0: 24, 1: 4, 2: 21, 3: 4, 4: 4, 5: 4}  # 4:N -> none, single, double, curly/dotted/dashed


def sgr_params(groups: list[list[int | None]]) -> list[int]:
    """Colon groups of an SGR as the equivalent semicolon parameters: 38:2::r:g:b and 38:2:r:g:b -> 38;2;r;g;b,
    38:5:n -> 38;5;n, 4:N -> the underline style (double = 21), 58 (underline colour) dropped."""
    out: list[int] = []
    for g in groups:
        head = g[0] or 0
        if len(g) == 1:
            out.append(head)
        elif head in (38, 48):
            sub = [v or 0 for v in g[1:]]
            if sub and sub[0] == 2:
                rgb = sub[-3:] if len(sub) >= 4 else [*sub[1:], 0, 0, 0][:3]
                out += [head, 2, *rgb]
            elif sub and sub[0] == 5 and len(sub) >= 2:
                out += [head, 5, sub[1]]
        elif head == 4:
            out.append(_UNDERLINE_STYLES.get(g[1] or 0, 4))
        # 58:... (underline colour) and unknown colon forms: nothing drawable
    return out


class ExtendedByteStream(pyte.ByteStream):
    """pyte.ByteStream with the extended state machine. A handler that fails drops its sequence, not the output."""

    def _send_to_parser(self, data: str) -> bool | None:
        try:
            return super()._send_to_parser(data)
        except Exception:  # pyte reset its parser; carry on with the next character
            return self._taking_plain_text

    def _parser_fsm(self) -> Any:  # one state machine, in one piece for speed (as pyte's)
        listener: Any = self.listener
        basic = self.basic
        draw = listener.draw
        basic_dispatch = {ch: getattr(listener, name) for ch, name in basic.items()}
        escape_dispatch = {ch: getattr(listener, name) for ch, name in self.escape.items()}
        sharp_dispatch = {ch: getattr(listener, name) for ch, name in self.sharp.items()}
        csi_names = dict(self.csi)
        csi_names.update({"S": "scroll_up", "T": "scroll_down", "b": "repeat_last", "@": "insert_characters"})
        csi_dispatch = {ch: getattr(listener, name) for ch, name in csi_names.items() if hasattr(listener, name)}
        ESC, CSI_C1, OSC_C1 = ctrl.ESC, ctrl.CSI_C1, ctrl.OSC_C1

        while True:
            char = yield True
            if char == ESC:
                char = yield None
                if char == "[":
                    char = CSI_C1
                elif char == "]":
                    char = OSC_C1
                elif char in _STRING_STARTS:
                    while True:  # skip to ST (ESC \) or BEL
                        c = yield None
                        if c == ESC:
                            c = yield None
                            if c == "\\":
                                break
                        elif c == ctrl.BEL or c == ctrl.ST_C1:
                            break
                    continue
                else:
                    if char == "#":
                        fn = sharp_dispatch.get((yield None))
                        if fn is not None:
                            fn()
                    elif char == "%":
                        yield None  # select UTF-8 / Latin-1: input is always UTF-8 here
                    elif char in "()*+":
                        code = yield None
                        if char in "()":
                            listener.define_charset(code, mode=char)
                    elif char == " ":
                        yield None  # ESC SP F/G (7/8-bit controls)
                    else:
                        fn = escape_dispatch.get(char)
                        if fn is not None:
                            fn()
                    continue

            if char in basic:
                basic_dispatch[char]()
            elif char == CSI_C1:
                groups: list[list[int | None]] = []
                group: list[int | None] = []
                current = ""
                prefix = ""
                inter = ""
                while True:
                    char = yield None
                    if char.isdigit():
                        current += char
                    elif char == ";" or char == ":":
                        group.append(min(int(current), 9999) if current else None)
                        current = ""
                        if char == ";":
                            groups.append(group)
                            group = []
                    elif char in _PREFIXES and not groups and not group and not current:
                        prefix = char
                    elif char in _ALLOWED_IN_CSI:
                        basic_dispatch[char]()
                    elif char in _CAN_OR_SUB:
                        draw(char)
                        break
                    elif " " <= char <= "/":
                        inter += char
                    elif "@" <= char <= "~":
                        group.append(min(int(current), 9999) if current else None)
                        groups.append(group)
                        self._dispatch_csi(listener, csi_dispatch, prefix, inter, char, groups)
                        break
                    else:
                        break  # not a valid CSI sequence: dropped
            elif char == OSC_C1:
                param = ""
                while True:
                    char = yield None
                    if char == ESC:
                        nxt = yield None
                        if nxt == "\\":
                            terminator = ESC + "\\"
                            break
                        param += char + nxt
                    elif char == ctrl.BEL or char == ctrl.ST_C1:
                        terminator = char
                        break
                    else:
                        param += char
                code, _, text = param.partition(";")
                if code in ("0", "1", "2"):
                    if code in "01":
                        listener.set_icon_name(text)
                    if code in "02":
                        listener.set_title(text)
                elif hasattr(listener, "operating_system_command"):
                    listener.operating_system_command(code, text, terminator)
            elif char not in ctrl.NUL + ctrl.DEL:
                draw(char)

    @staticmethod
    def _dispatch_csi(
        listener: Any, dispatch: dict[str, Any], prefix: str, inter: str, final: str, groups: list[list[int | None]]
    ) -> None:
        if inter:
            if inter == "!" and final == "p" and hasattr(listener, "soft_reset"):
                listener.soft_reset()
            return  # cursor style, DECRQM... nothing to show
        if final == "m" and not prefix:
            listener.select_graphic_rendition(*sgr_params(groups))
            return
        params = [(g[0] or 0) for g in groups]
        if prefix == ">":
            if final == "c" and hasattr(listener, "report_secondary_device_attributes"):
                listener.report_secondary_device_attributes()
            return  # CSI > m (modifyOtherKeys), CSI > T (title modes)...: nothing to show
        if prefix in "=<" and prefix:
            return
        fn = dispatch.get(final)
        if fn is None:
            return
        if prefix == "?":
            fn(*params, private=True)
        else:
            fn(*params)
