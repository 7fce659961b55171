#!/usr/bin/env bash
# Fetches the browser libraries the UI needs into static/vendor/ (gitignored, never committed):
# xterm.js 5.5 with its fit and web-links addons (one ES module) and its stylesheet, taken
# from the pinned PyPI wheel nicegui==3.18.0 (only Debian packages and PyPI are reachable, and
# Debian's xterm is 3.8, which does not load in a browser). Every file is checked against the
# sha256 pinned below. Idempotent: when the files are in place and match, it only checks them.
#
# Usage: static/fetch-vendor.sh [--check]   (--check: verify only, never download; exit 1 if wrong)
# Env:   PYTHON (default python3), DISPATCH_VENDOR_CACHE (default .build/vendor-cache)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
vendor="$here/vendor"
cache="${DISPATCH_VENDOR_CACHE:-$repo/.build/vendor-cache}"
python="${PYTHON:-python3}"

wheel_name="nicegui"
wheel_version="3.18.0"
wheel_file="nicegui-3.18.0-py3-none-any.whl"

# destination (under static/vendor/) | path inside the wheel | sha256
files=(
  "xterm/index.js|nicegui/elements/xterm/dist/index.js|bcb6ed5ea46551ea2181ba6a5d648280862272b051ac2c55b8d90c676c6e28a8"
  "xterm/xterm.css|nicegui/elements/xterm/dist/xterm.css|ba8e6985669488981ccf40c0cefe3aba80722cb6c92de7ad628b0bd717faf2b6"
)

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

all_good() {
  local entry dest sum
  for entry in "${files[@]}"; do
    IFS='|' read -r dest _ sum <<<"$entry"
    [ -f "$vendor/$dest" ] && [ "$(sha256_of "$vendor/$dest")" = "$sum" ] || return 1
  done
}

if all_good; then
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "fetch-vendor: static/vendor/ is missing files or holds unexpected ones; run static/fetch-vendor.sh" >&2
  exit 1
fi

# A pip that can download: the interpreter's own, else a small venv made once in the cache.
mkdir -p "$cache"
pip=("$python" -m pip)
if ! "${pip[@]}" --version >/dev/null 2>&1; then
  if [ ! -x "$cache/venv/bin/pip" ]; then
    "$python" -m venv "$cache/venv"
  fi
  pip=("$cache/venv/bin/pip")
fi

if [ ! -f "$cache/$wheel_file" ]; then
  echo "fetch-vendor: downloading $wheel_name==$wheel_version from PyPI" >&2
  "${pip[@]}" download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --dest "$cache" "$wheel_name==$wheel_version"
fi
if [ ! -f "$cache/$wheel_file" ]; then
  echo "fetch-vendor: pip did not produce $cache/$wheel_file" >&2
  exit 1
fi

# Extract into a temporary folder, check, then move into place (never a half-written vendor/).
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
specs=()
for entry in "${files[@]}"; do
  IFS='|' read -r dest inner _ <<<"$entry"
  specs+=("$inner" "$tmp/$dest")
done
"$python" - "$cache/$wheel_file" "${specs[@]}" <<'EOF'
import os, sys, zipfile
wheel, pairs = sys.argv[1], sys.argv[2:]
with zipfile.ZipFile(wheel) as archive:
    for inner, dest in zip(pairs[0::2], pairs[1::2]):
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with archive.open(inner) as source, open(dest, "wb") as target:
            target.write(source.read())
EOF

failed=0
for entry in "${files[@]}"; do
  IFS='|' read -r dest inner sum <<<"$entry"
  got="$(sha256_of "$tmp/$dest")"
  if [ "$got" != "$sum" ]; then
    echo "fetch-vendor: sha256 mismatch for $inner: expected $sum, got $got" >&2
    failed=1
  fi
done
if [ "$failed" -ne 0 ]; then
  rm -f "$cache/$wheel_file"   # a bad download is not kept
  exit 1
fi

for entry in "${files[@]}"; do
  IFS='|' read -r dest _ _ <<<"$entry"
  mkdir -p "$(dirname "$vendor/$dest")"
  cp "$tmp/$dest" "$vendor/$dest.tmp"
  mv -f "$vendor/$dest.tmp" "$vendor/$dest"
done
echo "fetch-vendor: static/vendor/ is ready (xterm.js 5.5)" >&2
