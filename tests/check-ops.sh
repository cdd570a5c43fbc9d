#!/bin/sh
# check-ops.sh - every operation of protocol/ops.def is complete: a row in
# the table of docs/operations.md, a row in the wire contract's operations
# table (docs/protocol.md), and an integration test naming it.  (Its
# schema and handler are checked by the compiler and test_schema.c: ops.def
# names both, and a missing one does not build.)  Exits non-zero, naming
# what is missing, when any is.
cd "$(dirname "$0")/.." || exit 2
ops=$(sed -n 's/^DG_OP([A-Z_]*, *"\([^"]*\)".*/\1/p' protocol/ops.def)
[ -n "$ops" ] || { echo "check-ops: no DG_OP rows in protocol/ops.def"; exit 2; }
bad=0
n=0
for op in $ops; do
        n=$((n + 1))
        if ! grep -q "^| \`$op\` |" docs/operations.md; then
                echo "check-ops: $op has no row in the table of docs/operations.md"
                bad=1
        fi
        # docs/protocol.md is the contract a client author reads: every operation is in it.
        if ! grep -q "^| \`$op\` |" docs/protocol.md; then
                echo "check-ops: $op has no row in the operations table of docs/protocol.md"
                bad=1
        fi
        if ! grep -q "[\"']$op[\"']" tests/integration/*.py; then
                echo "check-ops: no integration test names $op (tests/integration/)"
                bad=1
        fi
done
# and no row documents an operation that does not exist
for doc in docs/operations.md docs/protocol.md; do
        for op in $(sed -n 's/^| `\([a-z]*\/[a-z/]*\)` |.*/\1/p' "$doc"); do
                echo "$ops" | grep -qx "$op" || { echo "check-ops: $doc lists unknown $op"; bad=1; }
        done
done
[ "$bad" -eq 0 ] && echo "check-ops: $n operations, each with a schema, handler, doc rows and test"
exit "$bad"
