"""Ansible stdout callback for `deskside scan --engine ansible`: one line per event on stdout, `DESKSIDE-ANSIBLE `
and a JSON object (start, ok, failed, unreachable, skipped, no_hosts, end) with the host's name and, for a result,
its rc, stdout, stderr and msg. Loaded by ansible-playbook (ANSIBLE_CALLBACK_PLUGINS), never imported by Deskside.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from ansible.plugins.callback import CallbackBase

MARK = "DESKSIDE-ANSIBLE "


def _name(host: Any) -> str:
    return str(host.get_name() if hasattr(host, "get_name") else host)


class CallbackModule(CallbackBase):  # type: ignore[misc]
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "deskside_posture"

    def _emit(self, event: str, host: str = "", **data: Any) -> None:
        sys.stdout.write(MARK + json.dumps({"event": event, "host": host, **data}, default=str) + "\n")
        sys.stdout.flush()

    def _result(self, event: str, result: Any) -> None:
        host = getattr(result, "host", None) or result._host
        res = getattr(result, "result", None)
        if not isinstance(res, dict):
            res = result._result
        self._emit(event, _name(host), rc=res.get("rc"), stdout=str(res.get("stdout") or ""),
                   stderr=str(res.get("stderr") or ""), msg=str(res.get("msg") or ""))

    def v2_runner_on_start(self, host: Any, task: Any) -> None:
        self._emit("start", _name(host))

    def v2_runner_on_ok(self, result: Any) -> None:
        self._result("ok", result)

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self._result("failed", result)

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self._result("unreachable", result)

    def v2_runner_on_skipped(self, result: Any) -> None:
        self._result("skipped", result)

    def v2_playbook_on_no_hosts_matched(self) -> None:
        self._emit("no_hosts")

    def v2_playbook_on_stats(self, stats: Any) -> None:
        self._emit("end")
