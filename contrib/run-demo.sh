#!/bin/sh
# run-demo.sh [BUILD] - what `make run` runs: a gateway and one peer session.
#
# Installs what is missing, builds if needed, finds a Docker Engine (the
# system one at /var/run/docker.sock if it answers, else a private one under
# /tmp/dockgate-demo/engine), starts dockgated on /tmp/dockgate-demo/dockgate.sock
# with a policy that maps the current uid to peer "demo", and then, as that
# peer, with the dockgate command-line tool: ping, create, start, follow the
# logs to the container's exit, remove.  It stops the gateway and any engine
# it started, whatever happens.  Needs root (a private dockerd; dockgated
# drops its workers to nobody).

set -eu

BUILD=${1:-build}
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=/usr/bin/python3
DEMO=/tmp/dockgate-demo
SYSTEM_ENGINE=/var/run/docker.sock
ENGINE_SH="$ROOT/tests/lib/engine.sh"

say() { printf '\n== %s\n' "$*"; }
die() {
        echo "run-demo: $*" >&2
        exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (try: sudo make run)"

sh "$ROOT/contrib/install-deps.sh"
for b in dockgated dockgate-worker dockgate; do
        if [ ! -x "$BUILD/bin/$b" ]; then
                say "building"
                make -j2 BUILD="$BUILD" "$BUILD/bin/dockgated" "$BUILD/bin/dockgate-worker" \
                        "$BUILD/bin/dockgate"
                break
        fi
done
BIN=$(cd "$BUILD/bin" && pwd)

GW_PID=""
STARTED_ENGINE=""
CID=""
ENGINE=""
cleanup() {
        rc=$?
        set +e
        if [ -n "$CID" ] && [ -n "$ENGINE" ]; then
                curl -s --unix-socket "$ENGINE" -X DELETE \
                        "http://d/containers/$CID?force=1" >/dev/null 2>&1
        fi
        if [ -n "$GW_PID" ] && kill -0 "$GW_PID" 2>/dev/null; then
                kill "$GW_PID"
                i=0
                while kill -0 "$GW_PID" 2>/dev/null && [ $i -lt 40 ]; do
                        sleep 0.25
                        i=$((i + 1))
                done
                kill -0 "$GW_PID" 2>/dev/null && kill -9 "$GW_PID"
                wait "$GW_PID" 2>/dev/null
                echo "run-demo: gateway stopped (status $?)"
        fi
        if [ -n "$STARTED_ENGINE" ]; then
                sh "$ENGINE_SH" stop "$DEMO/engine"
                echo "run-demo: private engine stopped"
        fi
        exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$DEMO"
chmod 755 "$DEMO"

say "engine"
if sh "$ENGINE_SH" ping "$SYSTEM_ENGINE"; then
        ENGINE=$SYSTEM_ENGINE
        echo "using the system engine at $ENGINE"
        code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$ENGINE" \
                http://d/images/dgtest:latest/json)
        if [ "$code" != 200 ]; then
                echo "importing dgtest:latest into it"
                sh "$ENGINE_SH" import "$ENGINE"
        fi
else
        # A private engine left over from an interrupted run goes first.
        sh "$ENGINE_SH" stop "$DEMO/engine"
        echo "starting a private engine under $DEMO/engine"
        STARTED_ENGINE=1
        sh "$ENGINE_SH" start "$DEMO/engine"
        ENGINE=$DEMO/engine/docker.sock
fi

say "policy: uid $(id -u) is peer \"demo\""
"$PY" - "$ROOT/contrib/policy.example.json" "$DEMO/policy.json" "$(id -u)" <<'EOF'
import json, sys
src, dst, uid = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(src) as f:
    ex = json.load(f)
demo = ex["peers"]["demo"]
demo["uids"] = [uid]
pol = {"ownerLabel": ex.get("ownerLabel", "dockgate.owner"), "peers": {"demo": demo}}
with open(dst, "w") as f:
    json.dump(pol, f, indent=2)
print(json.dumps(pol, indent=2))
EOF
"$BIN/dockgated" --check-policy "$DEMO/policy.json"

say "gateway"
SOCK=$DEMO/dockgate.sock
rm -f "$SOCK" "$DEMO/log.fifo"
# The log goes through a pipe: workers run with RLIMIT_FSIZE 0 and cannot
# write to a regular file, so their lines would be lost.
mkfifo "$DEMO/log.fifo"
cat "$DEMO/log.fifo" >"$DEMO/dockgated.log" &
"$BIN/dockgated" --socket "$SOCK" --engine "$ENGINE" --policy "$DEMO/policy.json" \
        --worker "$BIN/dockgate-worker" --worker-user nobody --pool 2 --log-level info \
        </dev/null 2>"$DEMO/log.fifo" &
GW_PID=$!
i=0
until [ -S "$SOCK" ]; do
        kill -0 "$GW_PID" 2>/dev/null || {
                cat "$DEMO/dockgated.log" >&2
                die "dockgated exited during start"
        }
        i=$((i + 1))
        [ $i -lt 100 ] || die "dockgated socket did not appear in 10 s"
        sleep 0.1
done
rm -f "$DEMO/log.fifo" # both ends are open by now
echo "dockgated pid $GW_PID on $SOCK (log: $DEMO/dockgated.log)"

# One call: shows the command and every frame (one JSON line each) on
# stderr, and prints the frames on stdout too for the caller to read.
call() {
        echo "\$ dockgate call $1 '$2'" >&2
        if ! out=$("$BIN/dockgate" --socket "$SOCK" call "$1" "$2"); then
                printf '%s\n' "$out" >&2
                die "call $1 failed"
        fi
        printf '%s\n' "$out" >&2
        printf '%s\n' "$out"
}

# A subscription, shown live as its frames arrive.
call_live() {
        echo "\$ dockgate call $1 '$2'"
        "$BIN/dockgate" --socket "$SOCK" call "$1" "$2" || die "call $1 failed"
}

# The output of the call.responded line on stdin, field $1.
field() {
        "$PY" -c '
import json, sys
for line in sys.stdin:
    f = json.loads(line)
    if f.get("type") == "call.responded":
        print(f["payload"]["output"][sys.argv[1]])
        break
' "$1"
}

say "peer session"
call docker/system/ping '{}' >/dev/null
NAME=dockgate-demo-$$
out=$(call docker/container/create "{\"image\": \"dgtest:latest\", \"name\": \"$NAME\", \"cmd\": [\"sh\", \"-c\", \"for i in 1 2 3; do echo hello \$i; sleep 1; done\"]}")
CID=$(echo "$out" | field containerId)
[ -n "$CID" ] || die "create gave no containerId"
call docker/container/start "{\"containerId\": \"$CID\"}" >/dev/null
call_live docker/container/logs "{\"containerId\": \"$CID\", \"follow\": true, \"stdout\": true, \"stderr\": true}"
call docker/container/remove "{\"containerId\": \"$CID\"}" >/dev/null
CID=""

say "done: the gateway log"
tail -n 20 "$DEMO/dockgated.log"
