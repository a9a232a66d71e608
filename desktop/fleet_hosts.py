"""Where the fleet meets SSH: the inventory's hosts become address-book profiles and `SshHost`s for a scan, and the
address book and ~/.ssh/config become inventory hosts. `fleet` never imports `remote`; this module joins them.

A scan never asks anything: an unknown host key is refused unless --accept-new, a changed key always; a login that
needs a password or a code fails with what to do (a key, ssh-agent, or the password stored in the keyring).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from common.cancel import Cancelled, CancelToken
from fleet.inventory import InventoryHost
from fleet.scan import HostUnavailable


class ScanCallbacks:
    """remote.auth.AuthCallbacks for unattended scans: trusts a new key only with --accept-new, never asks."""

    def __init__(self, accept_new: bool) -> None:
        self.accept_new = accept_new
        self.accepted: list[str] = []

    def confirm_host_key(self, hostname: str, port: int, key_type: str, fingerprint: str) -> bool:
        if self.accept_new:
            self.accepted.append(f"{hostname}:{port} {key_type} {fingerprint}")
        return self.accept_new

    def ask_password(self, prompt: str) -> str | None:
        return None

    def ask_passphrase(self, key_path: str) -> str | None:
        return None

    def keyboard_interactive(self, title: str, instructions: str, prompts: list[tuple[str, bool]]) -> list[str] | None:
        return None


def profile_for(inv: InventoryHost, book: Any, ssh_config: Path) -> Any:
    """The address-book profile to connect to `inv`: the address book or ~/.ssh/config entry of that name (as
    `ssh NAME` would), with what the inventory says on top (ansible_host, port, user, key)."""
    from remote.hosts import resolve_target

    profile = resolve_target(inv.address, book, ssh_config)
    if inv.port:
        profile.port = inv.port
    if inv.user:
        profile.user = inv.user
    if inv.identity_file:
        profile.identity_files = [str(Path(inv.identity_file).expanduser()), *profile.identity_files]
    profile.name = inv.name
    return profile


def _reason(exc: BaseException, accept_new: bool) -> str:
    """A connection failure in the words a scan report shows for the host."""
    from remote.auth import AuthCancelled, AuthError
    from remote.trust import HostKeyChanged, UnknownHostKey

    if isinstance(exc, UnknownHostKey):
        return f"{exc} Scans never trust a new key silently: check it, then scan with --accept-new (or connect once " \
               "with deskside ssh)"
    if isinstance(exc, HostKeyChanged):
        return str(exc)
    if isinstance(exc, AuthCancelled):
        tried = "; ".join(getattr(exc, "tried", []) or []) or "nothing usable"
        return (f"login needs a password or a one-time code, and a scan never asks (tried: {tried}); use a key or "
                "ssh-agent, or store the password in the keyring with deskside ssh --save-secrets")
    if isinstance(exc, AuthError):
        return f"login failed: {exc}"
    return str(exc) or type(exc).__name__


class SshConnector:
    """`fleet.scan.Connect` over SSH: `with connector(inv, cancel) as host:` gives a `diagnostics.host.Host`."""

    def __init__(self, new_connection: Callable[[], Any], book: Any, ssh_config: Path, accept_new: bool = False,
                 connect_timeout: float = 20.0) -> None:
        self._new = new_connection
        self._book = book
        self._ssh_config = ssh_config
        self.accept_new = accept_new
        self.connect_timeout = connect_timeout

    @contextlib.contextmanager
    def __call__(self, inv: InventoryHost, cancel: CancelToken) -> Iterator[Any]:
        from remote.cancel import Cancelled as RemoteCancelled
        from remote.hosts import HostsError

        from .remote_host import RemoteHostError, SshHost

        try:
            profile = profile_for(inv, self._book, self._ssh_config)
        except HostsError as exc:
            raise HostUnavailable(f"{exc}") from None
        conn = self._new()
        try:
            try:
                conn.connect(profile, ScanCallbacks(self.accept_new), timeout=self.connect_timeout, cancel=cancel)
                host = SshHost(conn, cancel=cancel, probe=False)  # the posture script answers the probe
            except (RemoteCancelled, Cancelled):
                raise Cancelled("cancelled") from None
            except RemoteHostError as exc:
                raise HostUnavailable(str(exc)) from None
            except Exception as exc:
                raise HostUnavailable(_reason(exc, self.accept_new)) from None
            yield host
        finally:
            conn.close()


def address_book_inventory(book: Any) -> list[InventoryHost]:
    """The address book's hosts as inventory hosts (its groups and tags are groups)."""
    out = []
    for p in book.all():
        groups = sorted({g for g in [p.group, *p.tags] if g})
        out.append(InventoryHost(name=p.name, hostname=p.name, groups=groups, source="address book"))
    return out


def ssh_config_inventory(path: Path) -> list[InventoryHost]:
    """~/.ssh/config's concrete aliases (no wildcards) as inventory hosts in the group `ssh_config`."""
    from remote.hosts import import_ssh_config

    if not path.is_file():
        return []
    profiles, _notes = import_ssh_config(path)
    return [InventoryHost(name=p.name, hostname=p.name, groups=["ssh_config"], source=f"{path}") for p in profiles]
