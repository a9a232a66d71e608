#!/usr/bin/env bash
# `make package`: the Linux x86_64 one-folder build (PyInstaller, packaging/linux/deskside.spec) and a .deb made from
# it (packaging/linux/build_deb.py). Outputs: $DIST/deskside/ and $DIST/deskside_<version>_amd64.deb (DIST=dist).
# Needs the project's .venv (its dev extra has PyInstaller), dpkg-deb and ldd (a Debian/Ubuntu build machine).
set -euo pipefail
cd "$(dirname "$0")/../.."
DIST=${DIST:-dist}
WORK=${WORK:-build/package}
PY=${PY:-.venv/bin/python}
mkdir -p "$DIST" "$WORK"
rm -rf "$DIST/deskside"
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN --distpath "$DIST" --workpath "$WORK/pyinstaller" \
  packaging/linux/deskside.spec
"$PY" packaging/linux/build_deb.py "$DIST/deskside" "$DIST" --work "$WORK"
