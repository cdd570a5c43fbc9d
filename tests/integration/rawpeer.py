"""rawpeer.py - raw carriage (PROTOCOL.md section 3) for the integration tests.

Written from PROTOCOL.md alone, like peer.py, on top of a peer.py stream:
after call.requested with "carriage": "raw" the server sends one JSON frame,
then chunks: type (u8), length (u32 big-endian), payload.  Every chunk the
server sends is checked: a known type, at most 1 MiB, never stdin, control
chunks one JSON object, and the control exit/error as the very last chunk.
"""

import json
import select
import struct
import threading
import time

from peer import CallError, ProtocolViolation, read_some

STDIN, STDOUT, STDERR, CONTROL = 0, 1, 2, 3
CHUNK_MAX = 1 << 20


def chunk(ctype, data=b""):
    return struct.pack(">BI", ctype, len(data)) + data


class RawSession:
    """One raw-carriage call on a fresh peer.py stream (which it then owns)."""

    def __init__(self, peer, op, input, timeout=30.0):
        self.peer = peer
        self.sock = peer.sock
        self.timeout = timeout
        self.id = peer.request(op, input, carriage="raw")
        first = peer.recv(timeout)
        if first is None:
            raise ConnectionError("stream closed before the raw call's answer")
        if first["id"] != self.id:
            raise ProtocolViolation("answer for another id: %r" % first)
        if first["type"] == "call.error":
            self.first = first
            if peer.recv(5) is not None:
                raise ProtocolViolation("a frame after a raw call's call.error")
            raise CallError(first)
        if first["type"] != "call.responded":
            raise ProtocolViolation("raw call answered with %s" % first["type"])
        self.output = first["payload"]["output"]
        if not isinstance(self.output, dict) or self.output.get("carriage") != "raw":
            raise ProtocolViolation("call.responded of a raw call: %r" % self.output)
        self._buf = peer._buf  # bytes after the frame are chunks already
        peer._buf = b""
        self.end = None  # the final control chunk, once seen
        self.eof = False
        self.stderr = b""  # stderr read by read_until, handed out by finish

    # -- sending -----------------------------------------------------------
    def send_raw(self, data):
        self.sock.sendall(data)

    def stdin(self, data):
        for off in range(0, len(data), CHUNK_MAX):
            self.sock.sendall(chunk(STDIN, data[off:off + CHUNK_MAX]))

    def close_stdin(self):
        self.sock.sendall(chunk(STDIN))

    def control(self, obj):
        self.sock.sendall(chunk(CONTROL, json.dumps(obj).encode()))

    def resize(self, rows, cols):
        self.control({"type": "resize", "rows": rows, "cols": cols})

    # -- receiving ---------------------------------------------------------
    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no chunk from the server in time")
        r, _, _ = select.select([self.sock], [], [], left)
        if not r:
            raise TimeoutError("no chunk from the server in time")
        try:
            data = read_some(self.sock, 1 << 16, self.peer.read_pause)
        except ConnectionResetError:
            data = b""
        if not data:
            return False
        self.peer.bytes_read += len(data)
        self._buf += data
        return True

    def recv(self, timeout=None):
        """Next chunk as (type, bytes), or None at the end of the stream."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while len(self._buf) < 5:
            if not self._fill(deadline):
                if self._buf:
                    raise ProtocolViolation("stream ended inside a chunk header")
                self.eof = True
                if self.end is None:
                    raise ProtocolViolation("stream closed without a control exit or error")
                return None
        ctype, n = struct.unpack(">BI", self._buf[:5])
        if ctype not in (STDOUT, STDERR, CONTROL):
            raise ProtocolViolation("server chunk type %d" % ctype)
        if n > CHUNK_MAX:
            raise ProtocolViolation("server chunk of %d bytes" % n)
        while len(self._buf) < 5 + n:
            if not self._fill(deadline):
                raise ProtocolViolation("stream ended inside a chunk")
        data, self._buf = self._buf[5:5 + n], self._buf[5 + n:]
        if self.end is not None:
            raise ProtocolViolation("chunk after the final control: %r" % ((ctype, data),))
        if ctype == CONTROL:
            obj = json.loads(data.decode("utf-8"))
            if not isinstance(obj, dict) or obj.get("type") not in ("exit", "error"):
                raise ProtocolViolation("server control chunk %r" % (obj,))
            # a build's exit also names its image (docs/raw-carriage.md)
            if obj["type"] == "exit" and (set(obj) - {"imageId", "tags"} != {"type", "exitCode"}
                                          or not isinstance(obj["exitCode"], int)):
                raise ProtocolViolation("exit control %r" % (obj,))
            if obj["type"] == "error" and (set(obj) != {"type", "code", "message"}):
                raise ProtocolViolation("error control %r" % (obj,))
            self.end = obj
            return ctype, obj
        if n == 0:
            raise ProtocolViolation("empty output chunk")
        return ctype, data

    def read_until(self, pred, timeout=None):
        """Reads output until pred(stdout_so_far) is true; returns stdout bytes."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        got = b""
        while not pred(got):
            c = self.recv(max(0.01, deadline - time.monotonic()))
            if c is None or c[0] == CONTROL:
                raise AssertionError("session ended while waiting; got %r, end %r"
                                     % (got[-200:], self.end))
            if c[0] == STDOUT:
                got += c[1]
            else:
                self.stderr += c[1]
        return got

    def finish(self, timeout=None):
        """Reads to the end: returns (stdout, stderr, final control)."""
        out, err = b"", self.stderr
        self.stderr = b""
        while True:
            c = self.recv(timeout)
            if c is None:
                return out, err, self.end
            if c[0] == STDOUT:
                out += c[1]
            elif c[0] == STDERR:
                err += c[1]

    def stty_shows(self, rows, cols):
        """The size stty reports in a tty session, asked until it is the one sent.

        A resize reaches the engine through the supervisor while stdin goes
        straight to the process, so (as with docker's own CLI) a command typed
        right after a resize may still see the old size; the size must arrive.
        """
        want = b"%d %d" % (rows, cols)
        for _ in range(20):
            self.stdin(b"stty size\n")
            try:
                return self.read_until(lambda b: want in b, timeout=0.5)
            except TimeoutError:
                continue
        raise AssertionError("stty size never showed %r" % want)

    def close(self):
        self.peer.close()


def run(peer, op, input, stdin=b"", close=True, timeout=60.0):
    """A whole session: sends stdin (from a thread), reads everything."""
    s = RawSession(peer, op, input, timeout)
    s.feed_errors = errors = []

    def feed():
        try:
            if stdin:
                s.stdin(stdin)
            if close:
                s.close_stdin()
        except OSError as e:  # the session may end before all input was taken
            errors.append(e)

    t = threading.Thread(target=feed, daemon=True)
    t.start()
    out, err, end = s.finish(timeout)
    t.join(timeout)
    return out, err, end, s
