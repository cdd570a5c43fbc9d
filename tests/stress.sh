#!/bin/sh
# stress.sh BUILD [ROUNDS] - the raw, stream and load integration tests with
# the machine busy and slow peers, ROUNDS times in a row (default 3); every
# round must pass (issue 10, "the class, not the instance").
#
# Busy: three CPU-bound processes on two cores, started here and stopped by
# their pids on every exit path.  Slow peers: the tests' peers read at most
# 4 KiB at a time and pause 1 ms after each read (DOCKGATE_SLOW_PEER_MS,
# tests/integration/peer.py).  Each round is one run-integration.sh (its own
# private engine).  POSIX sh: the Makefile runs it with `sh`.

set -eu

BUILD=${1:-build}
ROUNDS=${2:-3}
cd "$(dirname "$0")/.."

HOGS=""
cleanup() {
        for p in $HOGS; do
                kill "$p" 2>/dev/null || true
        done
        for p in $HOGS; do
                wait "$p" 2>/dev/null || true
        done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for _ in 1 2 3; do
        sh -c 'while :; do :; done' &
        HOGS="$HOGS $!"
done

export DOCKGATE_SLOW_PEER_MS=1
T=tests/integration
round=1
while [ "$round" -le "$ROUNDS" ]; do
        echo "stress: round $round of $ROUNDS (3 CPU-bound processes, peers at 1 ms per 4 KiB)"
        start=$(date +%s)
        sh tests/run-integration.sh "$BUILD" "$T/test_raw.py" "$T/test_stream.py" \
                "$T/test_load.py" "$T/test_exec.py::test_raw_cat_8mib_sha256"
        echo "stress: round $round passed in $(($(date +%s) - start)) s"
        round=$((round + 1))
done
