#!/bin/sh
# install-deps.sh - installs what dockgate needs to build, test and run.
#
# Idempotent: installs only the Debian packages that are missing, and runs
# `apt-get update` only when something is.  Needs root (or sudo) for that.

set -eu

# Podman (ENGINE=podman): --no-install-recommends leaves out what a rootful
# service with its own networks needs beyond its Depends (conmon,
# containers-common, crun or runc): netavark and aardvark-dns for networks,
# catatonit for HostConfig.Init (create fails without it).  Rootless helpers
# (uidmap, slirp4netns, fuse-overlayfs) are not needed: the tests run it as root.

PKGS="build-essential pkg-config clang clang-format clang-tidy cppcheck curl libevent-dev
libcurl4-openssl-dev libmsgpack-dev libjansson-dev libseccomp-dev libcmocka-dev
libhttp-parser-dev libssl-dev zlib1g-dev docker.io busybox-static docker-registry python3
python3-pytest python3-prometheus-client python3-docker docker-compose strace tmux
iproute2
libclang-rt-14-dev debhelper man-db systemd haproxy valgrind
podman netavark aardvark-dns catatonit"

missing=""
for p in $PKGS; do
        if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
                missing="$missing $p"
        fi
done
# Node and npm for the dockerode client test (tests/clients/node): Debian's
# packages, unless a node (e.g. NodeSource's, which ships its own npm) is there.
command -v node >/dev/null || missing="$missing nodejs"
command -v npm >/dev/null || missing="$missing npm"

if [ -z "$missing" ]; then
        echo "install-deps: all packages present"
else
        SUDO=""
        if [ "$(id -u)" != 0 ]; then
                command -v sudo >/dev/null || {
                        echo "install-deps: missing:$missing; run as root" >&2
                        exit 1
                }
                SUDO=sudo
        fi
        echo "install-deps: installing$missing"
        export DEBIAN_FRONTEND=noninteractive
        $SUDO apt-get update </dev/null
        # shellcheck disable=SC2086 # one word per package
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing </dev/null
fi

# dockerode, as its lockfile pins it, into tests/clients/node/node_modules:
# `npm ci` only when that tree is not the lockfile's (so offline after the
# first run); no install scripts (ssh2's optional native build is not needed).
NODE_DIR=$(dirname "$0")/../tests/clients/node
if ! cmp -s "$NODE_DIR/package-lock.json" "$NODE_DIR/node_modules/.dockgate-lock" 2>/dev/null; then
        echo "install-deps: npm ci in tests/clients/node"
        (cd "$NODE_DIR" && npm ci --ignore-scripts --no-audit --no-fund </dev/null)
        cp "$NODE_DIR/package-lock.json" "$NODE_DIR/node_modules/.dockgate-lock"
fi
