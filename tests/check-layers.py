#!/usr/bin/env python3
"""check-layers.py - the supervisor's include graph reads top-down.

Every supervisor module (a .c and its .h) sits in one layer of
docs/ARCHITECTURE.md; a file may include headers of its own layer or the
layers below it, never above.  A module that is in no layer
is reported until it is placed (here and in docs/ARCHITECTURE.md).
Not yet part of make unit: the upward includes it lists are still to be
broken (docs/ARCHITECTURE.md, "Layers").
"""
import fnmatch
import glob
import os
import re
import sys

# Lowest first.  Patterns match the module name (file name without .c/.h).
LAYERS = [
    ("leaves", ["supervisor", "config", "engine", "policy", "account", "audit", "wlog",
                "rate", "notify", "bindroot", "detect", "profile"]),
    ("processes and fds", ["pool", "pool_*", "listener", "admit", "opencall"]),
    ("broker", ["broker", "auditrec"]),
    ("handler kit and helpers", ["ops", "ops_*", "resolve", "quota", "names", "redact",
                                 "lease", "create_*", "filters", "imageref", "build_images"]),
    ("operations", ["op_*"]),
    ("process", ["main", "admin", "sampler"]),
]


def layer_of(mod):
    for i, (_, pats) in enumerate(LAYERS):
        if any(fnmatch.fnmatchcase(mod, p) for p in pats):
            return i
    return None


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    d = os.path.join(root, "supervisor")
    bad = 0
    for f in sorted(glob.glob(os.path.join(d, "*.[ch]"))):
        mod = os.path.basename(f)[:-2]
        mine = layer_of(mod)
        if mine is None:
            print("check-layers: warning: supervisor/%s is in no layer: place it in "
                  "tests/check-layers.py and docs/ARCHITECTURE.md" % os.path.basename(f))
            continue
        for inc in re.findall(r'^#include "([^"]+)\.h"', open(f).read(), re.M):
            if not os.path.exists(os.path.join(d, inc + ".h")):
                continue  # protocol/, audit/, sandbox/: below every supervisor layer
            theirs = layer_of(inc)
            if theirs is not None and theirs > mine:
                print("check-layers: supervisor/%s (%s) includes %s.h (%s), a layer above it"
                      % (os.path.basename(f), LAYERS[mine][0], inc, LAYERS[theirs][0]))
                bad = 1
    if not bad:
        print("check-layers: every supervisor include goes down or across, never up")
    return bad


if __name__ == "__main__":
    sys.exit(main())
