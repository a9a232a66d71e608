"""SSH sessions on paramiko: host profiles and ~/.ssh/config, host-key trust, authentication, exec, PTY shell,
SFTP, port forwards and jump hosts. Qt-free and synchronous: every blocking call takes a timeout and a cancel token.

Threading: paramiko objects are not thread-safe. One thread owns a `Connection` and makes every call on it; the
only threads the core starts itself are the keepalive watchdog and the pumps of port forwards, which work on their
own channels.
"""

import sys

# paramiko imports `invoke` (a task runner: a third of paramiko's import time) only to run `Match exec` in its own
# ssh_config reader, which Deskside never uses (remote/ssh_config.py is Deskside's own, with its own Match exec).
# Keeping it out saves ~0.15 s at every start of `deskside scan`/`ssh`/`patch`; paramiko treats it as optional.
sys.modules.setdefault("invoke", None)  # type: ignore[arg-type]

