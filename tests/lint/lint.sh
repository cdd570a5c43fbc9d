#!/bin/sh
# lint.sh - the static checks `make lint` runs (and `make test` through it).
#
#   format     clang-format --dry-run -Werror over every tracked .c and .h
#   cppcheck   warning and portability checks over the C that ships
#              (protocol/ sandbox/ audit/ worker/ supervisor/ client/);
#              sys/queue.h and jansson.h are pre-included so that the TAILQ_*
#              and json_*_foreach macros expand and no file is skipped as
#              "unknown macro".  A finding that is wrong is suppressed where it
#              is, with a cppcheck-suppress comment saying why.
#   tidy       clang-tidy with the checks in .clang-tidy, over the same files
#
# Usage: lint.sh [format|cppcheck|tidy]...  (all three by default)

set -eu

cd "$(dirname "$0")/../.."
JOBS=${LINT_JOBS:-2}
DIRS="protocol sandbox audit worker supervisor client"
# As the Makefile builds them: a module's own directory comes from its quoted
# includes (-Isupervisor would hide <spawn.h> behind supervisor/spawn.h).
INC="-Iprotocol -Isandbox -Iaudit"
QUEUE_H=$(echo '#include <sys/queue.h>' | cc -E -H -x c - 2>&1 >/dev/null | awk '/queue\.h$/ {print $2; exit}')
JANSSON_H=$(echo '#include <jansson.h>' | cc -E -H -x c - 2>&1 >/dev/null | awk '/jansson\.h$/ {print $2; exit}')

lint_format() {
        # shellcheck disable=SC2046 # one word per file
        clang-format --dry-run -Werror $(git ls-files '*.c' '*.h')
        echo "lint: format ok"
}

lint_cppcheck() {
        [ -n "$QUEUE_H" ] && [ -n "$JANSSON_H" ] || {
                echo "lint: sys/queue.h or jansson.h not found" >&2
                exit 1
        }
        # shellcheck disable=SC2086 # INC and DIRS are word lists
        cppcheck -q -j"$JOBS" --std=c11 -D_GNU_SOURCE --enable=warning,portability \
                --inline-suppr --error-exitcode=1 --include="$QUEUE_H" --include="$JANSSON_H" \
                $INC $DIRS
        echo "lint: cppcheck ok"
}

lint_tidy() {
        out=$(mktemp)
        # shellcheck disable=SC2086,SC2046 # word lists
        if ! git ls-files $(for d in $DIRS; do echo "$d/*.c"; done) |
                xargs -P"$JOBS" -n8 sh -c 'clang-tidy --quiet "$@" -- '"-std=c11 -D_GNU_SOURCE $INC \
                        $(pkg-config --cflags jansson msgpack libevent)" sh >"$out" 2>&1; then
                grep -v 'warnings\? generated\.$' "$out" >&2
                rm -f "$out"
                echo "lint: tidy failed" >&2
                exit 1
        fi
        rm -f "$out"
        echo "lint: tidy ok"
}

[ $# -gt 0 ] || set -- format cppcheck tidy
for step in "$@"; do
        case $step in
        format | cppcheck | tidy) "lint_$step" ;;
        *)
                echo "lint: unknown step $step" >&2
                exit 2
                ;;
        esac
done
