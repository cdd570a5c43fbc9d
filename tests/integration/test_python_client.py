"""contrib/python/dockgate.py, the Python client module, against a real gateway:
a job end to end, subscriptions as iterators (and aborting one by leaving
it), a raw session, and errors as exceptions with the protocol's codes.
"""

import os
import sys

import pytest

from conftest import ROOT, unique

sys.path.insert(0, os.path.join(ROOT, "contrib", "python"))
import dockgate  # noqa: E402


@pytest.fixture(scope="module")
def gw(shared_gateway):
    with dockgate.Client(shared_gateway.socket, timeout=60) as c:
        yield c


def streams_of(recs):
    """(stdout, stderr) bytes of log records."""
    return tuple(b"".join(dockgate.record_bytes(r) for r in recs if r["stream"] == k)
                 for k in ("stdout", "stderr"))


def test_a_job_end_to_end(gw):
    assert gw.ping() == {"ok": True}
    assert gw.whoami()["peer"] == "alpha"
    name = unique("py")
    cid = gw.call("docker/container/create", {
        "image": "dgtest:latest", "name": name,
        "cmd": ["sh", "-c", "echo out; echo err >&2; printf '\\377'; exit 7"]})["containerId"]
    try:
        gw.call("docker/container/start", {"containerId": name})
        # A follow ends when the container exits.  The engine itself may drop
        # a followed container's last output (docs/protocol.md): what followed
        # is a prefix, and a read after the exit has every byte.
        sel = {"containerId": cid, "stdout": True, "stderr": True}
        recs = list(gw.subscribe("docker/container/logs", dict(sel, follow=True)))
        out, err = streams_of(recs)
        assert b"out\n\xff".startswith(out) and b"err\n".startswith(err)
        assert gw.call("docker/container/wait", {"containerId": cid})["exitCode"] == 7
        out, err = streams_of(list(gw.subscribe("docker/container/logs", sel)))
        assert out == b"out\n\xff" and err == b"err\n"
        names = [n for c in gw.call("docker/container/list", {"all": True}) for n in c["names"]]
        assert name in names
    finally:
        gw.call("docker/container/remove", {"containerId": cid, "force": True})
    # The same stream goes on serving after all that.
    code, recs = gw.run("dgtest:latest", ["echo", "hello"])
    assert code == 0 and [r["text"] for r in recs] == ["hello\n"]


def test_errors_are_exceptions_with_the_protocols_codes(gw):
    with pytest.raises(dockgate.NotFound) as e:
        gw.call("docker/container/inspect", {"containerId": unique("missing")})
    assert e.value.code == "NOT_FOUND" and not e.value.retryable
    assert isinstance(e.value, dockgate.DockgateError)
    with pytest.raises(dockgate.InvalidInput) as e:
        gw.call("docker/container/create", {"image": "dgtest:latest", "privileged": True})
    assert "privileged" in e.value.message
    assert gw.ping() == {"ok": True}
    with pytest.raises(dockgate.CannotConnect) as e:
        dockgate.Client("/nonexistent/dockgate.sock").ping()
    assert "is dockgated running?" in str(e.value) and "DOCKGATE_SOCKET" in str(e.value)


def test_leaving_a_subscription_aborts_it(gw):
    events = gw.subscribe("docker/system/events", {"types": ["container"]})
    cid = gw.call("docker/container/create", {"image": "dgtest:latest", "cmd": ["true"]})[
        "containerId"]
    try:
        # The create happened before the subscription began: start it now, on
        # the same stream as the subscription (calls are multiplexed by id).
        first = None
        stream = gw._stream
        gw.call("docker/container/start", {"containerId": cid})
        assert gw.ping() == {"ok": True}
        assert gw._stream is stream and not stream.closed
        for ev in events:
            if ev["id"] == cid:
                first = ev
                break
        events.close()
        assert first is not None and first["type"] == "container"
    finally:
        gw.call("docker/container/remove", {"containerId": cid, "force": True})
    assert gw.ping() == {"ok": True}


def test_a_raw_exec_session(gw):
    cid = gw.call("docker/container/create", {
        "image": "dgtest:latest", "cmd": ["sleep", "60"]})["containerId"]
    try:
        gw.call("docker/container/start", {"containerId": cid})
        data = bytes(range(256)) * 4096  # 1 MiB, binary, more than one chunk with the header
        with gw.raw("docker/container/exec", {
                "containerId": cid, "cmd": ["sh", "-c", "cat; echo done >&2; exit 3"],
                "stdin": True}) as s:
            assert s.info["carriage"] == "raw"
            s.write(data)
            s.close_stdin()
            got = s.read_all()
        assert got["stdout"] == data and got["stderr"] == b"done\n"
        assert s.exit_code == 3
    finally:
        gw.call("docker/container/remove", {"containerId": cid, "force": True})
