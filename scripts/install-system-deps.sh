#!/usr/bin/env bash
# Debian/Ubuntu packages that the app and its test suite use. Runs apt only as root; idempotent.
set -euo pipefail
PKGS=(
  openssh-server openssh-client        # real sshd for the remote tests, ssh/sftp for benchmarks
  dbus dbus-daemon gnome-keyring       # a real Secret Service for keyring tests
  xvfb x11-apps xdotool                # screenshots of the real window
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0
  libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1 libdbus-1-3
  inxi                                 # reference tool for the diagnostics benchmark
  procps iproute2 curl ca-certificates distro-info-data
  systemd util-linux e2fsprogs          # systemctl/journalctl, dmesg/unshare, mkfs.ext4: the diagnostics tests need them
  vim-tiny                             # a full-screen program for the terminal tests
  tmux htop mc ncdu less procps        # the terminal conformance replays (tmux is the reference emulator)
  xterm                                # the reference terminal in bench/bench_terminal.py
  desktop-file-utils appstream         # validate the .desktop entry and the AppStream metainfo in packaging/
  debootstrap                          # a Debian chroot as a second, real test host for the fleet scans
  sudo                                 # `deskside patch` on this machine: the test login is refused by a real sudo
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "note: not root, so these packages are not installed (some tests will skip): ${missing[*]}" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/tmp/deskside-apt.log 2>&1 \
  || { tail -30 /tmp/deskside-apt.log; exit 1; }
