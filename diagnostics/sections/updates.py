"""The `updates` section: the patch posture. Its definition is the `Posture` dataclass, stored with `asdict`."""

from ..updates.posture import Posture

UpdatesData = Posture

__all__ = ["UpdatesData"]
