#!/bin/sh
# check-boundary.sh BIN - proves the worker binary holds no privileged code.
#
# dockgate-worker must link only protocol/, sandbox/ and worker/: no libcurl,
# no policy, no broker, no engine client, no worker pool.  Any symbol, defined
# or referenced, named curl_* or broker_/policy_/engine_/pool_* fails, and so
# does a dynamic dependency on libcurl.  Nor may it hold the test-only evil
# worker's attacks (evil_*: tests/, the dockgate-worker-evil build only).

set -eu

BIN=${1:?usage: check-boundary.sh BIN}
[ -f "$BIN" ] || {
        echo "boundary: $BIN not found" >&2
        exit 1
}
BAD='^(curl_|broker_|policy_|engine_|pool_|evil_)'
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

# Dynamic symbols: what the binary imports from shared libraries.
nm -D "$BIN" 2>/dev/null | awk '{print $NF}' >"$tmp" || true
# The full symbol table, when the binary is not stripped.
if nm "$BIN" 2>&1 | grep -q ': no symbols$'; then
        echo "boundary: warning: $BIN has no symbol table; dynamic symbols only" >&2
else
        nm "$BIN" | awk '{print $NF}' >>"$tmp"
fi
[ -s "$tmp" ] || {
        echo "boundary: no symbols read from $BIN" >&2
        exit 1
}

fail=0
# Versioned names look like curl_easy_init@CURL_OPENSSL_4.
hits=$(sed 's/@.*//' "$tmp" | grep -E "$BAD" | sort -u || true)
if [ -n "$hits" ]; then
        echo "boundary: $BIN references privileged symbols:" >&2
        echo "$hits" | sed 's/^/  /' >&2
        fail=1
fi
if readelf -d "$BIN" 2>/dev/null | grep -q 'NEEDED.*libcurl'; then
        echo "boundary: $BIN links libcurl" >&2
        fail=1
fi
[ $fail = 0 ] || exit 1
echo "boundary: ok"
