#!/bin/sh
# engine.sh - a private Docker Engine for tests and the demo.
#
#   sh tests/lib/engine.sh start DIR [LOG_DRIVER]
#   sh tests/lib/engine.sh stop DIR
#   sh tests/lib/engine.sh import SOCKET     (imports dgtest:latest)
#   sh tests/lib/engine.sh ping SOCKET       (exit 0 when the engine answers)
#
# start: runs dockerd (as root) with everything under DIR: DIR/docker.sock,
# DIR/root, DIR/exec, DIR/docker.pid, DIR/dockerd.log.  It waits for /_ping
# and imports the test image dgtest:latest (busybox-static and its applet
# links), and prints nothing on success.  Test engines use no bridge and no
# iptables so that they never clash with another engine on the same host.
# LOG_DRIVER defaults to the engine's own default, json-file, on purpose:
# dockgate must keep binary log output intact by choosing the local driver
# for the containers it creates, and the tests prove it does.
# stop: kills the engine by the pid in its pidfile (SIGTERM, up to 20 s, then
# SIGKILL), does the same for the containerd it started, unmounts whatever is
# left under DIR and removes DIR.
#
# POSIX sh on purpose: the Makefile runs test scripts with `sh`.

set -eu

die() {
        echo "engine.sh: $*" >&2
        exit 1
}

# curl against a unix socket; the host part of the URL is ignored.
engine_curl() {
        sock=$1
        shift
        curl -sS --max-time 60 --unix-socket "$sock" "$@"
}

engine_ping() {
        [ -S "$1" ] || return 1
        [ "$(curl -s --max-time 2 --unix-socket "$1" http://d/_ping 2>/dev/null)" = OK ]
}

# Builds the image's root filesystem in a temp dir and imports it.
engine_import() {
        sock=$1
        bb=""
        for c in /bin/busybox /usr/bin/busybox; do
                if [ -x "$c" ] && file_is_static "$c"; then
                        bb=$c
                        break
                fi
        done
        [ -n "$bb" ] || die "no static busybox (apt-get install busybox-static)"
        img=$(mktemp -d /tmp/dgimg.XXXXXX)
        mkdir -p "$img/bin" "$img/tmp" "$img/etc" "$img/proc" "$img/sys" "$img/dev"
        chmod 1777 "$img/tmp"
        cp "$bb" "$img/bin/busybox"
        for applet in $("$img/bin/busybox" --list); do
                [ "$applet" = busybox ] || ln -sf busybox "$img/bin/$applet"
        done
        printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
                >"$img/etc/passwd"
        printf 'root:x:0:\nnogroup:x:65534:\n' >"$img/etc/group"
        out=$(tar -C "$img" -c . | engine_curl "$sock" -X POST \
                -H 'Content-Type: application/x-tar' --data-binary @- \
                'http://d/images/create?fromSrc=-&repo=dgtest&tag=latest') || {
                rm -rf "$img"
                die "image import failed: $out"
        }
        rm -rf "$img"
        code=$(engine_curl "$sock" -o /dev/null -w '%{http_code}' http://d/images/dgtest:latest/json)
        [ "$code" = 200 ] || die "dgtest:latest missing after import: $out"
}

# A dynamically linked busybox would not run in an image without libc.
file_is_static() {
        ! LC_ALL=C readelf -l "$1" 2>/dev/null | grep -q 'Requesting program interpreter'
}

engine_start() {
        dir=$1
        log_driver=${2:-json-file}
        [ "$(id -u)" = 0 ] || die "start needs root"
        command -v dockerd >/dev/null || die "dockerd not found (apt-get install docker.io)"
        mkdir -p "$dir"
        dir=$(cd "$dir" && pwd)
        sock=$dir/docker.sock
        # The unix socket path limit is 108 bytes; containerd's sits deeper.
        [ ${#dir} -le 60 ] || die "DIR too long for unix sockets: $dir"
        if engine_ping "$sock"; then
                die "an engine already answers on $sock"
        fi
        rm -f "$sock"
        # setsid: the engine must not get the test runner's terminal signals.
        setsid dockerd --host "unix://$sock" --data-root "$dir/root" \
                --exec-root "$dir/exec" --pidfile "$dir/docker.pid" \
                --bridge=none --iptables=false --ip-masq=false \
                --log-driver="$log_driver" \
                </dev/null >"$dir/dockerd.log" 2>&1 &
        echo $! >"$dir/dockerd.launcher.pid"
        i=0
        while ! engine_ping "$sock"; do
                i=$((i + 1))
                if [ $i -gt 120 ]; then
                        tail -n 30 "$dir/dockerd.log" >&2 || true
                        die "engine did not answer /_ping within 30 s"
                fi
                if ! kill -0 "$(cat "$dir/dockerd.launcher.pid")" 2>/dev/null; then
                        tail -n 30 "$dir/dockerd.log" >&2 || true
                        die "dockerd exited during start"
                fi
                sleep 0.25
        done
        engine_import "$sock"
}

# Sends SIGTERM to pid, waits up to $2 seconds, then SIGKILL.
kill_wait() {
        pid=$1
        secs=$2
        kill -0 "$pid" 2>/dev/null || return 0
        kill "$pid" 2>/dev/null || true
        i=0
        while kill -0 "$pid" 2>/dev/null; do
                # A zombie of someone else's is gone for our purposes.
                state=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
                [ "$state" = Z ] && return 0
                i=$((i + 1))
                if [ $i -gt $((secs * 4)) ]; then
                        kill -9 "$pid" 2>/dev/null || true
                        sleep 0.5
                        return 0
                fi
                sleep 0.25
        done
}

engine_stop() {
        dir=$1
        [ -d "$dir" ] || return 0
        dir=$(cd "$dir" && pwd)
        case "$dir" in
        / | /tmp | /var | /root | /home) die "refusing to remove $dir" ;;
        esac
        # Read containerd's pid before dockerd removes its pidfile.
        cpid=$(cat "$dir/exec/containerd/containerd.pid" 2>/dev/null || true)
        pid=$(cat "$dir/docker.pid" 2>/dev/null || cat "$dir/dockerd.launcher.pid" 2>/dev/null || true)
        if [ -n "$pid" ]; then
                kill_wait "$pid" 20
        fi
        if [ -n "$cpid" ] && [ -r "/proc/$cpid/cmdline" ] &&
                tr '\0' ' ' <"/proc/$cpid/cmdline" | grep -q "$dir/exec"; then
                kill_wait "$cpid" 10
        fi
        # Deepest mounts first; lazily, so a busy one does not stop us.
        awk -v d="$dir" 'index($2, d "/") == 1 {print $2}' /proc/mounts | sort -r |
                while read -r m; do
                        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
                done
        rm -rf "$dir" 2>/dev/null || {
                sleep 1
                rm -rf "$dir"
        }
}

usage() {
        die "usage: engine.sh start DIR [LOG_DRIVER] | stop DIR | import SOCKET | ping SOCKET"
}

[ $# -ge 2 ] || usage
cmd=$1
shift
case "$cmd" in
start) engine_start "$@" ;;
stop) engine_stop "$1" ;;
import) engine_import "$1" ;;
ping) engine_ping "$1" ;;
*) usage ;;
esac
