#!/usr/bin/env bash
# `make test` body: start the real servers the integration tests need, then pytest inside a private D-Bus
# session with an unlocked gnome-keyring (a real Secret Service for the keyring tests).
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
PYTEST=(.venv/bin/pytest -q -p no:cacheprovider "$@")
for hook in tests/servers/*.start.sh; do
  [ -e "$hook" ] && bash "$hook"
done
if command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
  exec dbus-run-session -- bash -c 'echo -n deskside-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null; export DESKSIDE_TEST_KEYRING=1; exec "$@"' _ "${PYTEST[@]}"
else
  exec "${PYTEST[@]}"
fi
