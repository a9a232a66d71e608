#!/usr/bin/env bash
# `make run`: the GUI where there is a display, `deskside diagnose` in a terminal otherwise.
# diagnose's exit code says what it found (1 a warning, 2 a critical problem): that is the result of a working
# install, so `make run` says it in a sentence and ends cleanly; real errors (3 the run could not complete, 64 a
# usage error, 70 a bug, 130 interrupted) still fail the target. `deskside diagnose` itself keeps its exit codes.
set -euo pipefail
cd "$(dirname "$0")/.."
DESKSIDE="${DESKSIDE_BIN:-.venv/bin/deskside}"  # DESKSIDE_BIN: another deskside (tests use a stand-in)
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || [ "${QT_QPA_PLATFORM:-}" = offscreen ]; then
  exec "$DESKSIDE" gui
fi
echo "make run: there is no display, so this is \`deskside diagnose\` (the report of this machine)." >&2
rc=0
"$DESKSIDE" diagnose || rc=$?
case "$rc" in
  0) echo "make run: diagnose exit code 0: no problem found." >&2 ;;
  1) echo "make run: diagnose exit code 1: the worst finding above is a warning; Deskside itself works." >&2 ;;
  2) echo "make run: diagnose exit code 2: the worst finding above is critical (a problem of this machine, each" \
          "with its fix); Deskside itself works." >&2 ;;
  3) echo "make run: diagnose exit code 3: the run could not complete (see the message above)." >&2 ;;
  64) echo "make run: diagnose exit code 64: a usage error (see the message above)." >&2 ;;
  70) echo "make run: diagnose exit code 70: an unexpected error, a bug in Deskside (see crash.log in the log" \
           "folder)." >&2 ;;
  130) echo "make run: diagnose exit code 130: interrupted." >&2 ;;
  *) echo "make run: diagnose ended with exit code $rc." >&2 ;;
esac
case "$rc" in
  0 | 1 | 2) exit 0 ;;
  *) exit "$rc" ;;
esac
