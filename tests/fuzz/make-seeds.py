#!/usr/bin/python3
"""make-seeds.py - writes the seed corpora under tests/fuzz/corpus/.

The seeds are committed; this script documents where they came from and
rebuilds them (run it from anywhere; it only writes corpus/<harness>/seed-*).
Each seed is a small, valid (or deliberately broken) input in the harness's
own input format (see the comment at the top of each fuzz_*.c).
"""

import json
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import tarcraft  # noqa: E402  (the archive attacks of issue 10, shared with test_hostile.py)
SEED = b"\x2a\x11\x93\x05\x7c\x3e\xd1\x08"  # piece sizes for the split decoders


def mp(v):
    """A minimal msgpack packer (str, int, bool, None, float, list, dict)."""
    if v is None:
        return b"\xc0"
    if v is True:
        return b"\xc3"
    if v is False:
        return b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 128:
            return bytes([v])
        if -32 <= v < 0:
            return struct.pack("b", v)
        if v >= 0:
            return b"\xcf" + struct.pack(">Q", v)
        return b"\xd3" + struct.pack(">q", v)
    if isinstance(v, float):
        return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode()
        if len(b) < 32:
            return bytes([0xa0 | len(b)]) + b
        return b"\xd9" + bytes([len(b)]) + b if len(b) < 256 else b"\xda" + struct.pack(">H", len(b)) + b
    if isinstance(v, bytes):
        return b"\xc4" + bytes([len(v)]) + v
    if isinstance(v, list):
        out = bytes([0x90 | len(v)]) if len(v) < 16 else b"\xdc" + struct.pack(">H", len(v))
        return out + b"".join(mp(x) for x in v)
    if isinstance(v, dict):
        out = bytes([0x80 | len(v)]) if len(v) < 16 else b"\xde" + struct.pack(">H", len(v))
        return out + b"".join(mp(k) + mp(x) for k, x in v.items())
    raise TypeError(v)


def frame(obj):
    b = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return struct.pack(">I", len(b)) + b


def chunk(t, payload):
    return bytes([t]) + struct.pack(">I", len(payload)) + payload


CALL = {"type": "call.requested", "id": "c-1",
        "payload": {"operationId": "docker/system/ping", "input": {}}}


def seeds_frame():
    two = frame(CALL) + frame({"type": "call.aborted", "id": "c-1", "payload": {}})
    return {
        "two-frames": b"\x05" + SEED + two,
        "small-max": b"\x02" + SEED + frame(b"{}") + frame(b"[1,2,3]"),
        "empty-frame": b"\x04" + SEED + frame(b"{}") + b"\x00\x00\x00\x00",
        "too-big": b"\x03" + SEED + b"\x00\x10\x00\x00" + b"x" * 40,
        "partial": b"\x05" + SEED + frame(CALL)[:-5],
    }


def seeds_chunk():
    return {
        "stdin-eof": SEED + chunk(0, b"hello\n") + chunk(0, b""),
        "control": SEED + chunk(3, b'{"type":"resize","rows":24,"cols":80}') + chunk(1, b"\xff\x00x"),
        "bad-type": SEED + chunk(7, b"x"),
        "too-big": SEED + b"\x01\x00\x10\x00\x01" + b"y" * 30,
        "partial": SEED + chunk(2, b"abcdef")[:8],
    }


def seeds_envelope():
    full = {"type": "call.requested", "id": "x" * 128, "payload": {
        "operationId": "docker/container/create",
        "input": {"image": "dgtest:latest", "cmd": ["sh", "-c", "echo \u00e9"],
                  "labels": {"a": "b"}, "limits": {"memoryBytes": 67108864}},
        "carriage": "raw", "auth": {"token": "secret"}}}
    return {
        "ping": json.dumps(CALL).encode(),
        "full": json.dumps(full).encode(),
        "aborted": b'{"type":"call.aborted","id":"c-1","payload":{}}',
        "dup-key": b'{"type":"call.requested","id":"a","id":"b","payload":{}}',
        "deep-dup": b'{"type":"call.requested","id":"a","payload":{"operationId":"x","input":{"k":{"z":1,"z":2}}}}',
        "bad-utf8": b'{"type":"call.requested","id":"a\xff","payload":{}}',
        "nul": b'{"type":"call.requested","id":"a\\u0000b","payload":{}}',
        "unknown": b'{"type":"call.weird","id":"a","payload":{},"extra":1}',
        "not-object": b'[1,2,{"a":null}]',
    }


def msg(t, body, fd=False):
    return bytes([1 if fd else 0]) + mp([t, body])


def seeds_msg():
    return {
        "peer": msg(1, {"peer": "alpha", "uid": 0, "gid": 0, "authenticated": True,
                        "max_frame": 1048576, "idle_timeout": 300, "first_call": 10}, fd=True),
        "peer-unauth": msg(1, {"peer": "", "uid": 4242, "gid": 4242, "authenticated": False,
                               "max_frame": 1024, "idle_timeout": 0, "first_call": 0}, fd=True),
        "peer-nofd": msg(1, {"peer": "alpha", "uid": 0, "gid": 0, "authenticated": True,
                             "max_frame": 1048576, "idle_timeout": 300, "first_call": 10}),
        "result": msg(2, {"seq": 1, "output": {"ok": True, "list": [1, -2, 3.5, None, "s"]}}),
        "fail": msg(3, {"seq": 7, "code": "NOT_FOUND", "text": "no such container",
                        "details": {"status": 404}}),
        "fail-nodetails": msg(3, {"seq": 7, "code": "DOCKER_ERROR", "text": ""}),
        "stream": msg(4, {"seq": 2, "kind": "logs", "opts": {"tty": False, "timestamps": True}},
                      fd=True),
        "stream-nofd": msg(4, {"seq": 2, "kind": "logs", "opts": {}}),
        "ready": msg(20, {"version": 1}),
        "ready-fd": msg(20, {"version": 1}, fd=True),
        "call": msg(21, {"seq": 1, "id": "c-1", "op": "docker/container/inspect", "raw": False,
                         "input": {"containerId": "abc"}}),
        "call-fd": msg(21, {"seq": 1, "id": "c-1", "op": "docker/system/ping", "raw": True,
                            "input": {}}, fd=True),
        "cancel": msg(22, {"seq": 3}),
        "call-end": msg(23, {"seq": 3, "result": "OK", "bytes_in": 120, "bytes_out": 4096}),
        "dup-key": bytes([0]) + b"\x92\x16\x82\xa3seq\x01\xa3seq\x02",
        "trailing": msg(22, {"seq": 3}) + b"\xc0",
        "huge-count": bytes([0]) + b"\x92\x16\xdf\xff\xff\xff\xff",
        "unknown-type": msg(99, {}),
    }


def seeds_mpjson():
    return {
        "object": mp({"a": 1, "b": [True, False, None], "c": {"d": "e", "f": -5, "g": 1.5}}),
        "deep": mp([[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]),
        "big-int": b"\xcf\xff\xff\xff\xff\xff\xff\xff\xff",
        "neg": mp(-(2 ** 63)),
        "bin": mp({"x": b"\x00\x01"}),
        "float32": b"\xca\x3f\x80\x00\x00",
        "bad-utf8-key": b"\x81\xa2\xc3\x28\x01",
        "dup": b"\x82\xa1a\x01\xa1a\x02",
        "nul-key": b"\x81\xa3a\x00b\xc0",
        "ext": b"\xd4\x01\x02",
    }


SCHEMA_INPUTS = [
    ("docker/system/ping", {}),
    ("docker/system/events", {"since": 1700000000, "types": ["container"]}),
    ("gateway/usage", {"peer": "alpha"}),
    ("docker/container/create", {
        "image": "dgtest:latest", "name": "n1", "cmd": ["sh"], "entrypoint": [], "env": ["A=b"],
        "labels": {"k": "v"}, "workingDir": "/", "user": "nobody", "tty": True,
        "openStdin": False, "limits": {"memoryBytes": 67108864, "nanoCpus": 500000000,
                                       "pidsLimit": 64},
        "network": "none", "readOnlyRootfs": True, "tmpfs": {"/tmp": "size=1m"},
        "restartPolicy": "no"}),
    ("docker/container/stop", {"containerId": "abc", "timeoutSeconds": 3}),
    ("docker/container/kill", {"containerId": "abc", "signal": "KILL"}),
    ("docker/container/remove", {"containerId": "abc", "force": True, "removeVolumes": False}),
    ("docker/container/list", {"all": True}),
    ("docker/container/wait", {"containerId": "abc", "condition": "not-running"}),
    ("docker/container/logs", {"containerId": "abc", "follow": True, "stdout": True,
                               "stderr": False, "timestamps": True, "tail": "all",
                               "since": "1700000000.5"}),
    ("docker/container/exec", {"containerId": "abc", "cmd": ["true"], "env": [], "tty": False}),
    ("docker/container/resize", {"containerId": "abc", "rows": 24, "cols": 80}),
    ("docker/container/archive/get", {"containerId": "abc", "path": "/etc"}),
    ("docker/image/pull", {"image": "127.0.0.1:5000/dgtest", "tag": "latest"}),
    ("docker/network/connect", {"networkId": "n", "containerId": "abc"}),
    ("docker/volume/remove", {"volumeName": "v", "force": True}),
    ("docker/container/create", {"image": "x", "unknown": 1}),
    ("docker/container/create", {"image": "x", "limits": {"memoryBytes": 1}}),
]


def seeds_schema():
    out = {}
    for i, (op, inp) in enumerate(SCHEMA_INPUTS):
        out["%02d-%s" % (i, op.replace("/", "-"))] = op.encode() + b"\n" + json.dumps(inp).encode()
    return out


def seeds_policy():
    return {
        "minimal": b'{"peers": {"alpha": {"uids": [1001]}}}',
        "full": json.dumps({"ownerLabel": "dockgate.owner", "peers": {
            "alpha": {"uids": [0, 1001], "operations": ["docker/system/*", "gateway/*"],
                      "memoryBytes": 134217728, "nanoCpus": 500000000, "pidsLimit": 64,
                      "network": "bridge"},
            "root": {"uids": [2000], "admin": True}}}).encode(),
        "dup-uid": b'{"peers": {"a": {"uids": [1]}, "b": {"uids": [2, 1]}}}',
        "bad-name": b'{"peers": {"-x": {"uids": [1]}}}',
        "unknown-key": b'{"peers": {"a": {"uids": [1], "colour": "red"}}, "x": 1}',
        "glob": b'{"peers": {"a": {"uids": [1], "operations": ["*/*/[a-z]*", "docker/c?ntainer/**"]}}}',
        "wave2": json.dumps({"peers": {
            "ci": {"uids": [1001], "gids": [2001],
                   "tokens": ["sha256:" + "ab" * 32],
                   "images": ["dgtest:*", "127.0.0.1:5000/*"],
                   "container": {
                       "defaults": {"memoryBytes": "256m", "nanoCpus": 500000000,
                                    "pidsLimit": 64, "network": "none",
                                    "readOnlyRootfs": True},
                       "ceilings": {"memoryBytes": "1GiB", "nanoCpus": 2000000000,
                                    "pidsLimit": 512},
                       "networks": ["bridge"], "capabilities": ["CHOWN", "CAP_KILL"],
                       "runtime": "runc", "forceReadOnlyRootfs": False, "refuseRoot": True},
                   "quotas": {"containers": 10, "memoryBytes": "4g", "nanoCpus": 4000000000,
                              "streams": 32, "callsPerSecond": 50, "burst": 100}},
            "ops": {"gids": [0], "admin": True, "quotas": {"streams": None}}}}).encode(),
    }


def seeds_jtext():
    # A flag byte (1: any value, 2: reject duplicate keys), then JSON text.
    doc = {"Id": "a" * 64, "Name": "/alpha.web", "State": {"Running": True, "Pid": 4242,
           "ExitCode": 0}, "Config": {"Labels": {"dockgate.owner": "alpha"},
           "Env": ["PATH=/usr/bin", "X=\u00e9\u4e2d\U0001f600"], "Cmd": None},
           "HostConfig": {"Memory": 0, "CpuShares": -1, "NanoCpus": 1.5e9}, "Mounts": []}
    return {
        "inspect": b"\x00" + json.dumps(doc).encode(),
        "inspect-utf8": b"\x02" + json.dumps(doc, ensure_ascii=False).encode(),
        "escapes": b"\x01" + rb'" \" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00 \u001f"',
        "numbers": b"\x01" + b"[0,-0,1.5,-2e-3,1E+300,9223372036854775807,-9223372036854775808]",
        "too-big": b"\x01" + b"9223372036854775808",
        "dup": b"\x02" + b'{"a":1,"a":2}',
        "dup-any": b"\x00" + b'{"a":1,"b":[],"a":{}}',
        "nul": b"\x01" + b'"\\u0000"',
        "deep": b"\x00" + b"[" * 40 + b"]" * 40,
        "ws": b"\x01" + b" \t\r\n true \n",
    }


def http(status, headers, body, chunked=False):
    reason = {200: "OK", 101: "UPGRADED", 404: "Not Found", 500: "Internal Server Error"}[status]
    head = "HTTP/1.1 %d %s\r\n" % (status, reason)
    for k, v in headers:
        head += "%s: %s\r\n" % (k, v)
    if chunked:
        head += "Transfer-Encoding: chunked\r\n\r\n"
        out = head.encode()
        for i in range(0, len(body), 37):
            part = body[i:i + 37]
            out += b"%x\r\n" % len(part) + part + b"\r\n"
        return out + b"0\r\n\r\n"
    head += "Content-Length: %d\r\n\r\n" % len(body)
    return head.encode() + body


def mux(t, payload):
    return bytes([t, 0, 0, 0]) + struct.pack(">I", len(payload)) + payload


def seeds_engine_reader():
    ct = [("Content-Type", "application/vnd.docker.raw-stream"), ("Api-Version", "1.41")]
    logs = mux(1, b"hello 1\n") + mux(2, b"oops\n") + mux(1, b"\xff\xfe binary\n") + \
        mux(1, b"caf\xc3\xa9\n") + mux(1, b"")
    ts = mux(1, b"2024-01-02T03:04:05.123456789Z line one\n") + \
        mux(2, b"2024-01-02T03:04:05.2Z \xe2\x82\xac\n")
    big = mux(1, b"\x01\x02\"\\" * 1500 + "é".encode() * 700)
    return {
        "logs-chunked": b"\x00" + SEED + http(200, ct, logs, chunked=True),
        "logs-length": b"\x00" + SEED + http(200, ct, logs),
        "logs-ts": b"\x02" + SEED + http(200, ct, ts, chunked=True),
        "logs-big": b"\x00" + SEED + http(200, ct, big, chunked=True),
        "logs-syserr": b"\x00" + SEED + http(200, ct, mux(1, b"a\n") + mux(3, b"engine broke\n")),
        "logs-cut": b"\x00" + SEED + http(200, ct, logs, chunked=True)[:-30],
        "tty": b"\x01" + SEED + http(200, ct, "abc \u20ac\u20ac\u20ac\r\n\x1b[31mred\x1b[0m".encode(),
                                     chunked=True),
        "tty-eof": b"\x01" + SEED + b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbytes until EOF \xe2\x82",
        "404": b"\x00" + SEED + http(404, [("Content-Type", "application/json")],
                                     b'{"message":"No such container: abc"}'),
        "500-text": b"\x00" + SEED + http(500, [], b"not json \xff"),
        "upgrade": b"\x00" + SEED + b"HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nraw",
        "garbage": b"\x00" + SEED + b"HTTP/1.1 2OO OK\r\n\r\n",
    }


def seeds_tar():
    """Every archive of tarcraft.CASES (attacks and must-pass cases), each behind
    the harness's piece-size byte."""
    out = {}
    for name, archives in sorted(tarcraft.CASES.items()):
        for i, arc in enumerate(archives):
            out["%s-%d" % (name, i)] = bytes([i * 37 % 256 + 3]) + arc
    return out


def main():
    corpus = os.path.join(HERE, "corpus")
    for name, fn in [("frame", seeds_frame), ("chunk", seeds_chunk),
                     ("envelope", seeds_envelope), ("msg", seeds_msg),
                     ("mpjson", seeds_mpjson), ("jtext", seeds_jtext), ("schema", seeds_schema),
                     ("policy", seeds_policy), ("engine_reader", seeds_engine_reader),
                     ("tar", seeds_tar)]:
        d = os.path.join(corpus, name)
        if os.path.isdir(d):
            for f in os.listdir(d):
                if f.startswith("seed-"):
                    os.unlink(os.path.join(d, f))
        os.makedirs(d, exist_ok=True)
        for k, v in fn().items():
            with open(os.path.join(d, "seed-" + k), "wb") as f:
                f.write(v)


if __name__ == "__main__":
    main()
