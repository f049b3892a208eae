# Sourced by the run and test scripts: one environment for every build, so
# cargo-leptos and cargo test share compiled artefacts instead of rebuilding.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export LEPTOS_OUTPUT_NAME=fixline
export LEPTOS_SITE_ROOT="$ROOT/target/site"
export CARGO_TERM_PROGRESS_WHEN=never
