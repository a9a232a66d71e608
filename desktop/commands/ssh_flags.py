"""The connection flags shared by `deskside ssh`, `sftp`, `forward` and `diagnose --host` (one definition, so the
commands cannot drift apart). No SSH module is imported here: a local `diagnose` never pays for paramiko."""

from __future__ import annotations

import argparse
from typing import Any


def add_connect_flags(p: argparse.ArgumentParser | Any) -> None:
    """Add the flags to a parser or an argument group."""
    p.add_argument("-i", dest="identity", action="append", default=[], metavar="KEY", help="private key file")
    p.add_argument("-J", dest="jump", metavar="JUMPS", help="jump hosts, comma separated (like ssh -J)")
    p.add_argument("--accept-new", action="store_true",
                   help="trust an unknown host key without asking (a CHANGED key is still refused)")
    p.add_argument("--no-agent", action="store_true", help="do not use ssh-agent")
    p.add_argument("--save-secrets", action="store_true",
                   help="save a password or key passphrase that worked in the system keyring")
    p.add_argument("--connect-timeout", type=float, default=20.0, metavar="S", help="seconds (default 20)")
    p.add_argument("--keepalive", type=int, metavar="S",
                   help="keepalive interval in seconds; the connection is declared lost after 3 unanswered")
    p.add_argument("--batch", action="store_true",
                   help="never ask anything (host key, password, passphrase, code): fail instead (BatchMode yes)")
    p.add_argument("--ssh-option", dest="ssh_option", action="append", default=[], metavar="OPTION",
                   help="an ssh_config line for this connection (like ssh -o), e.g. 'Ciphers +aes128-cbc' or "
                        "StrictHostKeyChecking=yes (Deskside honours the keywords listed in the docs)")
