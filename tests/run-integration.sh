#!/bin/sh
# run-integration.sh BUILD [PYTEST-ARGS...] - runs tests/integration against
# the binaries in BUILD/bin and one private engine started for the whole
# run: dockerd, or Podman with ENGINE=podman (tests/lib/engine.sh).  Extra
# arguments go to pytest (e.g. -k tenancy, or a file).
#
# The engine lives in a mktemp dir and is stopped on every exit path.  The
# exit status is pytest's.  POSIX sh: the Makefile runs it with `sh`.

set -eu

BUILD=${1:-build}
[ $# -gt 0 ] && shift
cd "$(dirname "$0")/.."
ROOT=$(pwd)
case "$BUILD" in
/*) ;;
*) BUILD=$ROOT/$BUILD ;;
esac

PY=/usr/bin/python3 # a pyenv python3 may shadow it on PATH, without pytest
[ "$(id -u)" = 0 ] || {
        echo "run-integration: needs root (private engine, setuid workers)" >&2
        exit 1
}
for b in dockgated dockgate-worker dockgate-worker-evil; do
        [ -x "$BUILD/bin/$b" ] || {
                echo "run-integration: $BUILD/bin/$b is missing (make all)" >&2
                exit 1
        }
done

DIR=$(mktemp -d /tmp/dgit.XXXXXX)
cleanup() {
        sh "$ROOT/tests/lib/engine.sh" stop "$DIR/eng" || true
        rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ENGINE=${ENGINE:-docker}
export ENGINE
sh "$ROOT/tests/lib/engine.sh" start "$DIR/eng"

export PYTHONDONTWRITEBYTECODE=1 # nothing written into the work tree
export DOCKGATE_BUILD="$BUILD"
DOCKGATE_TEST_ENGINE=$(sh "$ROOT/tests/lib/engine.sh" sock "$DIR/eng")
export DOCKGATE_TEST_ENGINE
echo "run-integration: engine $ENGINE on $DOCKGATE_TEST_ENGINE"
set +e
# -p no:cacheprovider: no .pytest_cache in the work tree.  Each test has a
# timeout of its own (peer.py); the run as a whole stays in a few minutes.
if [ $# -eq 0 ]; then
        set -- "$ROOT/tests/integration"
fi
"$PY" -m pytest -q -p no:cacheprovider -o console_output_style=classic "$@"
rc=$?
set -e
exit $rc
