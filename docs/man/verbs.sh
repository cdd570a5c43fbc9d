#!/bin/sh
# verbs.sh DOCKGATE <dockgate.1.in >dockgate.1 - fills in the @VERBS@ line of
# dockgate(1) with every verb of `dockgate help`, each with its usage lines
# (so every flag the tool knows) and its one line of help, in roff.
set -eu
DG=$1

# roff: a backslash is \e, a hyphen that must stay one is \-.
roff() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^[.']/\\\\\&&/"; }

verbs() {
        "$DG" help | sed -n '/^verbs:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' |
                while read -r v; do
                        "$DG" help "$v" >"${TMPDIR:-/tmp}/dgverb.$$"
                        echo ".TP"
                        sed -n -e 's/^usage: dockgate /dockgate /p' -e 's/^       \([^ ]\)/\1/p' \
                                "${TMPDIR:-/tmp}/dgverb.$$" | roff | sed -e 's/^/.B "/' -e 's/$/"/' |
                                sed -e '2,$s/^/.br\n/'
                        echo ".br"
                        sed -n 's/^  \([^ ].*\)/\1/p' "${TMPDIR:-/tmp}/dgverb.$$" | roff
                        rm -f "${TMPDIR:-/tmp}/dgverb.$$"
                done
}

while IFS= read -r line; do
        if [ "$line" = "@VERBS@" ]; then
                verbs
        else
                printf '%s\n' "$line"
        fi
done
