#!/usr/bin/env bash
# Installs what building (and, with --test, testing) Fixline needs, from
# crates.io, npm and Debian only. Idempotent: what is present at the right
# version is skipped, so a second run takes seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_LEPTOS_VERSION=0.3.10
WITH_TEST=0
[ "${1:-}" = "--test" ] && WITH_TEST=1

say() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[bootstrap] error:\033[0m %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo not found: install Rust (rustup) first"
command -v npm >/dev/null || die "npm not found: install Node.js 20+ first"

apt_install() {
  # apt-get needs root; say what is missing otherwise.
  if [ "$(id -u)" != 0 ]; then die "missing Debian packages: $* (install them with apt-get as root)"; fi
  say "installing Debian packages: $*"
  if [ ! -f /var/lib/apt/lists/lock ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ]; then
    apt-get update -qq >&2
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2 || {
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
  }
}

# Build tools need not be as optimised as their authors ship them: without
# fat LTO and with parallel codegen they install in a fraction of the time.
fast_install() { CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 cargo install "$@" >&2; }

# 1. The WASM target.
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown >&2
fi

# 1b. The formatter and the linter the test command runs.
if [ "$WITH_TEST" = 1 ]; then
  for c in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$c" || { say "adding $c"; rustup component add "$c" >&2; }
  done
fi

# 2. cargo-leptos, without downloads of its own (0.3.11 needs rustc 1.96).
if ! cargo leptos --version 2>/dev/null | grep -q " $CARGO_LEPTOS_VERSION\$"; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (several minutes on 2 cores, once)"
  fast_install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
fi

# 3. wasm-bindgen-cli at exactly the version in Cargo.lock. Not --locked:
#    its lock file names a webpki-roots release the registry no longer serves.
WB_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
[ -n "$WB_VERSION" ] || die "cannot find wasm-bindgen in Cargo.lock"
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WB_VERSION\$"; then
  say "installing wasm-bindgen-cli $WB_VERSION (about 2 minutes, once)"
  fast_install wasm-bindgen-cli --version "$WB_VERSION" --force
fi

# 4. npm tools: wasm-opt (binaryen) for the build, Playwright for the tests.
npm_install() {
  local dir="$1"
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.installed" ]; then
    say "installing npm packages in ${dir#"$ROOT"/}"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2)
    touch "$dir/node_modules/.installed"
  fi
}
npm_install "$ROOT/tools"

if [ "$WITH_TEST" = 1 ]; then
  # 5. Debian's Chromium for the browser tests (never a test tool's own download).
  [ -x /usr/bin/chromium ] || apt_install chromium
  npm_install "$ROOT/end2end"
fi
