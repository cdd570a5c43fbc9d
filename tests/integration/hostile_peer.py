"""hostile_peer.py - a hostile peer for test_hostile.py, run as its own process
(under the uid it attacks as: SO_PEERCRED names the process that connects).

  python3 hostile_peer.py churn SOCKET OPEN_MAX CONNECTS SECONDS
      connect() in a loop, sending nothing, keeping at most OPEN_MAX open
      (the oldest is closed first), until CONNECTS connects or SECONDS.
  python3 hostile_peer.py idle SOCKET COUNT SECONDS
      opens COUNT connections, sends nothing, holds them SECONDS (or until
      its stdin closes), and counts those the gateway closed meanwhile.

It prints "ready" once started and begins when it reads "go" on stdin.
Bounded in count and time, unix sockets only.  Prints one JSON line of
counts at the end.
"""

import collections
import json
import select
import socket
import sys
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
    except OSError:
        s.close()
        return None
    return s


def churn(path, open_max, connects, seconds):
    held = collections.deque()
    done = failed = 0
    end = time.monotonic() + seconds
    while done < connects and time.monotonic() < end:
        s = connect(path)
        if s is None:
            failed += 1  # a full backlog: the gateway is slower than the loop
            time.sleep(0.001)
            continue
        done += 1
        held.append(s)
        if len(held) > open_max:
            held.popleft().close()
    for s in held:
        s.close()
    return {"connects": done, "failed": failed}


def idle(path, count, seconds):
    socks = [s for s in (connect(path) for _ in range(count)) if s is not None]
    opened = len(socks)
    end = time.monotonic() + seconds
    closed = set()
    while time.monotonic() < end and len(closed) < opened:
        live = [s for s in socks if s.fileno() not in closed]
        r, _, _ = select.select(live + [sys.stdin], [], [], 0.2)
        if sys.stdin in r and not sys.stdin.buffer.read1(1):
            break
        for s in r:
            if s is sys.stdin:
                continue
            try:
                data = s.recv(65536)
            except ConnectionResetError:
                data = b""
            if not data:
                closed.add(s.fileno())
    for s in socks:
        s.close()
    return {"opened": opened, "closed_by_gateway": len(closed)}


def main():
    mode, path = sys.argv[1], sys.argv[2]
    # Started, then told to go: the interpreter's start is not the attack.
    print("ready", flush=True)
    if sys.stdin.buffer.readline() != b"go\n":
        return
    args = [float(a) for a in sys.argv[3:]]
    if mode == "churn":
        out = churn(path, int(args[0]), int(args[1]), args[2])
    elif mode == "idle":
        out = idle(path, int(args[0]), args[1])
    else:
        raise SystemExit("unknown mode %r" % mode)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
