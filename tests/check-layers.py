#!/usr/bin/env python3
"""check-layers.py - the include graphs of supervisor/ and worker/ read top-down.

Every module (a .c and its .h; a pattern naming a file, such as
"session.h", places that file alone) sits in one layer of
docs/ARCHITECTURE.md; a file may include headers of its own layer or of the
layers below it, never above.  Callbacks up go through small interfaces
given from above (supervisor/pool_up.h, worker/call.h struct call_up).
A module in no layer fails the check until it is placed (here and in
docs/ARCHITECTURE.md).  Run by `make unit`.
"""
import fnmatch
import glob
import os
import re
import sys

# Lowest first.  Patterns match the file name, or the module name (file name
# without .c/.h).
LAYERS = {
    "supervisor": [
        ("leaves", ["supervisor", "config", "engine", "policy", "policy_*", "account",
                    "audit", "audit_*", "wlog", "rate", "notify", "bindroot", "detect",
                    "profile", "buildcg"]),
        ("processes and fds", ["pool", "pool_*", "listener", "admit", "opencall", "spawn",
                               "zygote"]),
        ("broker", ["broker", "auditrec"]),
        ("handler kit and helpers", ["ops", "ops_*", "resolve", "quota", "names", "redact",
                                     "lease", "exectab", "evrelay", "create_*", "filters", "enginetime",
                                     "imageref", "imageown",
                                     "build_images", "buildtab"]),
        ("operations", ["op_*"]),
        ("process", ["main", "admin", "sampler"]),
    ],
    "worker": [
        ("leaves", ["session.h", "deadline", "chan", "sent", "ops", "hooks", "http", "tar", "tarfs",
                    "dockerfile", "build", "dapi_path", "dapi_req", "dapi_create", "dapi_knobs", "dapi_execbody", "dstream",
                    "zygote"]),
        ("calls", ["call"]),
        ("stream kinds", ["stream", "stream_*", "raw"]),
        ("Docker-API front", ["dapi", "dapi_conn", "dapi_relay", "dapi_render",
                              "dapi_routes", "dapi_filters", "dapi_objects", "dapi_events",
                              "dapi_containers", "dapi_exec", "dapi_build"]),
        ("peer connection", ["peer"]),
        ("process", ["main", "session.c"]),
    ],
}

# Upward includes still to break, each with its reason.  The check fails on
# any other, and on one listed here that is gone (so that the list shrinks).
KNOWN = {
}


def layer_of(layers, name):
    mod = name[:-2] if name.endswith((".c", ".h")) else name
    for i, (_, pats) in enumerate(layers):
        if any(fnmatch.fnmatchcase(name, p) for p in pats if p.endswith((".c", ".h"))):
            return i
    for i, (_, pats) in enumerate(layers):
        if any(fnmatch.fnmatchcase(mod, p) for p in pats if not p.endswith((".c", ".h"))):
            return i
    return None


def check(root, tree, layers, seen):
    d = os.path.join(root, tree)
    bad = 0
    for f in sorted(glob.glob(os.path.join(d, "*.[ch]"))):
        name = os.path.basename(f)
        mine = layer_of(layers, name)
        if mine is None:
            print("check-layers: %s/%s is in no layer: place it in tests/check-layers.py "
                  "and docs/ARCHITECTURE.md" % (tree, name))
            bad = 1
            continue
        for inc in re.findall(r'^#include "([^"]+)\.h"', open(f).read(), re.M):
            if not os.path.exists(os.path.join(d, inc + ".h")):
                continue  # protocol/, audit/, sandbox/: below every layer here
            theirs = layer_of(layers, inc + ".h")
            if theirs is None or theirs <= mine:
                continue
            key = (tree, name, inc)
            if key in KNOWN:
                seen.add(key)
                continue
            print("check-layers: %s/%s (%s) includes %s.h (%s), a layer above it"
                  % (tree, name, layers[mine][0], inc, layers[theirs][0]))
            bad = 1
    return bad


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    seen = set()
    bad = 0
    for tree, layers in LAYERS.items():
        bad |= check(root, tree, layers, seen)
    for key in sorted(set(KNOWN) - seen):
        print("check-layers: %s/%s no longer includes %s.h: drop it from KNOWN" % key)
        bad = 1
    for key in sorted(seen):
        print("check-layers: known, still to break: %s/%s includes %s.h (%s)"
              % (key + (KNOWN[key],)))
    if not bad:
        print("check-layers: every include in supervisor/ and worker/ goes down or across"
              " (%d known upward, listed above)" % len(seen))
    return bad


if __name__ == "__main__":
    sys.exit(main())
