#!/bin/sh
# run-unit.sh - runs each cmocka unit-test binary given as an argument, shows
# its output, and ends with one line: "unit: N passed, N failed" (test cases).
# A binary that is missing or dies without cmocka's summary counts as one
# failed case.  Exits non-zero when anything failed.

passed=0
failed=0
out=$(mktemp "${TMPDIR:-/tmp}/run-unit.XXXXXX") || exit 2
trap 'rm -f "$out"' EXIT INT TERM

for bin in "$@"; do
        echo "== $bin"
        if [ ! -x "$bin" ]; then
                echo "run-unit: $bin: not an executable"
                failed=$((failed + 1))
                continue
        fi
        "$bin" >"$out" 2>&1
        rc=$?
        cat "$out"
        p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test(s)\..*/\1/p' "$out" | tail -n 1)
        f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test(s).*/\1/p' "$out" | tail -n 1)
        if [ -z "$p" ] && [ -z "$f" ]; then
                # no summary: it crashed, or is not a cmocka binary
                echo "run-unit: $bin: exited $rc without a cmocka summary"
                failed=$((failed + 1))
                continue
        fi
        passed=$((passed + ${p:-0}))
        failed=$((failed + ${f:-0}))
        if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
                # cmocka reported success but the process failed (e.g. a leak report)
                echo "run-unit: $bin: exited $rc"
                failed=$((failed + 1))
        fi
done

echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
