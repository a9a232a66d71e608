"""The scan child's request (desktop/scan_process.py) carries the hosts and the policy unchanged, and `deskside
patch` tells a refused sudo from a failed upgrade whatever sudo's version says."""

from __future__ import annotations

from desktop.scan_process import ScanRequest
from fleet import policy as pol
from fleet.inventory import InventoryHost
from fleet.remediation import sudo_problem


def test_the_request_survives_the_pipe() -> None:
    policy = pol.parse('[policy]\nmax_security_age_days = 0\nrequired_packages = ["a", "b"]\n'
                       '[[policy.check]]\nname = "fw"\ncommand = "true"\nseverity = "critical"\n'
                       '[groups.web]\nforbidden_packages = ["telnetd"]\nmax_security_age_days = 3\n')
    hosts = [InventoryHost("web1", "10.0.0.1", 2222, "admin", "/k/id", ["web", "prod"], {"x": [1, "y"]}, "inv:3"),
             InventoryHost("plain")]
    request = ScanRequest(hosts, policy, True, 8, 180.0, "/tmp/history.sqlite")
    again = ScanRequest.from_json(request.to_json())
    assert again == request
    assert again.policy.for_groups(["web"]) == policy.for_groups(["web"])


def test_refused_sudo_is_said_as_such() -> None:
    assert sudo_problem(1, "dsktest is not in the sudoers file.\nThis incident has been reported to the "
                           "administrator.\n") == "sudo refused: dsktest is not in the sudoers file."
    assert sudo_problem(1, "Sorry, try again.\nsudo: 1 incorrect password attempt\n") == \
        "sudo refused: sudo: 1 incorrect password attempt"
    assert sudo_problem(100, "E: Unable to locate package nope\n") is None  # the upgrade failed, not sudo
    assert sudo_problem(0, "") is None
