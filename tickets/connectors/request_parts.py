"""Parts connectors put into their requests: the Basic authorization header, and the bundle as inline text for
backends that take no attachments."""

from __future__ import annotations

from ..model import Ticket


def basic_auth(user: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def inline_bundle_text(ticket: Ticket, limit: int) -> str:
    """The readable parts of the attached bundle(s) as Markdown, for backends without attachments; cut to `limit`
    characters with a note saying so."""
    import io
    import zipfile

    out: list[str] = []
    for a in ticket.attachments:
        if not a.filename.endswith(".zip"):
            continue
        try:
            zf = zipfile.ZipFile(io.BytesIO(a.data))
        except zipfile.BadZipFile:
            continue
        with zf:
            for name in zf.namelist():
                if name.endswith((".json", ".txt")) and name not in ("README.txt", "ticket.txt"):
                    text = zf.read(name).decode("utf-8", errors="replace")
                    fence = "~~~~" if "```" in text else "```"
                    out.append(f"<details><summary>{name}</summary>\n\n{fence}\n{text}\n{fence}\n\n</details>")
    joined = "\n\n".join(out)
    if len(joined) > limit:
        note = "\n\n(cut here: the full bundle is kept on the user's machine)"
        joined = joined[: max(0, limit - len(note))] + note
    return joined
