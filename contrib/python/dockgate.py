"""dockgate.py - a Python client for dockgated's native protocol (docs/protocol.md).

One file, the standard library only (Python 3.7+).  Copy it next to your code.

    import dockgate
    gw = dockgate.Client()                     # $DOCKGATE_SOCKET, else /run/dockgate/dockgate.sock
    gw.call("docker/system/ping")              # -> {"ok": True}
    cid = gw.call("docker/container/create",
                  {"image": "busybox", "cmd": ["echo", "hi"]})["containerId"]
    gw.call("docker/container/start", {"containerId": cid})
    for rec in gw.subscribe("docker/container/logs",
                            {"containerId": cid, "follow": True}):
        print(rec["stream"], rec.get("text"))
    with gw.raw("docker/container/exec",
                {"containerId": cid, "cmd": ["cat"], "stdin": True}) as s:
        s.write(b"bytes\\n"); s.close_stdin()
        out = s.read_all()                     # {"stdout": b"...", "stderr": b"..."}
        code = s.exit_code

- `call(op, input)`: a query or mutation; returns its one output.
- `subscribe(op, input)`: an iterator over the outputs of a subscription; it
  ends at `call.completed`; leaving it early (break, close()) aborts the call.
- `raw(op, input)`: a raw-carriage session (exec, attach, archive get/put) on
  a stream of its own (a raw call owns its stream).
- Every `call.error` is raised as `DockgateError` (a subclass per code:
  `NotFound`, `Forbidden`, ...), with `.code`, `.message`, `.retryable`,
  `.details`; a broken stream is `ConnectionLost`; a gateway that cannot be
  reached `CannotConnect`, which says what to check.

Calls and subscriptions of one Client share one stream, multiplexed by call id
(docs/protocol.md, "Calls on one stream"): a call made while a subscription is
open goes on the same stream, and the subscription's records that arrive
meanwhile wait in its own queue.  Raw sessions get a stream each.  A Client is
not thread-safe: use one per thread.
"""

import base64
import collections
import itertools
import json
import os
import socket
import struct

__all__ = [
    "Client", "Subscription", "RawSession", "DockgateError", "ConnectionLost", "CannotConnect",
    "DEFAULT_SOCKET", "ERROR_CODES",
]

DEFAULT_SOCKET = "/run/dockgate/dockgate.sock"
SERVER_FRAME_MAX = 16 << 20
CHUNK_MAX = 1 << 20
STDIN, STDOUT, STDERR, CONTROL = 0, 1, 2, 3
TERMINAL = ("call.completed", "call.error", "call.aborted")


# -- errors -----------------------------------------------------------------

class DockgateError(Exception):
    """A call ended with call.error: .code, .message, .retryable, .details."""

    code = None

    def __init__(self, code, message, retryable=False, details=None):
        self.code = code
        self.message = message
        self.retryable = retryable
        self.details = details or {}
        super().__init__("%s: %s" % (code, message))


class ConnectionLost(DockgateError):
    """The stream closed or broke before the call ended."""

    def __init__(self, message):
        super().__init__("UNAVAILABLE", message, True)


class CannotConnect(ConnectionLost):
    """No gateway answers on the socket."""


def _error_class(code, doc):
    name = "".join(w.capitalize() for w in code.split("_"))
    return type(name, (DockgateError,), {"__doc__": doc, "code": code})


ERROR_CODES = {
    "PROTOCOL_ERROR": "a malformed frame or chunk; the stream closes",
    "INVALID_INPUT": "unknown operation, unknown or ill-typed input field, bad value",
    "UNAUTHENTICATED": "the peer could not be identified",
    "FORBIDDEN": "policy denies this operation or this input",
    "NOT_FOUND": "no such resource for this peer",
    "CONFLICT": "name in use, container not running, and the like",
    "QUOTA_EXCEEDED": "the peer's quota would be exceeded",
    "RATE_LIMITED": "too many calls; details.retryAfterMs says when to retry",
    "UNAVAILABLE": "the engine cannot be reached, or the server is at capacity",
    "TIMEOUT": "the engine did not answer in time",
    "DOCKER_ERROR": "the engine refused; details.status is its HTTP status",
    "ABORTED": "the call was stopped",
    "INTERNAL": "a bug in the server",
}
_CLASSES = {code: _error_class(code, doc) for code, doc in ERROR_CODES.items()}
globals().update({cls.__name__: cls for cls in _CLASSES.values()})
__all__ += [cls.__name__ for cls in _CLASSES.values()]


def error_from(payload):
    """The exception for a call.error payload (or a raw control error)."""
    code = payload.get("code", "INTERNAL")
    cls = _CLASSES.get(code, DockgateError)
    return cls(code, payload.get("message", ""), bool(payload.get("retryable", False)),
               payload.get("details"))


# -- one stream -------------------------------------------------------------

def _connect(address, timeout):
    """address: a unix socket path ("unix:" optional) or "tcp:HOST:PORT"."""
    try:
        if address.startswith("tcp:"):
            host, _, port = address[4:].rpartition(":")
            s = socket.create_connection((host or "127.0.0.1", int(port)), timeout)
        else:
            path = address[5:] if address.startswith("unix:") else address
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(timeout)
            s.connect(path)
    except OSError as e:
        raise CannotConnect("cannot connect to %s: %s: is dockgated running? "
                            "Set DOCKGATE_SOCKET to its socket" % (address, e.strerror or e))
    return s


class _Stream:
    """Frames (u32 big-endian length, UTF-8 JSON) on one connection."""

    def __init__(self, address, timeout):
        self.sock = _connect(address, timeout)
        self.buf = b""
        self.closed = False
        self.inbox = {}  # call id -> frames read for it while another call was reading

    def open_call(self, call_id):
        self.inbox[call_id] = collections.deque()

    def end_call(self, call_id):
        self.inbox.pop(call_id, None)

    def recv_for(self, call_id):
        """The next frame of call_id (or one with id "", for the whole stream)."""
        q = self.inbox.get(call_id)
        if q:
            return q.popleft()
        while True:
            f = self.recv()
            fid = f.get("id")
            if fid == call_id or fid == "":
                return f
            if fid not in self.inbox:
                self.close()
                raise ConnectionLost("frame for a call not in flight (%r) on this stream" % fid)
            self.inbox[fid].append(f)

    def send(self, obj):
        data = json.dumps(obj, separators=(",", ":")).encode()
        self._sendall(struct.pack(">I", len(data)) + data)

    def _sendall(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            self.close()
            raise ConnectionLost("sending to dockgated: %s" % e)

    def _fill(self, n):
        while len(self.buf) < n:
            try:
                data = self.sock.recv(max(65536, n - len(self.buf)))
            except OSError as e:
                self.close()
                raise ConnectionLost("reading from dockgated: %s" % e)
            if not data:
                self.close()
                raise ConnectionLost("dockgated closed the stream before the call ended")
            self.buf += data

    def _take(self, n):
        self._fill(n)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        (n,) = struct.unpack(">I", self._take(4))
        if n == 0 or n > SERVER_FRAME_MAX:
            self.close()
            raise ConnectionLost("frame of %d bytes from dockgated" % n)
        return json.loads(self._take(n).decode())

    def send_chunk(self, kind, payload):
        self._sendall(struct.pack(">BI", kind, len(payload)) + payload)

    def recv_chunk(self):
        kind, n = struct.unpack(">BI", self._take(5))
        if n > CHUNK_MAX:
            self.close()
            raise ConnectionLost("chunk of %d bytes from dockgated" % n)
        return kind, self._take(n)

    def close(self):
        if not self.closed:
            self.closed = True
            self.sock.close()


# -- the client -------------------------------------------------------------

class Client:
    """A peer of dockgated.  socket: a path, "unix:PATH" or "tcp:HOST:PORT"
    (TCP listeners need token)."""

    def __init__(self, socket=None, token=None, timeout=None):
        self.address = socket or os.environ.get("DOCKGATE_SOCKET") or DEFAULT_SOCKET
        self.token = token
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._stream = None

    def close(self):
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _request(self, op, input, carriage):
        payload = {"operationId": op, "input": input or {}, "carriage": carriage}
        if self.token is not None:
            payload["auth"] = {"token": self.token}
        return {"type": "call.requested", "id": "py%d" % next(self._ids), "payload": payload}

    def _take_stream(self):
        """The client's stream, opened again after it broke or closed."""
        if self._stream is None or self._stream.closed:
            self._stream = _Stream(self.address, self.timeout)
        return self._stream

    def _start(self, op, input):
        stream = self._take_stream()
        req = self._request(op, input, "json")
        stream.open_call(req["id"])
        try:
            stream.send(req)
        except BaseException:
            stream.end_call(req["id"])
            raise
        return stream, req["id"]

    @staticmethod
    def _outputs(stream, call_id):
        """Yields each call.responded output of call_id; raises on call.error."""
        try:
            while True:
                f = stream.recv_for(call_id)
                t, p = f.get("type"), f.get("payload", {})
                if t == "call.responded":
                    yield p.get("output")
                elif t == "call.completed":
                    return
                elif t == "call.error":
                    if p.get("code") in ("PROTOCOL_ERROR", "UNAUTHENTICATED"):
                        stream.close()  # the server closes these streams
                    raise error_from(p)
                elif t == "call.aborted":
                    raise error_from({"code": "ABORTED", "message": "call aborted"})
        finally:
            stream.end_call(call_id)

    def call(self, op, input=None):
        """A query or mutation: returns its output (None when it had none)."""
        out = None
        for out in self._outputs(*self._start(op, input)):
            pass
        return out

    def subscribe(self, op, input=None):
        """A subscription, requested now: iterate over its outputs; close() it
        (or leave a for loop over it early and drop it) to abort the call."""
        stream, call_id = self._start(op, input)
        return Subscription(stream, call_id)

    @staticmethod
    def _abort(stream, call_id):
        """call.aborted, then read to the call's terminal frame (or close)."""
        try:
            stream.send({"type": "call.aborted", "id": call_id, "payload": {}})
            while stream.recv_for(call_id).get("type") not in TERMINAL:
                pass
        except (DockgateError, ValueError):
            stream.close()

    def raw(self, op, input=None):
        """A raw-carriage session on a stream of its own (see RawSession)."""
        return RawSession(_Stream(self.address, self.timeout), self._request(op, input, "raw"))

    # -- a few conveniences ----------------------------------------------
    def ping(self):
        return self.call("docker/system/ping")

    def whoami(self):
        return self.call("gateway/whoami")

    def run(self, image, cmd, remove=True, **create):
        """create, start, follow the logs to the end, wait: (exit code, records)."""
        create.update(image=image, cmd=list(cmd))
        cid = self.call("docker/container/create", create)["containerId"]
        try:
            self.call("docker/container/start", {"containerId": cid})
            records = list(self.subscribe("docker/container/logs", {
                "containerId": cid, "follow": True, "stdout": True, "stderr": True}))
            code = self.call("docker/container/wait", {"containerId": cid})["exitCode"]
            return code, records
        finally:
            if remove:
                self.call("docker/container/remove", {"containerId": cid, "force": True})


class Subscription:
    """The outputs of one subscription, as an iterator (Client.subscribe)."""

    def __init__(self, stream, call_id):
        self._stream, self.id = stream, call_id
        self._it = Client._outputs(stream, call_id)
        self._done = False

    def __iter__(self):
        return self

    def __next__(self):
        if self._done:
            raise StopIteration
        try:
            return next(self._it)
        except BaseException:
            self._finish()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _finish(self):
        if not self._done:
            self._done = True
            self._stream.end_call(self.id)

    def close(self):
        """Aborts the call if it has not ended (call.aborted, then its terminal frame)."""
        if self._done:
            return
        if not self._stream.closed:
            Client._abort(self._stream, self.id)
        self._finish()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


def record_bytes(record):
    """The bytes of a logs or exec record ("text" or "base64")."""
    if "base64" in record:
        return base64.b64decode(record["base64"])
    return record.get("text", "").encode()


class RawSession:
    """Chunks both ways after the one JSON answer (docs/protocol.md, raw carriage).

    .info is that answer's output ({"carriage": "raw", "tty": ...}).  Read with
    chunks() (an iterator of (stream, bytes), stream "stdout" or "stderr") or
    read_all(); the session ends at the server's control chunk: .exit_code is
    then set, or a DockgateError raised for a control error.
    """

    def __init__(self, stream, req):
        self.stream = stream
        self.exit_code = None
        try:
            stream.send(req)
            f = stream.recv()
        except BaseException:
            stream.close()
            raise
        if f.get("type") == "call.error":
            stream.close()
            raise error_from(f.get("payload", {}))
        if f.get("type") != "call.responded":
            stream.close()
            raise ConnectionLost("unexpected %r before a raw session" % f.get("type"))
        self.info = f["payload"].get("output")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def write(self, data):
        """Bytes for the process's stdin (split into chunks of at most 1 MiB)."""
        data = bytes(data)
        for i in range(0, len(data), CHUNK_MAX):
            self.stream.send_chunk(STDIN, data[i:i + CHUNK_MAX])

    def close_stdin(self):
        """The one end-of-input signal: a zero-length stdin chunk."""
        self.stream.send_chunk(STDIN, b"")

    def resize(self, rows, cols):
        self._control({"type": "resize", "rows": rows, "cols": cols})

    def abort(self):
        self._control({"type": "abort"})

    def _control(self, obj):
        self.stream.send_chunk(CONTROL, json.dumps(obj, separators=(",", ":")).encode())

    def chunks(self):
        while self.exit_code is None:
            kind, data = self.stream.recv_chunk()
            if kind == STDOUT:
                yield "stdout", data
            elif kind == STDERR:
                yield "stderr", data
            elif kind == CONTROL:
                msg = json.loads(data.decode())
                self.stream.close()
                if msg.get("type") == "exit":
                    self.exit_code = msg.get("exitCode")
                else:
                    raise error_from(msg)
            else:
                self.stream.close()
                raise ConnectionLost("chunk of unknown type %d from dockgated" % kind)

    def read_all(self):
        out = {"stdout": b"", "stderr": b""}
        for name, data in self.chunks():
            out[name] += data
        return out

    def close(self):
        self.stream.close()
