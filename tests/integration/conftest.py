"""Fixtures shared by the integration tests."""

from tests.integration.sshd import fresh_sshd, ssh_env, sshd_server  # noqa: F401  (real OpenSSH sshd)
