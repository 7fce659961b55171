#!/usr/bin/env bash
# Installs Dispatch as a systemd service on this machine (Debian/Ubuntu with the Swift toolchain):
# builds release binaries, installs them to $PREFIX/bin and the UI to $PREFIX/share/dispatch/static
# (where the gateway looks by default), the unit to /etc/systemd/system, the example settings to
# /etc/dispatch/dispatch.env if there are none yet, creates the `dispatch` system user, and enables
# and starts the service. Run as root from a checkout:  sudo systemd/install.sh
# Re-running it upgrades in place (settings are kept) and restarts the service.
#
# Env: PREFIX (default /usr/local), SKIP_BUILD=1 to install binaries already in .build/release.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
prefix="${PREFIX:-/usr/local}"
cd "$repo"

if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (sudo systemd/install.sh)" >&2
  exit 1
fi
for tool in systemctl install useradd; do
  command -v "$tool" >/dev/null || { echo "install.sh: $tool is missing" >&2; exit 1; }
done

if [ "${SKIP_BUILD:-}" != 1 ]; then
  swift build -c release --product dispatch-gateway
  swift build -c release --product dispatch-worker
fi
static/fetch-vendor.sh

install -d -m 0755 "$prefix/bin" "$prefix/share/dispatch"
install -m 0755 .build/release/dispatch-gateway .build/release/dispatch-worker "$prefix/bin/"
rm -rf "$prefix/share/dispatch/static.new"
cp -R static "$prefix/share/dispatch/static.new"
rm -f "$prefix/share/dispatch/static.new/fetch-vendor.sh"
rm -rf "$prefix/share/dispatch/static"
mv "$prefix/share/dispatch/static.new" "$prefix/share/dispatch/static"
chmod -R u=rwX,go=rX "$prefix/share/dispatch/static"

if ! getent passwd dispatch >/dev/null; then
  # A login shell: the sessions it runs are shells. Its home is the state folder.
  useradd --system --user-group --home-dir /var/lib/dispatch --no-create-home --shell /bin/bash dispatch
fi

install -d -m 0755 /etc/dispatch
if [ ! -e /etc/dispatch/dispatch.env ]; then
  install -m 0600 -o root -g root etc/dispatch.env /etc/dispatch/dispatch.env
fi

unit=/etc/systemd/system/dispatch.service
sed "s#^ExecStart=/usr/local/bin/dispatch-gateway#ExecStart=$prefix/bin/dispatch-gateway#" systemd/dispatch.service > "$unit.new"
chmod 0644 "$unit.new"
mv "$unit.new" "$unit"
systemd-analyze verify "$unit"

systemctl daemon-reload
systemctl enable dispatch
# Starts it, or restarts an upgraded one (its sessions survive: see KillMode in the unit).
systemctl restart dispatch
echo "install.sh: dispatch is running: systemctl status dispatch; journalctl -u dispatch -f"
echo "install.sh: settings: /etc/dispatch/dispatch.env; the generated key: sudo cat /var/lib/dispatch/terminal-key"
