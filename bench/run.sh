#!/bin/sh
# run.sh BUILD - `make bench`: dockgate against the Docker Engine's own socket.
#
# Starts a private engine (tests/lib/engine.sh) and a dockgated on private
# sockets, creates the containers the workloads need straight on the engine
# (labelled as the bench peer's), runs bench/dgbench's workloads, each
# alternating direct and gateway rounds, and prints one table on stdout.
# Everything it started is stopped by pid, and its directory removed, on
# every exit path.  Needs root (a private dockerd, setuid workers).
#
# Knobs (environment): BENCH_QUICK=1 shortens every workload (a smoke run);
# BENCH_IDLE (default 1000) idle streams; BENCH_LOG_MB (default 200).
#
# POSIX sh: the Makefile runs it with `sh`.

set -eu

BUILD=${1:-build}
cd "$(dirname "$0")/.."
ROOT=$(pwd)
case "$BUILD" in
/*) ;;
*) BUILD=$ROOT/$BUILD ;;
esac
BIN=$BUILD/bin
DGB=$BUILD/bench/dgbench
QUICK=${BENCH_QUICK:-0}
IDLE=${BENCH_IDLE:-1000}
LOG_MB=${BENCH_LOG_MB:-200}

[ "$(id -u)" = 0 ] || {
        echo "bench: needs root (private dockerd, setuid workers)" >&2
        exit 1
}
for b in "$BIN/dockgated" "$BIN/dockgate-worker" "$DGB"; do
        [ -x "$b" ] || {
                echo "bench: $b is missing (make all bench)" >&2
                exit 1
        }
done

DIR=$(mktemp -d /tmp/dgb.XXXXXX)
chmod 755 "$DIR"
GW_PID=""
cleanup() {
        if [ -n "$GW_PID" ] && kill -0 "$GW_PID" 2>/dev/null; then
                kill "$GW_PID" 2>/dev/null || true
                i=0
                while kill -0 "$GW_PID" 2>/dev/null && [ $i -lt 100 ]; do
                        sleep 0.1
                        i=$((i + 1))
                done
                kill -9 "$GW_PID" 2>/dev/null || true
        fi
        sh "$ROOT/tests/lib/engine.sh" stop "$DIR/eng" >/dev/null 2>&1 || true
        rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ENG=$DIR/eng/docker.sock
GW=$DIR/gw.sock

ecurl() {
        curl -sS --max-time 600 --unix-socket "$ENG" "$@"
}

# Creates a container straight on the engine, owned by the bench peer
# ("alpha", uid 0), and prints its id.  $1: the Cmd as a JSON array; $2:
# more fields of the create body (optional, with a leading comma).
create() {
        ecurl -X POST -H 'Content-Type: application/json' \
                -d "{\"Image\":\"dgtest:latest\",\"Cmd\":$1,\"Labels\":{\"dockgate.owner\":\"alpha\"},\"HostConfig\":{\"NetworkMode\":\"none\"}${2:-}}" \
                http://d/v1.41/containers/create | sed -n 's/.*"Id":"\([0-9a-f]*\)".*/\1/p'
}

echo "bench: starting a private engine in $DIR ..." >&2
sh "$ROOT/tests/lib/engine.sh" start "$DIR/eng"

# The machine, for the record.
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
printf 'machine: %s CPUs (%s), %s MB RAM, %s, kernel %s, Docker Engine %s\n' \
        "$(nproc)" "$cpu" "$(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo)" \
        "$(. /etc/os-release && echo "$PRETTY_NAME")" "$(uname -r)" \
        "$(ecurl http://d/v1.41/version | sed -n 's/.*"Version":"\([^"]*\)".*/\1/p' | head -n 1)"

# No quotas: the bench measures what the gateway costs, not its rate limits.
echo '{"peers": {"alpha": {"uids": [0], "quotas": {"callsPerSecond": null, "streams": null, "containers": null}}}}' >"$DIR/policy.json"
# Descriptors: one per stream and one per worker channel: as many as allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# Nor the accept-time bounds (supervisor/admit.c): 1,000 idle streams, fresh
# connections as fast as they come.
echo '{"streamsPerSecondPerPeer": 0, "maxWorkers": 4096, "maxWorkersPerPeer": 4096, "firstCallSeconds": 300}' >"$DIR/config.json"
"$BIN/dockgated" --config "$DIR/config.json" --socket "$GW" --engine "$ENG" --policy "$DIR/policy.json" \
        --worker "$BIN/dockgate-worker" --worker-user nobody --pool 64 \
        --log-level info </dev/null >"$DIR/gateway.log" 2>&1 &
GW_PID=$!
i=0
while ! grep -q "$GW" /proc/net/unix 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 100 ] || ! kill -0 "$GW_PID" 2>/dev/null; then
                tail -n 20 "$DIR/gateway.log" >&2
                echo "bench: dockgated did not start" >&2
                exit 1
        fi
        sleep 0.1
done

# Inspected, and exec'd into: running.
CT=$(create '["sleep","3600"]')
[ -n "$CT" ] || {
        echo "bench: cannot create a container" >&2
        exit 1
}
ecurl -X POST "http://d/v1.41/containers/$CT/start" >/dev/null
# Attached to: cat echoes stdin to stdout; stdin stays open between attaches.
AT=$(create '["cat"]' ',"OpenStdin":true,"StdinOnce":false,"AttachStdin":true')
ecurl -X POST "http://d/v1.41/containers/$AT/start" >/dev/null
# 100-byte lines (99 characters and a newline), LOG_MB MiB in all, written once.
LINE=$(printf '%099d' 0 | tr 0 x)
LOGS=$(create "[\"sh\",\"-c\",\"yes $LINE | head -c $((LOG_MB * 1048576))\"]")
echo "bench: container $LOGS writes $LOG_MB MiB of logs ..." >&2
ecurl -X POST "http://d/v1.41/containers/$LOGS/start" >/dev/null
ecurl -X POST "http://d/v1.41/containers/$LOGS/wait" >/dev/null

export DGB_ENGINE="$ENG" DGB_GATEWAY="$GW" DGB_CONTAINER="$CT" DGB_LOGS="$LOGS" DGB_PID="$GW_PID"

if [ "$QUICK" = 1 ]; then
        CALLS=50 ROUNDS=2 RROUNDS=1 SECS=1 LROUNDS=1 HCALLS=50 STEPS=2 PINGS=50
        [ "$IDLE" -le 200 ] || IDLE=200
else
        CALLS=300 ROUNDS=5 RROUNDS=3 SECS=2 LROUNDS=3 HCALLS=300 STEPS=4 PINGS=200
fi

printf '%-34s %12s %12s %-6s %7s  %s\n' workload direct dockgate unit ratio "target (DESIGN.md)"
"$DGB" latency ping "$CALLS" "$ROUNDS" 3000
"$DGB" latency inspect "$CALLS" "$ROUNDS" 3000
"$DGB" rate ping 1 "$RROUNDS" "$SECS"
"$DGB" rate ping 16 "$RROUNDS" "$SECS"
"$DGB" rate inspect 1 "$RROUNDS" "$SECS"
"$DGB" rate inspect 16 "$RROUNDS" "$SECS"
# The same calls on streams kept open: the per-call cost without the
# per-stream one (a worker process each); no DESIGN.md target, for insight.
"$DGB" kept ping 1 "$RROUNDS" "$SECS"
"$DGB" kept ping 16 "$RROUNDS" "$SECS"
"$DGB" logs "$LROUNDS"
# exec and attach skip themselves while the gateway cannot serve them yet.
"$DGB" exec "$((CALLS / 3))" "$ROUNDS"
DGB_ATTACH=$AT "$DGB" attach 64 "$ROUNDS"
"$DGB" handoff "$HCALLS"
"$DGB" idle "$IDLE" "$STEPS" "$PINGS"

# The gateway must have survived all of it.
kill -0 "$GW_PID" 2>/dev/null || {
        echo "bench: dockgated died; log tail:" >&2
        tail -n 30 "$DIR/gateway.log" >&2
        exit 1
}
if grep -E 'killed by|exited with status|fatal' "$DIR/gateway.log" >/dev/null; then
        echo "bench: unexpected worker deaths in the gateway log:" >&2
        grep -E 'killed by|exited with status|fatal' "$DIR/gateway.log" | head -n 5 >&2
fi
for c in $CT $LOGS $AT; do
        ecurl -X DELETE "http://d/v1.41/containers/$c?force=1" >/dev/null || true
done
