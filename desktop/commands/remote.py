"""`deskside hosts`, `deskside ssh`, `deskside sftp`, `deskside forward`: the SSH core on the command line.
(Long because: the four commands share the connect options, the error-to-exit-code mapping and the terminal side.)

HOST is an address-book name, an ~/.ssh/config alias, or [user@]host[:port], as for `ssh`.

Exit codes: `ssh HOST -- COMMAND` returns the remote command's exit status; 0 success; 1 a transfer or forward
failed; 2 bad usage or an unknown host name; 124 a command timed out; 130 interrupted (Ctrl-C); 141 the reader of
the output went away (`| head`); 255 the connection, the host key check or the login failed (as `ssh` does).
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import select
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

from common.terminal import shown
from desktop.wiring import load_address_book, new_connection, ssh_config_path
from remote.auth import AuthCancelled, AuthError
from remote.cancel import Cancelled
from remote.hosts import AddressBook, HostProfile, HostsError, import_ssh_config, parse_target, resolve_target
from remote.trust import TrustError, UnknownHostKey

from .ssh_flags import add_connect_flags

EXIT_FAIL = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 124
EXIT_INTERRUPTED = 130
EXIT_SSH = 255
EXIT_SIGPIPE = 141  # 128 + SIGPIPE, what a shell reports for a program whose output pipe closed


def err(msg: str) -> None:
    print(f"deskside: {shown(msg)}", file=sys.stderr)


def read_line() -> str:
    """One line from stdin, read byte by byte so that nothing typed ahead is swallowed by a buffer (it belongs to
    the remote shell that follows)."""
    out = bytearray()
    while True:
        b = os.read(sys.stdin.fileno(), 1)
        if not b or b == b"\n":
            return out.decode(errors="replace").rstrip("\r")
        out += b


def openssh_key_label(key_type: str) -> str:
    """The key type as `ssh` names it in "ED25519 key fingerprint is ...": ED25519, RSA, ECDSA, DSA, ED25519-SK..."""
    labels = {"ssh-ed25519": "ED25519", "ssh-rsa": "RSA", "ssh-dss": "DSA",
              "sk-ssh-ed25519@openssh.com": "ED25519-SK", "sk-ecdsa-sha2-nistp256@openssh.com": "ECDSA-SK"}
    if key_type.startswith("ecdsa-sha2-"):
        return "ECDSA"
    return labels.get(key_type, key_type.replace("ssh-", "").upper())


# -- the terminal as AuthCallbacks --------------------------------------------------------------------------
class TerminalCallbacks:
    """Asks on the terminal. Without a terminal: never trusts a new key (unless --accept-new), asks no secret."""

    def __init__(self, accept_new: bool = False) -> None:
        self.accept_new = accept_new
        self.interactive = sys.stdin.isatty()

    def confirm_host_key(self, hostname: str, port: int, key_type: str, fingerprint: str) -> bool:
        where = hostname if port == 22 else f"[{hostname}]:{port}"
        algo = openssh_key_label(key_type)
        if self.accept_new:
            print(f"Warning: permanently added {where} ({algo} {fingerprint}) to the list of known hosts "
                  "(--accept-new).", file=sys.stderr)
            return True
        if not self.interactive:
            return False  # the UnknownHostKey error that follows shows the fingerprint and says what to do
        print(f"The authenticity of host '{where}' can't be established.\n{algo} key fingerprint is {fingerprint}.",
              file=sys.stderr)
        while True:
            print("Are you sure you want to continue connecting (yes/no)? ", end="", file=sys.stderr, flush=True)
            answer = read_line().strip().lower()
            if answer in ("yes", "no", ""):
                return answer == "yes"
            print("Please type 'yes' or 'no'.", file=sys.stderr)

    def ask_password(self, prompt: str) -> str | None:
        if not self.interactive:
            return None
        try:
            return getpass.getpass(prompt)
        except EOFError:
            return None

    def ask_passphrase(self, key_path: str) -> str | None:
        if not self.interactive:
            return None
        try:
            return getpass.getpass(f"Enter passphrase for key '{key_path}': ")
        except EOFError:
            return None

    def keyboard_interactive(self, title: str, instructions: str, prompts: list[tuple[str, bool]]) -> list[str] | None:
        if not self.interactive:
            return None
        if title.strip():
            print(shown(title.strip()), file=sys.stderr)
        if instructions.strip():
            print(shown(instructions.strip()), file=sys.stderr)
        answers = []
        try:
            for prompt, echo in prompts:
                if echo:
                    print(shown(prompt, one_line=True), end="", file=sys.stderr, flush=True)
                    answers.append(read_line())
                else:
                    answers.append(getpass.getpass(shown(prompt, one_line=True)))
        except EOFError:
            return None
        return answers


# -- connecting ---------------------------------------------------------------------------------------------
def add_connect_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("host", metavar="HOST", help="address-book name, ~/.ssh/config alias, or [user@]host[:port]")
    add_connect_flags(p)




def command_line_options(args: argparse.Namespace) -> list[str]:
    """-o, --batch and --accept-new as ssh_config lines; they come first, so they win over the config (as ssh -o)."""
    from remote.options import validate_line

    lines = [o.replace("=", " ", 1) if "=" in o.split(" ", 1)[0] else o for o in getattr(args, "ssh_option", [])]
    for line in lines:
        problem = validate_line(line)
        if problem:
            raise HostsError(f"--ssh-option {problem}")
    if getattr(args, "batch", False):
        lines.append("BatchMode yes")
    if getattr(args, "accept_new", False):
        lines.append("StrictHostKeyChecking accept-new")
    return lines


def build_profile(args: argparse.Namespace) -> tuple[HostProfile, AddressBook]:
    book = load_address_book()
    profile = resolve_target(args.host, book, ssh_config_path())
    if args.identity:
        profile.identity_files = [os.path.expanduser(i) for i in args.identity]
    if args.jump:
        profile.proxy_jump = [j.strip() for j in args.jump.split(",") if j.strip()]
    if args.keepalive is not None:
        profile.keepalive_interval = max(0, args.keepalive)
    profile.ssh_options = command_line_options(args) + profile.ssh_options
    return profile, book


def open_connection(args: argparse.Namespace) -> Any:
    profile, book = build_profile(args)
    conn = new_connection(book, use_agent=not args.no_agent, save_secrets=args.save_secrets)
    conn.on_note = err  # settings not honoured, weak algorithms in use, keys added: on stderr as they happen
    conn.connect(profile, TerminalCallbacks(args.accept_new), timeout=args.connect_timeout)
    return conn


def run_guarded(fn: Any, args: argparse.Namespace) -> int:
    """Turn the core's errors into one clear line and an exit code."""
    try:
        return int(fn(args))
    except KeyboardInterrupt:
        err("interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:
        code = explain(exc)
        if code is None:
            raise
        return code


def explain(exc: Exception) -> int | None:
    """Say what went wrong in one line and give the exit code; None for an error no command expects (a bug)."""
    from remote.connection import ConnectError, ConnectionLost
    from remote.forward import ForwardError
    from remote.sftp import SftpError

    if isinstance(exc, UnknownHostKey):
        err(str(exc))
        if not sys.stdin.isatty():
            err("there is no terminal to ask on, so the key was refused: once you have checked the fingerprint, "
                "run again with --accept-new")
        return EXIT_SSH
    if isinstance(exc, AuthCancelled) and not sys.stdin.isatty():
        # nobody cancelled: there was no terminal to ask the server's question (a password, a code) on
        tried = "; ".join(exc.tried) or "nothing usable"
        err(f"login as {exc.where or 'the host'} needs an answer (a password or a one-time code) and there is "
            f"no terminal to ask on. "
            f"Tried: {tried}. Run it on a terminal, or log in with a key (-i KEY) or ssh-agent")
        return EXIT_SSH
    if isinstance(exc, OSError) and not isinstance(exc, ConnectError | ConnectionLost):
        # a local file or folder problem the core did not word itself (disk full, permissions)
        where = f" ({exc.filename})" if exc.filename else ""
        err(f"{exc.strerror or exc}{where}")
        return EXIT_FAIL
    codes: tuple[tuple[type[Exception] | tuple[type[Exception], ...], int], ...] = (
        (HostsError, EXIT_USAGE),
        ((TrustError, AuthError, ConnectError, ConnectionLost), EXIT_SSH),
        ((SftpError, ForwardError), EXIT_FAIL),
        (Cancelled, EXIT_INTERRUPTED),
    )
    for kinds, code in codes:
        if isinstance(exc, kinds):
            err(str(exc))
            return code
    return None


# -- hosts --------------------------------------------------------------------------------------------------
def cmd_hosts_list(args: argparse.Namespace) -> int:
    book = load_address_book()
    hosts = book.search(args.search) if args.search else book.all()
    if args.json:
        print(json.dumps([h.to_dict() for h in hosts], indent=2))
        return 0
    if not hosts:
        print(f"no hosts in {book.path}" + (f" matching {args.search!r}" if args.search else ""))
        return 0
    width = max(len(h.name) for h in hosts)
    for h in hosts:
        extra = []
        if h.proxy_jump:
            extra.append("via " + ",".join(h.proxy_jump))
        if h.group:
            extra.append(f"group {h.group}")
        if h.tags:
            extra.append("tags " + ",".join(h.tags))
        print(f"{h.name:<{width}}  {h.display()}" + (f"  ({'; '.join(extra)})" if extra else ""))
    return 0


def cmd_hosts_add(args: argparse.Namespace) -> int:
    book = load_address_book()
    user, host, port = parse_target(args.target)
    profile = HostProfile(
        name=args.name, hostname=host, user=user, port=port or 22,
        identity_files=[os.path.expanduser(i) for i in args.identity],
        proxy_jump=[j.strip() for j in (args.jump or "").split(",") if j.strip()],
        group=args.group or "", tags=list(args.tag), keepalive_interval=args.keepalive or 0, notes=args.notes or "",
        ssh_options=[o.replace("=", " ", 1) if "=" in o.split(" ", 1)[0] else o for o in args.ssh_option],
    )
    book.add(profile, replace=args.replace)
    book.save()
    print(f"added {profile.name}: {profile.display()} to {book.path}")
    return 0


def cmd_hosts_remove(args: argparse.Namespace) -> int:
    book = load_address_book()
    book.remove(args.name)
    book.save()
    print(f"removed {args.name} from {book.path}")
    return 0


def cmd_hosts_import(args: argparse.Namespace) -> int:
    path = Path(os.path.expanduser(args.path)) if args.path else ssh_config_path()
    if not path.exists():
        err(f"{path} does not exist; give the file with --from")
        return EXIT_USAGE
    profiles, notes = import_ssh_config(path)
    book = load_address_book()
    added, skipped = [], []
    for p in profiles:
        if p.name in book and not args.replace:
            skipped.append(p.name)
            continue
        book.add(p, replace=True)
        added.append(p.name)
    if not args.dry_run:
        book.save()
    verb = "would import" if args.dry_run else "imported"
    print(f"{verb} {len(added)} host(s) from {shown(path, True)}: "
          f"{', '.join(shown(a, True) for a in added) or '-'}")
    if skipped:
        print(f"already in the address book (use --replace to overwrite): "
              f"{', '.join(shown(a, True) for a in skipped)}")
    if notes:
        print("not honoured by Deskside:")
        for n in notes:
            print(f"  {shown(n, True)}")
    return 0


# -- ssh ----------------------------------------------------------------------------------------------------
def split_ssh_command(args: argparse.Namespace) -> list[str]:
    """`ssh HOST [options] -- COMMAND`: options between HOST and `--` are parsed here (argparse's REMAINDER keeps
    them); without `--` everything after HOST is the command, as with `ssh`."""
    rest = list(args.command)
    if "--" not in rest:
        return rest
    i = rest.index("--")
    pre, command = rest[:i], rest[i + 1 :]
    if pre:
        p = argparse.ArgumentParser(prog="deskside ssh HOST", add_help=False)
        add_connect_flags(p)
        p.add_argument("--timeout", type=float)
        defaults = vars(p.parse_args([]))
        for k, v in vars(p.parse_args(pre)).items():
            if v != defaults[k]:
                setattr(args, k, v)
    return command


def cmd_ssh(args: argparse.Namespace) -> int:
    command = split_ssh_command(args)
    conn = open_connection(args)
    try:
        if command:
            return run_command(conn, " ".join(command), args.timeout)
        return interactive_shell(conn)
    finally:
        conn.close()


def run_command(conn: Any, command: str, timeout: float | None) -> int:
    from remote.exec import ExecTimeout

    out = sys.stdout.buffer
    errb = sys.stderr.buffer

    def w_out(b: bytes) -> None:
        out.write(b)
        out.flush()

    def w_err(b: bytes) -> None:
        errb.write(b)
        errb.flush()

    try:
        res = conn.exec(command, timeout=timeout, on_stdout=w_out, on_stderr=w_err)
    except ExecTimeout as exc:
        err(str(exc))
        return EXIT_TIMEOUT
    except BrokenPipeError:  # `deskside ssh HOST -- cmd | head`: the reader has enough; stop quietly, as ssh does
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return EXIT_SIGPIPE
    if res.exit_status < 0:
        err("the remote command ended without an exit status (killed by a signal?)")
        return EXIT_SSH
    return int(res.exit_status)


def interactive_shell(conn: Any) -> int:
    try:
        import termios
        import tty
    except ImportError:  # Windows
        err("the interactive shell of the command line needs a POSIX terminal; use the Remote page's terminal, "
            "or give a command after --")
        return EXIT_USAGE
    if not sys.stdin.isatty():
        err("an interactive shell needs a terminal; give the command after --, e.g. deskside ssh HOST -- uptime")
        return EXIT_USAGE
    cols, rows = shutil.get_terminal_size()
    shell = conn.open_shell(cols, rows, term=os.environ.get("TERM") or "xterm-256color")
    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    resized = [False]

    def on_winch(signum: int, frame: Any) -> None:
        resized[0] = True

    prev = signal.signal(signal.SIGWINCH, on_winch)
    try:
        tty.setraw(fd, termios.TCSANOW)  # keep what was typed ahead (TCSAFLUSH would drop it)
        while not shell.closed:
            if resized[0]:
                resized[0] = False
                c, r = shutil.get_terminal_size()
                shell.resize(c, r)
            lost = conn.lost_error()
            if lost is not None:
                raise lost
            try:
                r_ready, _, _ = select.select([fd, shell.fileno()], [], [], 0.5)
            except InterruptedError:
                continue
            if shell.fileno() in r_ready:
                data = shell.read_available()
                if data:
                    os.write(sys.stdout.fileno(), data)
            if fd in r_ready:
                data = os.read(fd, 4096)
                if not data:
                    break
                try:
                    shell.send(data)
                except OSError:  # the channel closed under us; the checks below say why
                    break
        data = shell.read_available()
        if data:
            os.write(sys.stdout.fileno(), data)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)
        signal.signal(signal.SIGWINCH, prev)
    # The keepalive watchdog closes the channel when the server stops answering: that ends the loop above just as a
    # normal `exit` does, so ask the connection which it was (exit status 255 and "connection lost", as ssh does).
    lost = conn.lost_error()
    if lost is not None:
        print(file=sys.stderr)
        raise lost
    status = shell.wait_exit(2.0)
    shell.close()
    return int(status) if status is not None and status >= 0 else 0


# -- sftp ---------------------------------------------------------------------------------------------------
class ProgressLine:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start = time.monotonic()

    def __call__(self, done: int, total: int, name: str) -> None:
        if not self.enabled:
            return
        pct = 100 * done / total if total else 100
        rate = done / max(1e-6, time.monotonic() - self.start) / 1e6
        label = shown(name, one_line=True)[:40]
        print(f"\r{pct:5.1f}%  {done / 1e6:9.1f} MB  {rate:7.1f} MB/s  {label:<40}", end="", file=sys.stderr,
              flush=True)

    def end(self) -> None:
        if self.enabled:
            print(file=sys.stderr)


def cmd_sftp(args: argparse.Namespace) -> int:
    conn = open_connection(args)
    try:
        with conn.sftp() as sftp:
            if args.action == "ls":
                for e in sftp.list(args.path or "."):
                    kind = "d" if e.is_dir else "l" if e.is_link else "-"
                    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.mtime))
                    print(f"{kind} {e.size:>12} {when} {shown(e.name, one_line=True)}")
                return 0
            progress = ProgressLine(sys.stderr.isatty() and not args.quiet)
            start = time.monotonic()
            try:
                if args.action == "get":
                    target = Path(args.local or ".")
                    res = sftp.get(args.remote, target, resume=args.resume, progress=progress)
                else:
                    res = sftp.put(Path(args.local), args.remote or sftp.home(), resume=args.resume, progress=progress)
            except KeyboardInterrupt:
                progress.end()
                err("interrupted; the partial file (.part) is kept: run the same command with --resume to continue")
                return EXIT_INTERRUPTED
            progress.end()
            secs = time.monotonic() - start
            resumed = f", resumed from {res.resumed_from} bytes" if res.resumed_from else ""
            print(f"{args.action}: {res.files} file(s), {res.bytes} bytes in {secs:.1f} s{resumed}")
            for s in res.skipped:
                print(f"skipped: {shown(s, one_line=True)}")
            return 0
    finally:
        conn.close()


# -- forward ------------------------------------------------------------------------------------------------
def _split_spec(spec: str) -> list[str]:
    parts: list[str] = []
    cur = ""
    depth = 0
    for ch in spec:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == ":" and depth == 0:
            parts.append(cur.strip("[]"))
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip("[]"))
    return parts


def parse_forward(spec: str, kind: str) -> tuple[str, int, str, int]:
    """`[bind:]port:host:hostport` for -L/-R, `[bind:]port` for -D -> (bind, port, host, hostport)."""
    parts = _split_spec(spec)
    try:
        if kind == "D":
            if len(parts) == 1:
                return "127.0.0.1", int(parts[0]), "", 0
            if len(parts) == 2:
                return parts[0], int(parts[1]), "", 0
        else:
            if len(parts) == 3:
                return "127.0.0.1", int(parts[0]), parts[1], int(parts[2])
            if len(parts) == 4:
                return parts[0], int(parts[1]), parts[2], int(parts[3])
    except ValueError:
        pass
    form = "[bind:]port" if kind == "D" else "[bind:]port:host:hostport"
    raise HostsError(f"-{kind} {spec!r} is not valid: write {form}")


def cmd_forward(args: argparse.Namespace) -> int:
    specs = [("L", s) for s in args.local] + [("R", s) for s in args.remote] + [("D", s) for s in args.dynamic]
    if not specs:
        err("give at least one of -L, -R or -D")
        return EXIT_USAGE
    parsed = [(k, parse_forward(s, k)) for k, s in specs]
    if args.keepalive is None:
        args.keepalive = 15
    conn = open_connection(args)
    try:
        for kind, (bind, port, host, hport) in parsed:
            if kind == "L":
                f = conn.forward_local(port, host, hport, listen_host=bind)
            elif kind == "R":
                f = conn.forward_remote(port, host, hport, remote_host=bind)
            else:
                f = conn.forward_dynamic(port, listen_host=bind)
            print(f"forwarding {f.description()}", flush=True)
        print("press Ctrl-C to stop", file=sys.stderr, flush=True)
        try:
            while True:
                lost = conn.lost_error()
                if lost is not None:
                    raise lost
                time.sleep(0.5)
        except KeyboardInterrupt:
            print("stopping the forwards", file=sys.stderr)
            return 0
    finally:
        with contextlib.suppress(Exception):
            conn.close()


# -- registration -------------------------------------------------------------------------------------------
def register(sub: Any) -> None:
    hosts = sub.add_parser("hosts", help="the SSH address book: list, add, remove, import from ~/.ssh/config")
    hsub = hosts.add_subparsers(dest="hosts_command", metavar="ACTION", required=True)
    p = hsub.add_parser("list", help="list hosts")
    p.add_argument("--search", metavar="TEXT", help="only hosts whose name, address, group, tags or notes match")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=lambda a: run_guarded(cmd_hosts_list, a))
    p = hsub.add_parser("add", help="add a host: deskside hosts add NAME [user@]host[:port]")
    p.add_argument("name")
    p.add_argument("target", metavar="[USER@]HOST[:PORT]")
    p.add_argument("-i", dest="identity", action="append", default=[], metavar="KEY")
    p.add_argument("-J", dest="jump", metavar="JUMPS", help="jump hosts, comma separated")
    p.add_argument("--group")
    p.add_argument("--tag", action="append", default=[])
    p.add_argument("--keepalive", type=int, metavar="S")
    p.add_argument("--notes")
    p.add_argument("--ssh-option", dest="ssh_option", action="append", default=[], metavar="OPTION",
                   help="a per-host ssh_config line kept in the address book, e.g. 'Ciphers +aes128-cbc'")
    p.add_argument("--replace", action="store_true", help="overwrite a host of the same name")
    p.set_defaults(func=lambda a: run_guarded(cmd_hosts_add, a))
    p = hsub.add_parser("remove", help="remove a host")
    p.add_argument("name")
    p.set_defaults(func=lambda a: run_guarded(cmd_hosts_remove, a))
    p = hsub.add_parser("import", help="import hosts from ~/.ssh/config and name what is not honoured")
    p.add_argument("--from", dest="path", metavar="FILE", help="another ssh config file")
    p.add_argument("--replace", action="store_true", help="overwrite hosts of the same name")
    p.add_argument("--dry-run", action="store_true", help="show what would be imported")
    p.set_defaults(func=lambda a: run_guarded(cmd_hosts_import, a))

    p = sub.add_parser("ssh", help="run a command on a host, or open an interactive shell",
                       description="deskside ssh HOST [-- COMMAND...]: without a command, an interactive shell.")
    add_connect_options(p)
    p.add_argument("--timeout", type=float, metavar="S", help="stop the command after S seconds (exit code 124)")
    p.add_argument("command", nargs=argparse.REMAINDER, help="the command (after --)")
    p.set_defaults(func=lambda a: run_guarded(cmd_ssh, a))

    p = sub.add_parser("sftp", help="copy files and folders to or from a host",
                       description="deskside sftp HOST get REMOTE [LOCAL_DIR] | put LOCAL [REMOTE_DIR] | ls [PATH]")
    add_connect_options(p)
    asub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    g = asub.add_parser("get", help="download a file or folder into LOCAL_DIR (default: here)")
    g.add_argument("remote")
    g.add_argument("local", nargs="?")
    g.add_argument("--resume", action="store_true", help="continue an interrupted download (.part file)")
    g.add_argument("-q", "--quiet", action="store_true")
    g = asub.add_parser("put", help="upload a file or folder into REMOTE_DIR (default: the remote home)")
    g.add_argument("local")
    g.add_argument("remote", nargs="?")
    g.add_argument("--resume", action="store_true", help="continue an interrupted upload (.part file)")
    g.add_argument("-q", "--quiet", action="store_true")
    g = asub.add_parser("ls", help="list a remote folder")
    g.add_argument("path", nargs="?")
    p.set_defaults(func=lambda a: run_guarded(cmd_sftp, a))

    p = sub.add_parser("forward", help="port forwarding: -L local, -R remote, -D dynamic (SOCKS5)",
                       description="Runs until Ctrl-C. Listeners bind to 127.0.0.1 unless a bind address is given.")
    add_connect_options(p)
    p.add_argument("-L", dest="local", action="append", default=[], metavar="[BIND:]PORT:HOST:HOSTPORT")
    p.add_argument("-R", dest="remote", action="append", default=[], metavar="[BIND:]PORT:HOST:HOSTPORT")
    p.add_argument("-D", dest="dynamic", action="append", default=[], metavar="[BIND:]PORT")
    p.set_defaults(func=lambda a: run_guarded(cmd_forward, a))
