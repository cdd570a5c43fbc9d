#!/bin/sh
# demo.sh [BUILD] - what `make demo` runs: a short scripted tour of the
# dockgate tool's verbs against a gateway started by run-gateway.sh (in
# /tmp/dockgate-demo, stopped by pid at the end, whatever happens).
# The tour runs as the user who ran it (SUDO_UID under sudo).

set -eu

BUILD=${1:-build}
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export DOCKGATE_RUN_DIR=/tmp/dockgate-demo
OUT=$(mktemp /tmp/dockgate-demo-out.XXXXXX)
RUN_PID=""

finish() {
        rc=$?
        set +e
        if [ -n "$RUN_PID" ]; then
                kill -TERM "$RUN_PID" 2>/dev/null
                wait "$RUN_PID" 2>/dev/null
        fi
        rm -f "$OUT"
        exit $rc
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sh "$ROOT/contrib/run-gateway.sh" "$BUILD" >"$OUT" 2>&1 &
RUN_PID=$!
until grep -q '^export DOCKGATE_SOCKET=' "$OUT"; do
        if ! kill -0 "$RUN_PID" 2>/dev/null; then
                cat "$OUT" >&2
                echo "make demo: the gateway did not start" >&2
                exit 1
        fi
        sleep 0.2
done
export DOCKGATE_SOCKET
DOCKGATE_SOCKET=$(sed -n 's/^export DOCKGATE_SOCKET=//p' "$OUT")
UID_=$(sed -n 's/.* for uid \([0-9]*\),.*/\1/p' "$OUT")
GID_=$(getent passwd "$UID_" | cut -d: -f4)
DG="$(cd "$BUILD/bin" && pwd)/dockgate"

# Each step: the command as you would type it, then what it printed.
as_you() { setpriv --reuid="$UID_" --regid="${GID_:-$UID_}" --clear-groups "$@"; }
step() {
        printf '\n$ dockgate'
        for a in "$@"; do
                case "$a" in
                *[!A-Za-z0-9_.:/=-]*) printf " '%s'" "$a" ;;
                *) printf ' %s' "$a" ;;
                esac
        done
        printf '\n'
        rc=0
        as_you "$DG" "$@" || rc=$?
        [ $rc = 0 ] || echo "(exit status $rc)"
}

NAME=web-$$
step version
step run --rm dgtest:latest sh -c 'echo hello from a container; exit 3'
# A container that runs for a while, in the background of this script.
as_you "$DG" run --name "$NAME" dgtest:latest \
        sh -c 'i=0; while [ $i -lt 600 ]; do echo tick $i; i=$((i+1)); sleep 1; done' \
        >/dev/null 2>&1 &
BG=$!
until as_you "$DG" exec "$NAME" true >/dev/null 2>&1; do
        kill -0 "$BG" 2>/dev/null || break
        sleep 0.2
done
step ps
step exec "$NAME" sh -c 'echo I am $(hostname), uid $(id -u)'
step logs "$NAME"
step top "$NAME"
step run --rm --privileged dgtest:latest true
step run --rm nosuchimage:latest true
step rm -f "$NAME"
wait "$BG" 2>/dev/null || true
step usage
printf '\nThe gateway log:\n'
sed -n '/^dockgated\[/p' "$OUT" | tail -n 8
printf '\nTry it yourself: make run\n'
