#!/usr/bin/env bash
# `make run`: the GUI where there is a display, `deskside diagnose` in a terminal otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || [ "${QT_QPA_PLATFORM:-}" = offscreen ]; then
  exec .venv/bin/deskside gui
else
  exec .venv/bin/deskside diagnose
fi
