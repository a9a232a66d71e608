"""The one place that builds Deskside's services from config.toml and the user's files, for the CLI
(`desktop/commands/*`, thin argparse adapters) and the GUI (`app.py`, `connection_worker.py`, `tickets_hub.py`,
`remote_diagnostics_gui.py`) alike:

* `new_connection()`: an SSH `Connection` with every setting: trust in ~/.ssh/known_hosts plus Deskside's own store,
  hashed host names where ssh_config says `HashKnownHosts yes`, the audit log, jump hosts resolved through the
  address book and ~/.ssh/config, default keys in ~/.ssh, ssh-agent, the system keyring, and "Remember passwords"
  (`[remote] save_secrets`).
* `ticket_service()`: the `TicketService` from `[backends.*]`, `[tickets]` and `[secrets]`.
* `run_diagnostics()`: a diagnostics run with the `[diagnostics]` settings and the collectors' cache (the update
  check's), of this machine or of a remote host.

The core packages are imported inside the functions that use them, so `deskside diagnose` never pays for paramiko,
httpx or keyring, and `deskside ssh` not for the collectors.
"""

from __future__ import annotations

import getpass
import json
import logging
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import paths, settings
from .paths import address_book_path, audit_log_path, known_hosts_store_path, ssh_config_path, ssh_dir

if TYPE_CHECKING:
    from diagnostics.cancel import CancelToken
    from diagnostics.host import Host
    from diagnostics.model import Report
    from diagnostics.runner import ProgressCallback
    from remote.auth import SecretStore as SshSecretStore
    from remote.connection import Connection
    from remote.hosts import AddressBook
    from tickets.secrets import SecretStore
    from tickets.service import TicketService

__all__ = [
    "address_book_path", "audit_log_path", "config_table", "diagnostics_options", "hash_known_hosts",
    "known_hosts_store_path", "load_address_book", "local_domains", "new_connection", "run_diagnostics",
    "save_secrets_setting", "secret_store", "ssh_config_path", "ssh_dir", "ticket_service",
]  # fmt: skip

log = logging.getLogger(__name__)


# -- SSH ------------------------------------------------------------------------------------------------------------
def load_address_book(*, spare_if_unreadable: bool = False) -> AddressBook:
    """The address book (hosts.toml). A file that cannot be read raises HostsError (the CLI says why), or with
    `spare_if_unreadable` is left alone (never overwritten) and an empty spare book is used (the GUI reports it)."""
    from remote.hosts import AddressBook

    try:
        return AddressBook(address_book_path()).load()
    except Exception as exc:
        if not spare_if_unreadable:
            raise
        log.error("%s", exc)
        return AddressBook(address_book_path().with_name("hosts.unreadable-fallback.toml"))


def known_hosts_files() -> list[Path]:
    """The files ssh reads by default (UserKnownHostsFile, GlobalKnownHostsFile); a host's ssh_config can name
    others (remote/handshake.py hop_store)."""
    from remote.options import DEFAULT_GLOBAL_KNOWN_HOSTS

    return [ssh_dir() / "known_hosts", ssh_dir() / "known_hosts2", *(Path(p) for p in DEFAULT_GLOBAL_KNOWN_HOSTS)]


def hash_known_hosts(alias: str) -> bool:
    """ssh_config's `HashKnownHosts` for the host as the user typed it (the alias, not its HostName): a key
    accepted for it is written hashed (|1|...)."""
    from remote.ssh_config import SshConfig

    values = SshConfig(ssh_config_path()).lookup(alias).get("hashknownhosts", ["no"])
    return values[0].strip().lower() == "yes"


def save_secrets_setting(config: dict[str, Any] | None = None) -> bool:
    """`[remote] save_secrets` ("Remember passwords" on the Remote page); false when config.toml cannot be read
    (the app reports that elsewhere)."""
    if config is None:
        try:
            config = settings.load()
        except settings.ConfigError as exc:
            log.error("%s", exc)
            return False
    table = config.get("remote", {})
    return isinstance(table, dict) and bool(table.get("save_secrets", False))


def new_connection(book: AddressBook | None = None, *, secrets: SshSecretStore | None = None,
                   use_agent: bool = True, save_secrets: bool | None = None) -> Connection:
    """A new, unconnected Connection with the files and settings every face of Deskside uses (the CLI, the Remote
    page, the GUI's remote diagnostics). `book` defaults to the address book (a spare one if it is unreadable),
    `secrets` to the system keyring, `save_secrets` to the `[remote] save_secrets` setting."""
    from remote.audit import AuditLog
    from remote.auth import KeyringSecrets
    from remote.connection import Connection
    from remote.hosts import resolve_target
    from remote.trust import HostKeyStore

    jump_book = book if book is not None else load_address_book(spare_if_unreadable=True)
    return Connection(
        HostKeyStore(list(known_hosts_files()), known_hosts_store_path(), hash_hostnames=hash_known_hosts),
        secrets=secrets if secrets is not None else KeyringSecrets(),
        audit=AuditLog(audit_log_path()),
        resolve_jump=lambda text: resolve_target(text, jump_book, ssh_config_path()),
        use_agent=use_agent,
        default_identity_dir=ssh_dir(),
        save_secrets=save_secrets_setting() if save_secrets is None else save_secrets,
    )


# -- tickets --------------------------------------------------------------------------------------------------------
def config_table(cfg: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    """`cfg[key]` as a table ({} when absent); a value of another shape is a ConfigError saying what to write."""
    from tickets.errors import ConfigError

    value = cfg.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table ({where} with key = value lines below it), not "
                          f"{key} = {value!r}; fix {paths.config_file()}")
    return value


def _words(table: dict[str, Any], key: str, where: str) -> list[str]:
    from tickets.errors import ConfigError

    value = table.get(key, [])
    if isinstance(value, str):
        raise ConfigError(f"{where} {key} must be a list: write {key} = [{json.dumps(value)}]")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} {key} must be a list of strings, e.g. {key} = [\"one\", \"two\"]")
    return value


def secret_store(config: dict[str, Any]) -> SecretStore:
    """The system keyring; a 0600 plaintext file only if the user asked ([secrets] plaintext_fallback = true)."""
    from tickets.errors import ConfigError
    from tickets.secrets import SecretStore

    scfg = config_table(config, "secrets", "[secrets]")
    fallback = scfg.get("plaintext_fallback", False)
    if not isinstance(fallback, bool):
        raise ConfigError("[secrets] plaintext_fallback must be true or false")
    return SecretStore(plaintext_file=paths.data_dir() / "secrets.json" if fallback else None)


def ticket_service(config: dict[str, Any] | None = None, secrets: SecretStore | None = None) -> TicketService:
    """The ticket service from config.toml ([backends.*], [tickets], [secrets]) and the data dir. Every wrongly
    shaped value is a ConfigError that says what to write instead."""
    from tickets.errors import ConfigError
    from tickets.service import TicketService

    cfg = settings.load() if config is None else config
    tcfg = config_table(cfg, "tickets", "[tickets]")
    backends = config_table(cfg, "backends", "[backends]")
    for name in backends:
        config_table(backends, name, f"[backends.{name}]")
    default = tcfg.get("backend")
    if default is not None and not isinstance(default, str):
        raise ConfigError("[tickets] backend must be the name of a [backends.NAME] table, e.g. backend = \"helpdesk\"")
    scale = tcfg.get("scale", 3)
    if scale not in (3, 5) or isinstance(scale, bool):
        raise ConfigError("[tickets] scale must be 3 or 5 (the size of the impact x urgency matrix)")
    redaction = config_table(tcfg, "redaction", "[tickets.redaction]")
    users = _words(redaction, "users", "[tickets.redaction]")
    extra_hosts = _words(redaction, "hosts", "[tickets.redaction]")
    keywords = _words(redaction, "keywords", "[tickets.redaction]")
    domains = _words(redaction, "domains", "[tickets.redaction]")
    # This machine's name; its DNS domains come from resolv.conf (local_domains), never from a DNS query.
    hosts = {socket.gethostname()} - {"localhost", ""}
    try:
        data_dir = paths.ensure(paths.data_dir())
    except OSError as exc:
        raise ConfigError(f"the data folder {paths.data_dir()} cannot be created ({exc.strerror or exc}); make it "
                          "writable or set DESKSIDE_DATA_DIR to a folder that is") from exc
    return TicketService(
        backends=backends,
        data_dir=data_dir,
        secrets=secrets if secrets is not None else secret_store(cfg),
        default_backend=default,
        sla=config_table(tcfg, "sla", "[tickets.sla]"),
        scale=int(scale),
        users=[getpass.getuser(), *users],
        hosts=[*hosts, *extra_hosts],
        keywords=keywords,
        domains=[*local_domains(), *domains],
    )


def local_domains(resolv_conf: Path = Path("/etc/resolv.conf")) -> list[str]:
    """This machine's own DNS domains (`domain` and `search` in resolv.conf): names in them are masked. Read from
    the file, not asked of DNS (socket.getfqdn() may send a query off the machine)."""
    out: list[str] = []
    try:
        text = resolv_conf.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return out
    for line in text.splitlines():
        parts = line.split("#", 1)[0].split()
        if parts and parts[0] in ("domain", "search"):
            out.extend(d.strip(".").lower() for d in parts[1:] if "." in d.strip("."))
    return out


# -- diagnostics ----------------------------------------------------------------------------------------------------
def diagnostics_options(config: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `[diagnostics]` table of config.toml: per-collector options such as `[diagnostics.logs] since_hours`."""
    if config is None:
        config = settings.load()
    opts = config.get("diagnostics", {})
    return dict(opts) if isinstance(opts, dict) else {}


def _cache_dir() -> Path | None:
    """Where collectors keep results between runs; None (no cache, every answer collected afresh) when it cannot be
    created, e.g. for an account whose home folder does not exist or is read-only. The cache only saves time."""
    try:
        return paths.ensure(paths.cache_dir() / "diagnostics")
    except OSError:
        return None


def run_diagnostics(
    only: list[str] | None = None,
    skip: list[str] | None = None,
    include_connectivity: bool = False,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
    host: Host | None = None,
    options: dict[str, Any] | None = None,
) -> Report:
    """Collect a report of `host` (this machine by default) with the `[diagnostics]` settings (read from config.toml
    unless `options` is given; settings.ConfigError when it cannot be read) and the collectors' cache. Raises
    ValueError for unknown collector names."""
    from diagnostics.cancel import CancelToken
    from diagnostics.collectors import CollectContext, select
    from diagnostics.host import LocalHost
    from diagnostics.runner import run_collectors

    collectors = select(only=only, skip=skip, include_optional=include_connectivity)
    ctx = CollectContext(
        host=host or LocalHost(),
        cancel=cancel or CancelToken(),
        options=diagnostics_options() if options is None else options,
        cache_dir=_cache_dir(),
    )
    if host is not None and not host.is_local:
        ctx.is_admin = bool(getattr(host, "is_admin", False))  # the remote login's rights, not ours
    return run_collectors(collectors, ctx, progress=progress)


# -- fleet ----------------------------------------------------------------------------------------------------------
def compliance_policy() -> Any:
    """The policy `deskside scan` and the Compliance page use when none is given: `[compliance] policy` of the
    merged config (a policy file, relative to the config file that names it, or the policy inline with
    `[compliance.groups.NAME]`), else the built-in one. fleet.policy.PolicyError or settings.ConfigError."""
    from fleet import policy as pol

    from . import config_layers

    layered = config_layers.load()
    settings.report(layered.notices)
    value, groups = layered.value("compliance.policy"), layered.value("compliance.groups")
    if value is None and groups is None:
        return pol.DEFAULT
    origin = layered.system_path if layered.source("compliance") == "system" else layered.user_path
    if isinstance(value, str):
        path = Path(value).expanduser()
        return pol.load(path if path.is_absolute() else origin.parent / path)
    inline = {"policy": value or {}, "groups": groups or {}}
    return pol.from_data(inline, f"[compliance] in {origin}")


def fleet_history_path() -> Path:
    return paths.data_dir() / "scan-history.sqlite"


def fleet_apt_answers(reuse: bool = True) -> Any:
    """`fleet.apt_answers.AptAnswers` in the cache folder (None inside it when the folder cannot be made: every
    host then runs apt, which only costs time)."""
    from fleet.apt_answers import AptAnswers

    try:
        folder: Path | None = paths.ensure(paths.cache_dir() / "scan-apt-answers")
    except OSError:
        folder = None
    return AptAnswers(folder, reuse=reuse)


def fleet_connector(accept_new: bool = False, connect_timeout: float = 20.0) -> Any:
    """`fleet.scan.Connect` over SSH with every setting of `new_connection()`; never asks (see fleet_hosts)."""
    from .fleet_hosts import SshConnector

    book = load_address_book(spare_if_unreadable=True)
    return SshConnector(lambda: new_connection(book), book, ssh_config_path(), accept_new=accept_new,
                        connect_timeout=connect_timeout)


def fleet_ansible_engine(accept_new: bool = False, connect_timeout: float = 20.0) -> Any:
    """`deskside scan --engine ansible`: ansible-playbook with the same trust files as our SSH client (Deskside's
    store first, where --accept-new writes, then ~/.ssh/known_hosts) and the same remote PATH and locale."""
    from fleet.ansible_engine import AnsibleEngine

    from .remote_host import REMOTE_ENV

    store = known_hosts_store_path()
    store.parent.mkdir(parents=True, exist_ok=True)
    return AnsibleEngine(known_hosts=[store, ssh_dir() / "known_hosts"], accept_new=accept_new,
                         connect_timeout=connect_timeout, remote_env=dict(REMOTE_ENV))


def fleet_inventory(inventory: Path | None = None, *, use_ansible: bool = True) -> list[Any]:
    """The hosts to scan: an inventory file (Ansible INI/YAML, CSV; `ansible-inventory --list` is the truth where it
    is installed and `use_ansible`), else the address book and ~/.ssh/config's aliases."""
    from fleet import ansible_inventory
    from fleet import inventory as inv

    from .fleet_hosts import address_book_inventory, ssh_config_inventory

    if inventory is not None:
        if use_ansible and inventory.suffix.lower() != ".csv" and ansible_inventory.ansible_inventory_available():
            inv.load(inventory)  # our own reader first: its errors name the line, Ansible's often do not
            return ansible_inventory.run_ansible_inventory(inventory)
        return inv.load(inventory)
    hosts = address_book_inventory(load_address_book())
    names = {h.name for h in hosts}
    return hosts + [h for h in ssh_config_inventory(ssh_config_path()) if h.name not in names]
