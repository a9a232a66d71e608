"""One SSH channel request ("exec", "env", ...) that wants the server's answer, sent the way paramiko's own
`exec_command` and `get_pty` send theirs (its internal `_event_pending`, `_send_user_message`, `_wait_for_event`,
which are not in its type stubs).

Why not paramiko's public methods: `set_environment_variable` does not ask for the answer, so a refused variable
goes unnoticed; `exec_command` always waits for the answer before the output can be read, which costs a round trip
that OpenSSH does not spend. Both needs are the same message with a different `wait`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import paramiko


def send_channel_request(chan: paramiko.Channel, kind: str, *strings: str, wait: bool) -> None:
    """Send the request `kind` with its string arguments, asking for an answer. With `wait`, return once the answer
    came (a refusal raises as paramiko's own requests do); without, return at once: a refusal then closes the
    channel, which the caller's read loop sees."""
    from paramiko.common import cMSG_CHANNEL_REQUEST
    from paramiko.message import Message

    m = Message()
    m.add_byte(cMSG_CHANNEL_REQUEST)
    m.add_int(chan.remote_chanid)
    m.add_string(kind)
    m.add_boolean(True)
    for s in strings:
        m.add_string(s)
    raw: Any = chan
    raw._event_pending()
    raw.transport._send_user_message(m)
    if wait:
        raw._wait_for_event()
