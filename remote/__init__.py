"""SSH sessions on paramiko: host profiles and ~/.ssh/config, host-key trust, authentication, exec, PTY shell,
SFTP, port forwards and jump hosts. Qt-free and synchronous: every blocking call takes a timeout and a cancel token.

Threading: paramiko objects are not thread-safe. One thread owns a `Connection` and makes every call on it; the
only threads the core starts itself are the keepalive watchdog and the pumps of port forwards, which work on their
own channels.
"""
