#!/bin/sh
# run.sh FUZZ_DIR SECONDS NAME... - replays, then fuzzes, each harness.
#
# For each NAME: first the committed seeds (corpus/NAME/) and regression
# inputs (regress/NAME/) are run once each by FUZZ_DIR/fuzz_NAME: any of
# them failing fails the run.  Then the harness fuzzes for SECONDS, starting
# from the seeds; new inputs go to a scratch directory (the committed
# corpus is never written), crashes to FUZZ_DIR/artifacts/.  A crash fails
# the run: turn the artifact into regress/NAME/<name> and fix the bug.
#
# POSIX sh: the Makefile runs it with `sh`.

set -eu

[ $# -ge 3 ] || {
        echo "usage: run.sh FUZZ_DIR SECONDS NAME..." >&2
        exit 2
}
FUZZ_DIR=$1
SECS=$2
shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
ART=$FUZZ_DIR/artifacts
mkdir -p "$ART"
fail=0

# Per-harness options: room for long responses, messages and policies.
opts_for() {
        case "$1" in
        engine_reader | msg | mpjson | envelope | schema | policy) echo "-max_len=16384" ;;
        *) echo "-max_len=8192" ;;
        esac
}

for name in "$@"; do
        bin=$FUZZ_DIR/fuzz_$name
        [ -x "$bin" ] || {
                echo "fuzz: $bin is not built" >&2
                exit 1
        }
        log=$FUZZ_DIR/$name.log
        dict=""
        [ -f "$HERE/dict/$name.dict" ] && dict="-dict=$HERE/dict/$name.dict"

        # 1. Replay every committed input once.
        files=$(find "$HERE/corpus/$name" "$HERE/regress/$name" -type f 2>/dev/null | sort)
        if [ -n "$files" ]; then
                # shellcheck disable=SC2086 # one word per file; names have no spaces
                if ! "$bin" -runs=1 $files >"$log" 2>&1; then
                        echo "fuzz: $name: a committed input fails:" >&2
                        tail -n 40 "$log" >&2
                        fail=1
                        continue
                fi
        fi
        nfiles=$(echo "$files" | grep -c . || true)

        # 2. Fuzz from the seeds for SECS seconds.
        [ "$SECS" -gt 0 ] || {
                echo "fuzz: $name: $nfiles committed inputs replayed"
                continue
        }
        scratch=$(mktemp -d "${TMPDIR:-/tmp}/dgfuzz.XXXXXX")
        # shellcheck disable=SC2046,SC2086
        if "$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 $(opts_for "$name") \
                $dict -print_final_stats=1 -artifact_prefix="$ART/$name-" \
                "$scratch" "$HERE/corpus/$name" >"$log" 2>&1; then
                runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
                cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
                echo "fuzz: $name: $nfiles committed inputs replayed, ${runs:-?} runs in ${SECS}s, ${cov:-cov: ?}, no crash"
        else
                echo "fuzz: $name: CRASH (log $log, artifacts $ART/$name-*):" >&2
                grep -E 'ERROR|SUMMARY|Test unit written|==[0-9]+==' "$log" | head -n 20 >&2 || true
                fail=1
        fi
        rm -rf "$scratch"
done
exit $fail
