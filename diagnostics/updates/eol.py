"""OS end of life: distro id + version -> the dates its security support ends.

Debian and Ubuntu come from `/usr/share/distro-info/{debian,ubuntu}.csv` when the host has them (package
distro-info-data, kept current by the distribution), everything else from `diagnostics/data/eol.csv` shipped with
Deskside.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from functools import lru_cache
from pathlib import Path

from common.text import clean_text

from ..host import Host, decode
from .posture import EolStatus

DISTRO_INFO_DIR = "/usr/share/distro-info"
TABLE = Path(__file__).resolve().parent.parent / "data" / "eol.csv"
FREE_EXTENDED = {"LTS"}  # Debian LTS: free, from the same security archive
WARN_DAYS = 90

# os-release IDs that share a table row with another id
ALIASES = {"sled": "sles", "sles_sap": "sles", "opensuse": "opensuse-leap", "redhat": "rhel", "alma": "almalinux"}


def parse_os_release(text: str) -> dict[str, str]:
    text = clean_text(text)
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            out[key] = value.strip().strip("\"'")
    return out


@lru_cache(maxsize=4)
def _shipped_table(path: str) -> dict[tuple[str, str], dict[str, str]]:
    text = Path(path).read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#"))
    return {(r["os_id"], r["version"]): r for r in rows}


def parse_distro_info(text: str, os_id: str) -> dict[str, dict[str, str]]:
    """distro-info CSV -> {version: {name, eol, extended_eol, extended_kind}}. Ubuntu versions lose " LTS"."""
    text = clean_text(text)
    out: dict[str, dict[str, str]] = {}
    for r in csv.DictReader(io.StringIO(text)):
        version = (r.get("version") or "").replace(" LTS", "").strip()
        if not version or not r.get("eol"):
            continue
        if os_id == "debian":
            ext, kind = r.get("eol-lts") or "", "LTS"
            name = f"Debian {version} ({r.get('series', '')})"
        else:
            ext, kind = r.get("eol-esm") or "", "ESM"
            name = f"Ubuntu {r.get('version', version)} ({r.get('codename', '')})"
        out[version] = {"name": name, "eol": r["eol"], "extended_eol": ext, "extended_kind": kind if ext else "",
                        "note": ""}
    return out


def candidates(os_id: str, version: str) -> list[str]:
    """Table keys to try, most specific first: `11-23H2`, `11`; `9.3` -> `9.3`, `9`; Alpine `3.19.1` -> `3.19`."""
    keys = [version]
    if "-" in version:
        keys.append(version.split("-", 1)[0])
    parts = version.split(".")
    if len(parts) > 2:
        keys.append(".".join(parts[:2]))  # Alpine 3.19.1, macOS 10.15.7
    minor_matters = os_id in ("ubuntu", "alpine", "opensuse-leap", "sles") or (os_id == "macos" and parts[0] == "10")
    if len(parts) > 1 and not minor_matters:
        keys.append(parts[0])  # RHEL 9.3 -> 9, macOS 14.4.1 -> 14
    seen: list[str] = []
    for k in keys:
        if k not in seen:
            seen.append(k)
    return seen


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def lookup(
    os_id: str | None, version: str | None, today: dt.date | None = None, *, host: Host | None = None,
    distro_info_dir: str = DISTRO_INFO_DIR, table: Path = TABLE, name: str | None = None,
) -> EolStatus:
    st = EolStatus(os_id=os_id, version=version, name=name)
    if not os_id or not version:
        st.note = "the OS does not give a version (a rolling or testing release?)"
        return st
    os_id = ALIASES.get(os_id, os_id)
    today = today or dt.date.today()
    row: dict[str, str] | None = None
    if os_id in ("debian", "ubuntu") and host is not None:
        data = host.read_file(f"{distro_info_dir}/{os_id}.csv", max_bytes=1 << 20)
        if data:
            info = parse_distro_info(decode(data), os_id)
            row = next((info[k] for k in candidates(os_id, version) if k in info), None)
            if row is not None:
                st.source = "distro-info"
    if row is None:
        shipped = _shipped_table(str(table))
        row = next((shipped[(os_id, k)] for k in candidates(os_id, version) if (os_id, k) in shipped), None)
        if row is not None:
            st.source = "deskside table"
    if row is None:
        st.note = f"no end-of-life data for {os_id} {version}"
        return st
    st.name = name or row.get("name") or None
    st.eol = row.get("eol") or None
    st.extended_eol = row.get("extended_eol") or None
    st.extended_kind = row.get("extended_kind") or None
    st.extended_free = st.extended_kind in FREE_EXTENDED
    st.note = row.get("note") or None
    eol, ext = _date(st.eol), _date(st.extended_eol)
    if eol is None:
        return st  # not announced: state stays "unknown"
    st.days_left = (eol - today).days
    if ext is not None:
        st.extended_days_left = (ext - today).days
    if st.days_left >= 0:
        st.state = "supported"
    elif ext is not None and st.extended_days_left is not None and st.extended_days_left >= 0:
        st.state = "extended"
    else:
        st.state = "ended"
    return st
