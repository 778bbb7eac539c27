#!/usr/bin/env bash
# Checks the packaging an operator uses: the systemd unit verifies, and the Dockerfile
# builds where a Docker daemon exists (where none does, it says so; that never fails).
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir=${CARGO_TARGET_DIR:-target}
binary=$(realpath "$target_dir/release/matchledger")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# systemd-analyze checks the unit's syntax and that ExecStart exists: point it at this build.
sed "s|^ExecStart=/usr/local/bin/matchledger|ExecStart=$binary|" deploy/matchledger.service \
    > "$scratch/matchledger.service"
if ! command -v systemd-analyze >/dev/null; then
    echo "systemd-analyze is missing: install the systemd package" >&2
    exit 1
fi
output=$(systemd-analyze verify "$scratch/matchledger.service" 2>&1 || true)
# Only findings about this unit count; the host's own units may be noisy in a container.
if printf '%s\n' "$output" | grep "matchledger.service" ; then
    echo "deploy/matchledger.service does not verify" >&2
    exit 1
fi
echo "deploy/matchledger.service verifies"

# The unit's ExecStart command line starts the server as written.
"$binary" serve --help >/dev/null

if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
    docker build --quiet -t matchledger:ci .
    echo "the Dockerfile builds"
else
    echo "no Docker daemon here: the Dockerfile was not built (it is built where one exists)"
fi
