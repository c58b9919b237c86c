#!/usr/bin/env bash
# Compiles the WebAssembly chain scanner (src/contract/wasm/*.c) next to its compiled loader
# (dist/src/contract/wasm/, or under the build directory given: dist-pack for npm pack). Built
# from source on every build, never committed. Without clang and
# wasm-ld (a fresh machine running only `npm install && npm run demo`) it says so and exits 0:
# the loader then finds no module and verification takes the JavaScript scanner (same verdicts).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-dist}/src/contract/wasm"
clang=$(command -v clang-14 || command -v clang || true)
if [ -z "$clang" ] || ! { command -v wasm-ld >/dev/null 2>&1 || command -v wasm-ld-14 >/dev/null 2>&1; }; then
  echo "build-wasm: clang/wasm-ld not found; verification will use the JavaScript scanner" >&2
  exit 0
fi
mkdir -p "$out"
# wasm-ld-14 is what clang-14 looks for as wasm-ld; give it the versioned one when only that exists.
ld=()
command -v wasm-ld >/dev/null 2>&1 || ld=(-fuse-ld="$(command -v wasm-ld-14)")
# -fno-delete-null-pointer-checks: linear memory starts at address 0, a valid address here.
"$clang" --target=wasm32 -O3 -nostdlib -mbulk-memory -msimd128 -Wall -Werror -fno-delete-null-pointer-checks "${ld[@]}" \
  -Wl,--no-entry -Wl,--export=__heap_base -Wl,--export-dynamic \
  -o "$out/chainScan.wasm.tmp" src/contract/wasm/chainScan.c
mv "$out/chainScan.wasm.tmp" "$out/chainScan.wasm"
