#!/usr/bin/env bash
# Proves that a client generated from proto/ by another gRPC implementation (Python
# grpcio) can post, query and read errors from the real server.
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir=${CARGO_TARGET_DIR:-target}
venv=$target_dir/interop-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check 'grpcio>=1.60' 'grpcio-tools>=1.60' 'grpcio-status>=1.60' 'grpcio-reflection>=1.60'

generated=$target_dir/interop-generated
rm -rf "$generated" && mkdir -p "$generated"
"$venv/bin/python" -m grpc_tools.protoc -Iproto --python_out="$generated" --grpc_python_out="$generated" \
    proto/matchledger/v1/*.proto

# The release build made by the slow tests is reused: building the debug binary apart
# would compile the dependency tree a third time (dev-dependencies change its features).
cargo build --release --quiet
data_dir=$(mktemp -d)
port=$(( 40000 + RANDOM % 20000 ))
"$target_dir/release/matchledger" serve --data-dir "$data_dir" --listen "127.0.0.1:$port" --http-listen off > "$data_dir/server.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data_dir"; }
trap cleanup EXIT

for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.1
done

PYTHONPATH="$generated" "$venv/bin/python" tests/interop/client.py "127.0.0.1:$port"
PYTHONPATH="$generated" "$venv/bin/python" tests/interop/reflection.py "127.0.0.1:$port"
