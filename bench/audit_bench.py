#!/usr/bin/python3
"""audit_bench.py - calls per second on long-lived streams, to measure what
the audit log's group commit costs (docs/audit.md, "Cost").

    audit_bench.py SOCKET [OPERATION] [STREAMS] [SECONDS]

Each of STREAMS processes opens one stream and makes calls back to back
for SECONDS; the total rate is printed.  Run it against dockgated without
--audit, with it, and with "auditSync": false, on the same engine.
"""

import json
import multiprocessing
import socket
import struct
import sys
import time


def _call(sock, op, n):
    data = json.dumps({"type": "call.requested", "id": "b%d" % n,
                       "payload": {"operationId": op, "input": {}}}).encode()
    sock.sendall(struct.pack(">I", len(data)) + data)
    while True:
        hdr = _read(sock, 4)
        frame = json.loads(_read(sock, struct.unpack(">I", hdr)[0]))
        if frame["type"] in ("call.completed", "call.error", "call.aborted"):
            return frame["type"] == "call.completed"


def _read(sock, n):
    buf = b""
    while len(buf) < n:
        more = sock.recv(n - len(buf))
        if not more:
            raise ConnectionError("stream closed")
        buf += more
    return buf


def _worker(path, op, seconds, start, out):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    ok = bad = 0
    while time.time() < start:
        time.sleep(0.001)
    end = start + seconds
    while time.time() < end:
        if _call(sock, op, ok + bad):
            ok += 1
        else:
            bad += 1
    sock.close()
    out.put((ok, bad))


def main():
    path = sys.argv[1]
    op = sys.argv[2] if len(sys.argv) > 2 else "docker/system/ping"
    streams = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 5.0
    out = multiprocessing.Queue()
    start = time.time() + 1.0
    procs = [multiprocessing.Process(target=_worker, args=(path, op, seconds, start, out))
             for _ in range(streams)]
    for p in procs:
        p.start()
    ok = bad = 0
    for _ in procs:
        o, b = out.get()
        ok += o
        bad += b
    for p in procs:
        p.join()
    print("%s: %d streams, %.0f calls/s (%d failed)" % (op, streams, ok / seconds, bad))


if __name__ == "__main__":
    main()
