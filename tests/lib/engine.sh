#!/bin/sh
# engine.sh - a private engine (dockerd or Podman) for tests and the demo.
#
#   [ENGINE=docker|podman] sh tests/lib/engine.sh start DIR [LOG_DRIVER]
#   sh tests/lib/engine.sh stop DIR
#   sh tests/lib/engine.sh sock DIR          (prints the engine's socket path)
#   sh tests/lib/engine.sh pid DIR           (prints the engine's pid)
#   sh tests/lib/engine.sh import SOCKET     (imports dgtest:latest)
#   sh tests/lib/engine.sh ping SOCKET       (exit 0 when the engine answers)
#
# ENGINE (default docker) picks the engine; start records it in DIR/engine,
# so that stop, sock and pid need only DIR.  A second start on the same DIR
# (after the engine was stopped by pid) starts the same engine on its state.
#
# dockerd: runs (as root) with everything under DIR: DIR/docker.sock,
# DIR/root, DIR/exec, DIR/docker.pid, DIR/dockerd.log.  It waits for /_ping
# and imports the test image dgtest:latest (busybox-static and its applet
# links), and prints nothing on success.  Test engines use no bridge and no
# iptables so that they never clash with another engine on the same host.
# LOG_DRIVER defaults to the engine's own default, json-file, on purpose:
# dockgate must keep binary log output intact by choosing the right driver
# for the containers it creates, and the tests prove it does.
#
# Podman: `podman system service` with its own --root (DIR/root), --runroot
# (DIR/run), --tmpdir (DIR/tmp), containers.conf (DIR/containers.conf) and
# CNI config dir (DIR/cni), listening on DIR/podman.sock, pid in
# DIR/podman.pid, log in DIR/podman.log.  Its containers default to network
# `none` (no bridge, no iptables), events go to a file under DIR (no
# journald here), cgroups are managed directly (no systemd), and the default
# ulimits are this host's hard limits (Podman would otherwise ask for a
# nofile the sandbox may not grant).  LOG_DRIVER defaults to k8s-file, its
# json-file (Podman has no `local`).  DIR/registries.conf trusts the test
# registry's ports on 127.0.0.1 without TLS, as dockerd does by default.
#
# stop: for Podman first removes every container with the same dirs (each
# has a conmon that outlives the service), then kills the engine by its pid
# (SIGTERM, up to 20 s, then SIGKILL), then what it left that names DIR on
# its command line (dockerd's containerd; Podman's conmons), unmounts
# whatever is left under DIR and removes DIR.
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
        # An image's root is 0755, as any base image's (mktemp made it 0700).
        chmod 755 "$img"
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

# Which engine DIR holds (recorded at start; docker for a dir without it).
engine_kind() {
        cat "$1/engine" 2>/dev/null || echo docker
}

engine_sock() {
        case "$(engine_kind "$1")" in
        podman) echo "$1/podman.sock" ;;
        *) echo "$1/docker.sock" ;;
        esac
}

engine_pid() {
        case "$(engine_kind "$1")" in
        podman) cat "$1/podman.pid" ;;
        *) cat "$1/docker.pid" 2>/dev/null || cat "$1/dockerd.launcher.pid" ;;
        esac
}

# Waits for /_ping on socket $1 while pid $2 lives; $3 is the log to show.
wait_ping() {
        i=0
        while ! engine_ping "$1"; do
                i=$((i + 1))
                if [ $i -gt 240 ]; then
                        tail -n 30 "$3" >&2 || true
                        die "engine did not answer /_ping within 60 s"
                fi
                if ! kill -0 "$2" 2>/dev/null; then
                        tail -n 30 "$3" >&2 || true
                        die "the engine exited during start"
                fi
                sleep 0.25
        done
}

engine_start() {
        kind=${ENGINE:-}
        [ -n "$kind" ] || kind=$(engine_kind "$1")
        case "$kind" in
        docker) dockerd_start "$@" ;;
        podman) podman_start "$@" ;;
        *) die "ENGINE must be docker or podman, not $kind" ;;
        esac
}

dockerd_start() {
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
        echo docker >"$dir/engine"
        # setsid: the engine must not get the test runner's terminal signals.
        setsid dockerd --host "unix://$sock" --data-root "$dir/root" \
                --exec-root "$dir/exec" --pidfile "$dir/docker.pid" \
                --bridge=none --iptables=false --ip-masq=false \
                --log-driver="$log_driver" \
                </dev/null >"$dir/dockerd.log" 2>&1 &
        echo $! >"$dir/dockerd.launcher.pid"
        wait_ping "$sock" "$(cat "$dir/dockerd.launcher.pid")" "$dir/dockerd.log"
        engine_import "$sock"
}

# podman with DIR's private store and configuration (service and CLI alike).
podman_in() {
        d=$1
        shift
        CONTAINERS_REGISTRIES_CONF=$d/registries.conf CONTAINERS_CONF=$d/containers.conf \
                podman --root "$d/root" --runroot "$d/run" --tmpdir "$d/tmp" "$@"
}

podman_start() {
        dir=$1
        log_driver=${2:-k8s-file}
        [ "$(id -u)" = 0 ] || die "start needs root"
        command -v podman >/dev/null || die "podman not found (apt-get install podman)"
        mkdir -p "$dir/root" "$dir/run" "$dir/tmp" "$dir/cni"
        dir=$(cd "$dir" && pwd)
        sock=$dir/podman.sock
        [ ${#dir} -le 60 ] || die "DIR too long for unix sockets: $dir"
        if engine_ping "$sock"; then
                die "an engine already answers on $sock"
        fi
        rm -f "$sock"
        echo podman >"$dir/engine"
        # Podman asks for nofile 1048576 and nproc 4194304 unless told; a
        # sandboxed root may not raise its hard limits that far, and the service
        # itself lowers its own nproc to 32768 (seen with 4.3).
        nofile=$(awk '/^Max open files/ {print $5}' /proc/self/limits)
        nproc=$(awk '/^Max processes/ {print $4}' /proc/self/limits)
        [ "$nofile" != unlimited ] || nofile=1048576
        [ "$nproc" != unlimited ] && [ "$nproc" -lt 32768 ] || nproc=32768
        cat >"$dir/containers.conf" <<EOF
[containers]
netns = "none"
log_driver = "$log_driver"
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[network]
network_config_dir = "$dir/cni"
[engine]
events_logger = "file"
events_logfile_path = "$dir/tmp/events.log"
cgroup_manager = "cgroupfs"
EOF
        # dockerd trusts registries on 127.0.0.0/8 without TLS; Podman trusts
        # only those its registries.conf marks insecure: the test registry's
        # ports (tests/lib/registry.sh picks one of 5000-5099).
        {
                echo 'unqualified-search-registries = ["docker.io"]'
                port=5000
                while [ $port -le 5099 ]; do
                        printf '[[registry]]\nlocation = "127.0.0.1:%d"\ninsecure = true\n' $port
                        port=$((port + 1))
                done
        } >"$dir/registries.conf"
        # setsid: the engine must not get the test runner's terminal signals.
        # The environment is podman_in's; written out so that $! is podman's pid.
        # In DIR: conmon writes files (an "oom" marker) into its working directory.
        cd "$dir"
        CONTAINERS_REGISTRIES_CONF=$dir/registries.conf \
                CONTAINERS_CONF=$dir/containers.conf setsid podman --root "$dir/root" \
                --runroot "$dir/run" --tmpdir "$dir/tmp" system service --time=0 \
                "unix://$sock" </dev/null >>"$dir/podman.log" 2>&1 &
        echo $! >"$dir/podman.pid"
        wait_ping "$sock" "$(cat "$dir/podman.pid")" "$dir/podman.log"
        # The image survives a restart on the same DIR.
        code=$(engine_curl "$sock" -o /dev/null -w '%{http_code}' http://d/images/dgtest:latest/json)
        [ "$code" = 200 ] || engine_import "$sock"
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

# Pids other than ours whose command line names DIR/ (what an engine left).
pids_naming() {
        grep -la -F -- "$1/" /proc/[0-9]*/cmdline 2>/dev/null |
                sed -n 's|^/proc/\([0-9]*\)/cmdline$|\1|p' | grep -v -x -- "$$" || true
}

podman_stop() {
        dir=$1
        if command -v podman >/dev/null && [ -d "$dir/root" ]; then
                podman_in "$dir" rm -a -f -t 0 >/dev/null 2>&1 || true
        fi
        pid=$(cat "$dir/podman.pid" 2>/dev/null || true)
        if [ -n "$pid" ]; then
                kill_wait "$pid" 20
        fi
        for p in $(pids_naming "$dir"); do
                kill_wait "$p" 5
        done
}

dockerd_stop() {
        dir=$1
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
}

engine_stop() {
        dir=$1
        [ -d "$dir" ] || return 0
        dir=$(cd "$dir" && pwd)
        case "$dir" in
        / | /tmp | /var | /root | /home) die "refusing to remove $dir" ;;
        esac
        case "$(engine_kind "$dir")" in
        podman) podman_stop "$dir" ;;
        *) dockerd_stop "$dir" ;;
        esac
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
        die "usage: engine.sh start DIR [LOG_DRIVER] | stop DIR | sock DIR | pid DIR | import SOCKET | ping SOCKET"
}

[ $# -ge 2 ] || usage
cmd=$1
shift
case "$cmd" in
start) engine_start "$@" ;;
stop) engine_stop "$1" ;;
sock) engine_sock "$1" ;;
pid) engine_pid "$1" ;;
import) engine_import "$1" ;;
ping) engine_ping "$1" ;;
*) usage ;;
esac
