#!/bin/sh
# run-gateway.sh [BUILD] - what `make run` runs: a gateway you can use, in
# the foreground, until Ctrl-C.
#
# Finds a Docker Engine (DOCKGATE_ENGINE if set, else the system one at
# /var/run/docker.sock if it answers, else a private one started under
# $DIR/engine), writes a policy that maps you to peer "you", starts
# dockgated on $DIR/dockgate.sock (and a Docker-API socket beside it when
# this build has --docker-socket), checks that you can call it, and prints
# the lines to paste in another terminal.  Ctrl-C (or SIGTERM) stops the
# gateway and any engine it started, by pid.
#
# "You" is the user who ran it: SUDO_UID under sudo, else the caller's uid
# (root included); DOCKGATE_RUN_UID overrides.  DOCKGATE_RUN_DIR (default
# /tmp/dockgate-run) holds the socket, the policy and a private engine.
# Needs root: dockgated starts its workers as root so that they can drop to
# nobody, and a private engine needs root too.

set -eu

BUILD=${1:-build}
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DIR=${DOCKGATE_RUN_DIR:-/tmp/dockgate-run}
ENGINE_SH="$ROOT/tests/lib/engine.sh"
SYSTEM_ENGINE=/var/run/docker.sock

die() {
        echo "make run: $*" >&2
        exit 1
}

[ "$(id -u)" = 0 ] || die "needs root: dockgated starts its sandboxed workers as root (try: sudo make run)"
for b in dockgated dockgate-worker dockgate; do
        [ -x "$BUILD/bin/$b" ] || die "$BUILD/bin/$b is not built (make all)"
done
BIN=$(cd "$BUILD/bin" && pwd)

# The peer: who ran us.
if [ -n "${DOCKGATE_RUN_UID:-}" ]; then
        PEER_UID=$DOCKGATE_RUN_UID
elif [ -n "${SUDO_UID:-}" ]; then
        PEER_UID=$SUDO_UID
else
        PEER_UID=$(id -u)
fi
case "$PEER_UID" in
'' | *[!0-9]*) die "uid '$PEER_UID' is not a number" ;;
esac
PEER_GID=$(getent passwd "$PEER_UID" | cut -d: -f4)
[ -n "$PEER_GID" ] || PEER_GID=$PEER_UID

GW_PID=""
STARTED_ENGINE=""
stop_all() {
        set +e
        if [ -n "$GW_PID" ] && kill -0 "$GW_PID" 2>/dev/null; then
                kill -TERM "$GW_PID" 2>/dev/null
                wait "$GW_PID" 2>/dev/null
                echo "make run: gateway stopped"
        fi
        GW_PID=""
        if [ -n "$STARTED_ENGINE" ]; then
                sh "$ENGINE_SH" stop "$DIR/engine"
                echo "make run: private engine stopped"
                STARTED_ENGINE=""
        fi
        rm -f "$DIR/dockgate.sock" "$DIR/docker.sock"
}
trap 'stop_all' EXIT
trap 'exit 130' INT
trap 'exit 129' HUP
trap 'exit 143' TERM

mkdir -p "$DIR"
chmod 755 "$DIR" # peers of any uid reach the sockets inside
as_you() { setpriv --reuid="$PEER_UID" --regid="$PEER_GID" --clear-groups "$@"; }
as_you test -x "$DIR" ||
        die "uid $PEER_UID cannot enter $DIR: set DOCKGATE_RUN_DIR to a directory it can reach"

# -- the engine -------------------------------------------------------------
if [ -n "${DOCKGATE_ENGINE:-}" ]; then
        ENGINE=$DOCKGATE_ENGINE
        sh "$ENGINE_SH" ping "$ENGINE" || die "no engine answers on DOCKGATE_ENGINE=$ENGINE"
elif sh "$ENGINE_SH" ping "$SYSTEM_ENGINE"; then
        ENGINE=$SYSTEM_ENGINE
else
        sh "$ENGINE_SH" stop "$DIR/engine" # one left by an interrupted run
        echo "make run: no engine runs; starting a private one under $DIR/engine"
        STARTED_ENGINE=1
        sh "$ENGINE_SH" start "$DIR/engine"
        ENGINE=$DIR/engine/docker.sock
fi
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$ENGINE" \
        http://d/images/dgtest:latest/json)
if [ "$code" != 200 ]; then
        echo "make run: importing the test image dgtest:latest (busybox) into $ENGINE"
        sh "$ENGINE_SH" import "$ENGINE"
fi

# -- the policy: you, with the ordinary tenant's defaults ---------------------
printf '{"peers": {"you": {"uids": [%s]}}}\n' "$PEER_UID" >"$DIR/policy.json"
"$BIN/dockgated" --check-policy "$DIR/policy.json" >/dev/null ||
        die "the generated policy was refused"

# -- the gateway ------------------------------------------------------------
SOCK=$DIR/dockgate.sock
DOCKER_SOCK=$DIR/docker.sock
set -- --socket "$SOCK" --engine "$ENGINE" --policy "$DIR/policy.json" \
        --worker "$BIN/dockgate-worker" --worker-user nobody --pool 2 --log-level info
# The Docker-API front, when this build has it.
if "$BIN/dockgated" --help 2>&1 | grep -q -- '--docker-socket'; then
        set -- "$@" --docker-socket "$DOCKER_SOCK"
else
        DOCKER_SOCK=""
fi
rm -f "$SOCK" "$DOCKER_SOCK"
# Its log is this terminal: workers' lines come through dockgated's stderr.
# Its own session: Ctrl-C reaches only this script, whose trap stops the
# gateway (stop_all) and exits 130.  (In the terminal's group, dockgated
# could exit 0 on the SIGINT before this shell's wait saw the signal.)
setsid "$BIN/dockgated" "$@" </dev/null &
GW_PID=$!

# Ready when the socket answers a call from you.
i=0
until [ -S "$SOCK" ] && as_you env DOCKGATE_SOCKET="$SOCK" "$BIN/dockgate" ping >/dev/null 2>"$DIR/ping.err"; do
        kill -0 "$GW_PID" 2>/dev/null || die "dockgated exited during start (its log is above)"
        i=$((i + 1))
        # No progress for 60 s: the socket never answered.
        [ $i -lt 600 ] || die "uid $PEER_UID got no answer on $SOCK in 60 s: $(cat "$DIR/ping.err")"
        sleep 0.1
done
rm -f "$DIR/ping.err"

cat <<EOF

dockgate is running (pid $GW_PID) for uid $PEER_UID, as peer "you", on $ENGINE.
Paste these in another terminal (as uid $PEER_UID):

export DOCKGATE_SOCKET=$SOCK
EOF
[ -n "$DOCKER_SOCK" ] && echo "export DOCKER_HOST=unix://$DOCKER_SOCK"
cat <<EOF
$BIN/dockgate run --rm dgtest:latest echo hello

Then: dockgate help, dockgate ps -a, dockgate run -it --rm dgtest:latest sh.
Policy: $DIR/policy.json (edit, then kill -HUP $GW_PID).  Ctrl-C stops it.

EOF

# In the foreground until it stops, or Ctrl-C / SIGTERM stop it (the traps).
set +e
wait "$GW_PID"
rc=$?
GW_PID=""
exit $rc
