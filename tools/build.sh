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

# 2. The widget's bundle (project "widget" in Cargo.toml), frontend only,
#    split: the guide walk and the case tracker are WASM chunks of their own,
#    fetched on first use, so the first load holds little more than the
#    intake form. cargo-leptos lets LEPTOS_OUTPUT_NAME and LEPTOS_SITE_ROOT
#    from env.sh override the project's own name and site; unset them here.
#    Compile-time only LEPTOS_OUTPUT_NAME matters (leptos reads it with
#    option_env!), and this build has a target directory of its own
#    (target/front-widget), so neither this nor the console's build
#    invalidates the other.
rm -rf "$ROOT/target/site-widget/pkg"
env -u LEPTOS_OUTPUT_NAME -u LEPTOS_SITE_ROOT \
  cargo leptos build --release --project widget --frontend-only --split "$@"

# 3. Serve both bundles from one site: widget.js, widget.wasm, widget.css,
#    the split loader (__wasm_split.*.js) and the chunks. The split manifest stays out:
#    the server would read it for every page, and no page preloads a chunk.
mkdir -p "$LEPTOS_SITE_ROOT/pkg"
rm -f "$LEPTOS_SITE_ROOT"/pkg/__wasm_split* "$LEPTOS_SITE_ROOT"/pkg/widget*
for f in "$ROOT"/target/site-widget/pkg/*; do
  case "$(basename "$f")" in
    __wasm_split_manifest.json) ;;
    *.js|*.wasm|*.css) cp "$f" "$LEPTOS_SITE_ROOT/pkg/" ;;
  esac
done

# 4. The loader host pages include (public/embed.js, readable source) goes
#    out minified: it must stay under 6 KB (3 KB gzipped).
terser "$ROOT/public/embed.js" --compress passes=2 --mangle --toplevel --comments '/^!/' \
  --output "$LEPTOS_SITE_ROOT/embed.js"

# 5. Compressed once here, at the highest levels, rather than per request.
node "$ROOT/tools/precompress.mjs" "$LEPTOS_SITE_ROOT/pkg"
