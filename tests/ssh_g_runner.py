"""Run `ssh -G` and Deskside's resolver side by side inside a private network namespace (run me under
`unshare -n -m`): only loopback exists there, /etc/resolv.conf points at a small DNS server on 127.0.0.1 that knows
the corpus' names (so CanonicalizeHostname has something to find) and nothing leaves the machine.

Input (JSON on stdin): {"home": dir, "zone": {name: address or "CNAME target"}, "cases": [[file, target], ...]}.
Output (JSON on stdout): one {"file", "target", "ssh": {key: [values]} | {"error": text}, "ours": ...} per case.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from typing import Any


def _name(data: bytes, off: int) -> tuple[str, int]:
    labels = []
    while data[off]:
        n = data[off]
        labels.append(data[off + 1: off + 1 + n].decode())
        off += 1 + n
    return ".".join(labels), off + 1


def _encode(name: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"


def answer(query: bytes, zone: dict[str, str]) -> bytes:
    qid, _flags, _qd = struct.unpack("!HHH", query[:6])
    qname, end = _name(query, 12)
    qtype = struct.unpack("!H", query[end:end + 2])[0]
    question = query[12:end + 4]
    records, name, rcode = [], qname.lower(), 3
    for _ in range(8):
        target = zone.get(name)
        if target is None:
            break
        rcode = 0
        if target.startswith("CNAME "):
            cname = target.split(" ", 1)[1]
            records.append(_encode(name) + struct.pack("!HHIH", 5, 1, 60, len(_encode(cname))) + _encode(cname))
            name = cname.lower()
            continue
        if qtype == 1:
            records.append(_encode(name) + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(target))
        break
    header = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, len(records), 0, 0)
    return header + question + b"".join(records)


def serve(zone: dict[str, str]) -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 53))

    def loop() -> None:
        while True:
            data, addr = s.recvfrom(4096)
            try:
                s.sendto(answer(data, zone), addr)
            except (IndexError, struct.error, UnicodeDecodeError):
                continue

    threading.Thread(target=loop, daemon=True).start()


def ssh_g(path: str, target: str, env: dict[str, str]) -> dict[str, Any]:
    r = subprocess.run(["ssh", "-G", "-F", path, target], capture_output=True, text=True, env=env,
                       stdin=subprocess.DEVNULL, check=False)
    if r.returncode != 0:
        return {"error": r.stderr.strip()}
    out: dict[str, list[str]] = {}
    for line in r.stdout.splitlines():
        key, _, value = line.partition(" ")
        out.setdefault(key, []).append(value)
    return out


def ours(path: str, target: str) -> dict[str, Any]:
    from remote.ssh_config import SshConfig

    user, _, host = target.rpartition("@")
    cfg = SshConfig(path, allow_exec=True)
    got = cfg.lookup(host, user=user or None)
    return {"values": got, "notes": cfg.not_honoured}


def main() -> int:
    job = json.load(sys.stdin)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    resolv = tempfile.NamedTemporaryFile("w", suffix=".resolv", delete=False)
    resolv.write("nameserver 127.0.0.1\noptions attempts:1 timeout:2\n")
    resolv.close()
    subprocess.run(["mount", "--bind", resolv.name, "/etc/resolv.conf"], check=True)
    serve({k.lower(): v for k, v in job["zone"].items()})
    env = dict(os.environ, HOME=job["home"])
    os.environ["HOME"] = job["home"]
    results = []
    for path, target in job["cases"]:
        results.append({"file": path, "target": target, "home": job["home"], "ssh": ssh_g(path, target, env),
                        "ours": ours(path, target)})
    json.dump(results, sys.stdout)
    os.unlink(resolv.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
