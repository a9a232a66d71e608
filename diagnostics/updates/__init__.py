"""The patch posture: pending and security updates, reboot, end of life, cache age and confidence, per host.

One module per source (apt, dnf, zypper, pacman, flatpak, snap, windows, macos), plus reboot, eol, the result
cache and the `Posture` record. `scan_posture(host)` builds the record; the `updates` collector and the health
rules in `diagnostics.rules.updates` use it.
"""

from .posture import CacheAge, Confidence, EolStatus, PendingUpdate, Posture, RebootStatus
from .scan import Paths, scan_posture

__all__ = ["CacheAge", "Confidence", "EolStatus", "Paths", "PendingUpdate", "Posture", "RebootStatus",
           "scan_posture"]
