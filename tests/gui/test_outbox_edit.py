"""Get Help > Outbox > Edit…: a ticket that was not sent gets a new summary, masked again before anything leaves."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from desktop.tasks import TaskRunner
from tests.gui.test_get_help import make_page, outbox_rows
from tickets.service import Draft, TicketService


def test_an_unsent_ticket_is_edited_from_the_outbox_tab(qtbot: Any, task_runner: TaskRunner) -> None:
    svc = TicketService(data_dir=Path(os.environ["DESKSIDE_DATA_DIR"]))
    held = svc.submit(svc.build_preview(Draft(summary="Summary the helpdesk would refuse")))
    page = make_page(qtbot, task_runner)
    page.outbox.refresh()
    qtbot.waitUntil(lambda: len(outbox_rows(page)) == 1, timeout=10_000)
    page.outbox.select(held.id)
    assert page.outbox.edit_button.isEnabled()
    page.outbox.edit_selected("Printer on floor 3 refuses jobs from ann@corp.example")
    qtbot.waitUntil(lambda: outbox_rows(page)[0][1].startswith("Printer on floor 3"), timeout=10_000)
    assert "ann@corp.example" not in outbox_rows(page)[0][1] and "<email-" in outbox_rows(page)[0][1]
    assert "edited" in page.outbox.last_message and "press Retry" in page.outbox.last_message
    assert svc.outbox.ticket(held.id).uid == held.uid  # the same marker: a retry still finds an earlier copy
