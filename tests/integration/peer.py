"""peer.py - an independent dockgate client for the integration tests.

It is the "outside client": written from PROTOCOL.md alone and sharing no
code with the C project.  Frames are a 4-byte big-endian length and that many
bytes of UTF-8 JSON; every frame the server sends is checked against the
protocol (envelope keys and types, error payloads, no duplicate keys).
"""

import json
import os
import select
import socket
import struct
import time

SERVER_FRAME_MAX = 16 << 20

# A slow peer (make test-stress): every read takes at most SLOW_READ bytes and
# then pauses SLOW_PAUSE seconds, i.e. DOCKGATE_SLOW_PEER_MS milliseconds per
# 4 KiB.  0 (the default): read as fast as the server writes.
SLOW_READ = 4096
SLOW_PAUSE = float(os.environ.get("DOCKGATE_SLOW_PEER_MS", "0") or 0) / 1000.0


def read_some(sock, size, pause=None):
    """One recv of at most size bytes, as slowly as the peer is set to read."""
    pause = SLOW_PAUSE if pause is None else pause
    if pause > 0:
        data = sock.recv(min(size, SLOW_READ))
        time.sleep(pause)
        return data
    return sock.recv(size)
TERMINAL = ("call.completed", "call.error", "call.aborted")
ERROR_CODES = {
    "PROTOCOL_ERROR", "INVALID_INPUT", "UNAUTHENTICATED", "FORBIDDEN",
    "NOT_FOUND", "CONFLICT", "QUOTA_EXCEEDED", "RATE_LIMITED", "UNAVAILABLE",
    "TIMEOUT", "DOCKER_ERROR", "ABORTED", "INTERNAL",
}


class ProtocolViolation(AssertionError):
    """The server sent something PROTOCOL.md does not allow."""


class CallError(Exception):
    """A call ended with call.error."""

    def __init__(self, frame):
        self.frame = frame
        p = frame["payload"]
        self.code = p["code"]
        self.message = p["message"]
        self.retryable = p["retryable"]
        self.details = p.get("details")
        super().__init__("%s: %s" % (self.code, self.message))


def _no_dups(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise ProtocolViolation("duplicate key %r in a server frame" % k)
        obj[k] = v
    return obj


def check_server_frame(obj):
    """Raises ProtocolViolation unless obj is a valid server envelope."""
    if not isinstance(obj, dict):
        raise ProtocolViolation("server frame is not an object: %r" % (obj,))
    if set(obj) != {"type", "id", "payload"}:
        raise ProtocolViolation("server envelope keys %r" % sorted(obj))
    t, i, p = obj["type"], obj["id"], obj["payload"]
    if t not in ("call.responded",) + TERMINAL:
        raise ProtocolViolation("unknown server frame type %r" % (t,))
    if not isinstance(i, str) or len(i) > 128:
        raise ProtocolViolation("bad id %r" % (i,))
    if not isinstance(p, dict):
        raise ProtocolViolation("payload is not an object: %r" % (p,))
    if t == "call.responded" and set(p) != {"output"}:
        raise ProtocolViolation("call.responded payload keys %r" % sorted(p))
    if t in ("call.completed", "call.aborted") and p:
        raise ProtocolViolation("%s payload not empty: %r" % (t, p))
    if t == "call.error":
        keys = set(p)
        if not {"code", "message", "retryable"} <= keys <= {
                "code", "message", "retryable", "details"}:
            raise ProtocolViolation("call.error payload keys %r" % sorted(p))
        if p["code"] not in ERROR_CODES:
            raise ProtocolViolation("unknown error code %r" % (p["code"],))
        if not isinstance(p["message"], str) or not isinstance(p["retryable"], bool):
            raise ProtocolViolation("call.error payload types: %r" % (p,))
        if "details" in p and not isinstance(p["details"], dict):
            raise ProtocolViolation("details is not an object: %r" % (p,))


def encode_frame(obj):
    data = json.dumps(obj, separators=(",", ":")).encode("utf-8")
    return struct.pack(">I", len(data)) + data


def raw_frame(data):
    """A frame around arbitrary bytes (for malformed-frame tests)."""
    return struct.pack(">I", len(data)) + data


def _connect_as(path, uid, gid):
    """Connects from a child that runs as uid:gid and passes the socket back.

    SO_PEERCRED records the credentials of the process that called connect(),
    so the parent ends up holding a stream the server sees as uid.
    """
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            parent.close()
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            socket.send_fds(child, [b"k"], [s.fileno()])
            code = 0
        except BaseException as e:  # report to the parent, never return
            try:
                child.sendall(b"E" + repr(e).encode())
            except BaseException:
                pass
        finally:
            os._exit(code)
    child.close()
    try:
        parent.settimeout(10)
        msg, fds, _, _ = socket.recv_fds(parent, 4096, 1)
    finally:
        parent.close()
        os.waitpid(pid, 0)
    if not fds:
        raise ConnectionError("connect as uid %d failed: %s" % (uid, msg.decode(errors="replace")))
    return socket.socket(fileno=fds[0])


class Peer:
    """One stream to the gateway."""

    # Class defaults, so that subclasses with an __init__ of their own have them.
    read_pause = None  # seconds per 4 KiB read; None: SLOW_PAUSE
    bytes_read = 0     # every byte the server sent on this stream
    send_failed = False

    def __init__(self, path, uid=None, gid=None, timeout=15.0, token=None, sock=None):
        """A stream on unix socket path as uid (default: this process's), or
        on sock, connected already (TCP).  token: sent as each call's auth."""
        self.path = path
        self.timeout = timeout
        self.token = token
        self.eof_how = None
        if sock is not None:
            self.sock = sock
        elif uid is None or uid == os.geteuid():
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(path)
        else:
            self.sock = _connect_as(path, uid, uid if gid is None else gid)
        self.sock.setblocking(True)
        self._buf = b""
        self._n = 0

    # -- bytes -----------------------------------------------------------
    def send_bytes(self, data):
        # A stream the gateway refused at accept is closed before we write:
        # what it said is still to be read (recv), as a careful client does.
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            self.send_failed = True

    def send(self, obj):
        self.send_bytes(encode_frame(obj))

    def _fill(self, deadline):
        """Reads more bytes; returns False at EOF (or reset by the server)."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no frame from the server in time")
        r, _, _ = select.select([self.sock], [], [], left)
        if not r:
            raise TimeoutError("no frame from the server in time")
        try:
            data = read_some(self.sock, 65536, self.read_pause)
        except ConnectionResetError:
            self.eof_how = "reset"
            return False
        if not data:
            self.eof_how = "eof"
            return False
        self.bytes_read += len(data)
        self._buf += data
        return True

    def recv(self, timeout=None):
        """Next server frame as a dict, or None at end of stream."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while len(self._buf) < 4:
            if not self._fill(deadline):
                if self._buf:
                    raise ProtocolViolation("stream ended inside a frame header")
                return None
        (n,) = struct.unpack(">I", self._buf[:4])
        if n < 1 or n > SERVER_FRAME_MAX:
            raise ProtocolViolation("server frame length %d" % n)
        while len(self._buf) < 4 + n:
            if not self._fill(deadline):
                raise ProtocolViolation("stream ended inside a frame")
        data, self._buf = self._buf[4:4 + n], self._buf[4 + n:]
        try:
            obj = json.loads(data.decode("utf-8"), object_pairs_hook=_no_dups)
        except (UnicodeDecodeError, ValueError) as e:
            raise ProtocolViolation("server frame is not UTF-8 JSON: %s" % e)
        check_server_frame(obj)
        return obj

    def expect_eof(self, timeout=10.0):
        """Asserts the server closes the stream; returns frames seen before."""
        frames = []
        while True:
            f = self.recv(timeout)
            if f is None:
                return frames
            frames.append(f)

    # -- calls -----------------------------------------------------------
    def next_id(self):
        self._n += 1
        return "c%d" % self._n

    def request(self, op, input=None, id=None, carriage=None):
        cid = id or self.next_id()
        payload = {"operationId": op}
        if input is not None:
            payload["input"] = input
        if carriage is not None:
            payload["carriage"] = carriage
        if self.token is not None:
            payload["auth"] = {"token": self.token}
        self.send({"type": "call.requested", "id": cid, "payload": payload})
        return cid

    def frames(self, cid, timeout=None):
        """Yields this call's frames up to and including the terminal one."""
        while True:
            f = self.recv(timeout)
            if f is None:
                raise ConnectionError("stream closed before call %s ended" % cid)
            # id "": a refusal of the whole stream (PROTOCOL.md: the id could
            # not be read, or the gateway refused the connection at accept).
            if f["id"] != cid and not (f["id"] == "" and f["type"] == "call.error"):
                raise ProtocolViolation("frame for id %r during call %r" % (f["id"], cid))
            yield f
            if f["type"] in TERMINAL:
                return

    def call_frames(self, op, input=None, timeout=None, **kw):
        cid = self.request(op, input, **kw)
        return list(self.frames(cid, timeout))

    def call(self, op, input=None, timeout=None, **kw):
        """A query or mutation: returns its output or raises CallError."""
        fr = self.call_frames(op, input, timeout, **kw)
        last = fr[-1]
        if last["type"] == "call.error":
            if len(fr) != 1:
                raise ProtocolViolation("call.error after output: %r" % fr)
            raise CallError(last)
        if last["type"] != "call.completed" or len(fr) != 2 or fr[0]["type"] != "call.responded":
            raise ProtocolViolation("query/mutation answered %r" % [f["type"] for f in fr])
        return fr[0]["payload"]["output"]

    def error(self, op, input=None, **kw):
        """A call expected to fail: returns the CallError."""
        try:
            out = self.call(op, input, **kw)
        except CallError as e:
            return e
        raise AssertionError("%s succeeded unexpectedly: %r" % (op, out))

    def subscribe(self, op, input=None, timeout=None):
        """A subscription: returns (outputs, terminal frame)."""
        fr = self.call_frames(op, input, timeout)
        for f in fr[:-1]:
            if f["type"] != "call.responded":
                raise ProtocolViolation("%s inside a subscription" % f["type"])
        return [f["payload"]["output"] for f in fr[:-1]], fr[-1]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()
