#!/usr/bin/env bash
# The release build: the server, the console's WASM (/pkg/fixline.*) and the
# customer widget's own, smaller WASM (/pkg/widget.*), all into target/.
# Used by tools/run and tools/test; run it instead of `cargo leptos build`
# (which, with two projects in Cargo.toml and no --project, builds both into
# the same site and mixes them up).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

# 1. Server, console bundle, stylesheet and assets (target/site).
cargo leptos build --release --project fixline "$@"

# 2. The widget's bundle (project "widget" in Cargo.toml), frontend only.
#    cargo-leptos lets LEPTOS_OUTPUT_NAME and LEPTOS_SITE_ROOT from env.sh
#    override the project's own name and site; unset them here. Compile-time
#    only LEPTOS_OUTPUT_NAME matters (leptos reads it with option_env!), and
#    this build has a target directory of its own (target/front-widget), so
#    neither this nor the console's build invalidates the other.
env -u LEPTOS_OUTPUT_NAME -u LEPTOS_SITE_ROOT \
  cargo leptos build --release --project widget --frontend-only "$@"

# 3. Serve both bundles from one site.
mkdir -p "$LEPTOS_SITE_ROOT/pkg"
for f in widget.js widget.wasm; do
  cp "$ROOT/target/site-widget/pkg/$f" "$LEPTOS_SITE_ROOT/pkg/$f"
done

# 4. Compressed once here, at the highest levels, rather than per request.
node "$ROOT/tools/precompress.mjs" "$LEPTOS_SITE_ROOT/pkg"
