"""The GUI's SSH connections: one `ConnectionWorker` per connection (worker.py), its typed commands (commands.py),
its shells (shells.py), its transfer thread (transfers.py) and the authentication questions (auth_callbacks.py)."""

from .auth_callbacks import AuthRequest, GuiAuthCallbacks
from .worker import ConnectionWorker

__all__ = ["AuthRequest", "ConnectionWorker", "GuiAuthCallbacks"]
