#!/usr/bin/env bash
# The proto contract: `buf lint` with the STANDARD rules (each exception justified in
# buf.yaml) and `buf breaking` against the image of the last released proto, kept in
# .ci/buf/released-proto.binpb (docs/api-contract.md says why an image and how to
# refresh it at a release). buf is pinned in .ci/buf/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

(cd .ci/buf && npm ci --no-audit --no-fund --loglevel=error)
buf=.ci/buf/node_modules/.bin/buf
"$buf" --version
"$buf" lint
"$buf" breaking --against .ci/buf/released-proto.binpb
echo "proto contract: lint clean, nothing breaking against the released image"
