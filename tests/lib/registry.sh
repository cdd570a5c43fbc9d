#!/bin/sh
# registry.sh - a private image registry for pull tests (Debian's docker-registry).
#
#   sh tests/lib/registry.sh start DIR [PORT]   prints the address, e.g. 127.0.0.1:5000
#   sh tests/lib/registry.sh stop DIR
#
# start: writes DIR/config.yml (listen on 127.0.0.1:PORT, storage in
# DIR/data, no auth, deletes allowed), runs `docker-registry serve` in the
# background with its pid in DIR/registry.pid and its log in
# DIR/registry.log, and waits until /v2/ answers.  PORT defaults to 5000;
# when it is taken, the next free one up to 5099 is used.  Engines trust
# registries on 127.0.0.0/8 without TLS, whatever the port.
# stop: kills the registry by the pid in its pidfile (SIGTERM, then SIGKILL)
# and removes DIR.
#
# POSIX sh on purpose: the Makefile runs test scripts with `sh`.

set -eu

REGISTRY=/usr/bin/docker-registry

die() {
        echo "registry.sh: $*" >&2
        exit 1
}

# Something answers (or listens) on 127.0.0.1:$1?
port_busy() {
        awk -v p="$(printf '%04X' "$1")" \
                'NR > 1 && $4 == "0A" && substr($2, index($2, ":") + 1) == p {f = 1} END {exit !f}' \
                /proc/net/tcp /proc/net/tcp6
}

registry_start() {
        dir=$1
        port=${2:-5000}
        [ -x "$REGISTRY" ] || die "$REGISTRY not found (apt-get install docker-registry)"
        mkdir -p "$dir/data"
        dir=$(cd "$dir" && pwd)
        last=$((port + 99))
        while port_busy "$port"; do
                port=$((port + 1))
                [ "$port" -le "$last" ] || die "no free port for the registry"
        done
        cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
        # setsid: the registry must not get the test runner's terminal signals.
        setsid "$REGISTRY" serve "$dir/config.yml" </dev/null >"$dir/registry.log" 2>&1 &
        echo $! >"$dir/registry.pid"
        i=0
        until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
                "http://127.0.0.1:$port/v2/" 2>/dev/null)" = 200 ]; do
                i=$((i + 1))
                if [ $i -gt 80 ] || ! kill -0 "$(cat "$dir/registry.pid")" 2>/dev/null; then
                        tail -n 20 "$dir/registry.log" >&2 || true
                        registry_stop "$dir"
                        die "registry did not answer on 127.0.0.1:$port"
                fi
                sleep 0.1
        done
        echo "127.0.0.1:$port"
}

registry_stop() {
        dir=$1
        [ -d "$dir" ] || return 0
        case "$(cd "$dir" && pwd)" in
        / | /tmp | /var | /root | /home) die "refusing to remove $dir" ;;
        esac
        pid=$(cat "$dir/registry.pid" 2>/dev/null || true)
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
                kill "$pid" 2>/dev/null || true
                i=0
                while kill -0 "$pid" 2>/dev/null && [ $i -lt 40 ]; do
                        # A zombie nobody reaps yet is gone for our purposes.
                        state=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
                        [ "$state" = Z ] && break
                        i=$((i + 1))
                        sleep 0.1
                done
                kill -9 "$pid" 2>/dev/null || true
        fi
        rm -rf "$dir"
}

[ $# -ge 2 ] || die "usage: registry.sh start DIR [PORT] | stop DIR"
cmd=$1
shift
case "$cmd" in
start) registry_start "$@" ;;
stop) registry_stop "$1" ;;
*) die "usage: registry.sh start DIR [PORT] | stop DIR" ;;
esac
