#!/usr/bin/env bash
# Builds the pinned immudb server from the Go module proxy and prints the binary's absolute path
# as the last line of output.
#
# `go install github.com/codenotary/immudb/cmd/immudb@vX` is refused because immudb's go.mod has
# `replace` directives, so we build through a throwaway wrapper module that repeats them.
# The binary lives in a cache outside git whose path contains the version: changing the pin
# is what triggers a rebuild. IMMUDB_BIN, when set, short-circuits everything.
set -euo pipefail

IMMUDB_VERSION="v1.11.1"

if [[ -n "${IMMUDB_BIN:-}" ]]; then
  if [[ ! -x "$IMMUDB_BIN" ]]; then
    echo "immudb-install: IMMUDB_BIN=$IMMUDB_BIN is not an executable file" >&2
    exit 1
  fi
  echo "immudb-install: using IMMUDB_BIN" >&2
  readlink -f "$IMMUDB_BIN"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "immudb-install: the Go toolchain (>= 1.25) is required to build immudb $IMMUDB_VERSION" >&2
  exit 1
fi

CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/fmwk-ledger"
BUILD_DIR="$CACHE_ROOT/immudb-$IMMUDB_VERSION"
BIN="$BUILD_DIR/bin/immudb"

if [[ -x "$BIN" ]]; then
  echo "immudb-install: immudb $IMMUDB_VERSION already built" >&2
  echo "$BIN"
  exit 0
fi

mkdir -p "$BUILD_DIR/wrapper" "$BUILD_DIR/bin"
cd "$BUILD_DIR/wrapper"

# The two replaces mirror immudb's own go.mod; without them the module graph does not resolve.
cat > go.mod <<GOMOD
module fmwk-ledger/immudb-build

go 1.25.0

require github.com/codenotary/immudb $IMMUDB_VERSION

replace github.com/takama/daemon v0.12.0 => github.com/codenotary/daemon v0.0.0-20200507161650-3d4bcb5230f4

replace github.com/spf13/afero => github.com/spf13/afero v1.5.1
GOMOD

# A blank import keeps the requirement in the module graph so `go mod tidy` records every
# transitive dependency (and its go.sum line) that the main package needs.
cat > tools.go <<'GOSRC'
//go:build tools

package tools

import _ "github.com/codenotary/immudb/cmd/immudb"
GOSRC

echo "immudb-install: resolving modules for immudb $IMMUDB_VERSION" >&2
GOFLAGS="${GOFLAGS:-} -mod=mod" go mod tidy >&2

echo "immudb-install: building immudb $IMMUDB_VERSION (takes a few minutes)" >&2
# Build to a temp name and rename, so an interrupted build never leaves a half-written binary
# that a later run would mistake for a finished one.
# The version stamp is what immudb's own Makefile sets; without it `immudb version` says nothing.
GOFLAGS="${GOFLAGS:-} -mod=mod" go build -trimpath \
  -ldflags "-X github.com/codenotary/immudb/cmd/version.Version=${IMMUDB_VERSION#v}" \
  -o "$BIN.partial" github.com/codenotary/immudb/cmd/immudb >&2
mv "$BIN.partial" "$BIN"

echo "immudb-install: built immudb $IMMUDB_VERSION" >&2
echo "$BIN"
