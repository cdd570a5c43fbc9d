"""Identity: unix peers by uid and gid, TCP peers by bearer token.

The TCP listener runs on 127.0.0.1 on an ephemeral port (--tcp 0); the
policy holds only SHA-256 digests of the tokens.  Every call on a TCP stream
carries payload.auth.token; a stream belongs to the peer of its first call.
"""

import hashlib
import re
import secrets
import socket
import subprocess

import pytest

from conftest import binary, create_container, unique, wait_for
from peer import CallError, Peer

ALPHA_TOKEN = "dgt_" + secrets.token_hex(32)
BETA_TOKEN = "dgt_" + secrets.token_hex(32)


def digest(token):
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


POLICY = {
    "peers": {
        # alpha is both uid 0 on the unix socket and a token holder on TCP.
        "alpha": {"uids": [0], "tokens": [digest(ALPHA_TOKEN)]},
        "beta": {"tokens": [digest(BETA_TOKEN)], "quotas": {"streams": 2}},
        "staff": {"gids": [2345]},
    }
}


class TcpPeer(Peer):
    """A stream over TCP whose calls carry a token (None: no auth at all)."""

    def __init__(self, port, token, timeout=15.0):
        super().__init__(None, timeout=timeout, token=token,
                         sock=socket.create_connection(("127.0.0.1", port), timeout=timeout))


@pytest.fixture(scope="module")
def tcp_gw(request, engine, engine_sock):
    from conftest import _run_gateway
    yield from _run_gateway(request, engine, engine_sock, policy=POLICY,
                            args=["--tcp", "0"], pool=4)


@pytest.fixture(scope="module")
def port(tcp_gw):
    m = tcp_gw.wait_log(r"listening on tcp (\S+) port (\d+)")
    assert m.group(1) == "127.0.0.1", "the TCP listener is not on loopback by default"
    return int(m.group(2))


def refused(p, code="UNAUTHENTICATED", at_accept=False):
    """The stream's next call fails with code and the server closes the stream.

    at_accept: the supervisor refused the connection itself when it was
    accepted (an unmapped uid), before any call: the error's id is "".
    """
    p.request("docker/system/ping", id="who")
    frames = p.expect_eof(timeout=10)
    assert len(frames) == 1 and frames[0]["id"] == ("" if at_accept else "who"), frames
    assert frames[0]["type"] == "call.error", frames
    assert frames[0]["payload"]["code"] == code, frames
    return frames[0]["payload"]


def test_right_token(tcp_gw, port):
    with TcpPeer(port, ALPHA_TOKEN) as t:
        assert t.call("docker/system/ping") == {"ok": True}
        me = t.call("gateway/whoami")
        assert me["peer"] == "alpha"
        assert me["identity"]["transport"] == "tcp"
        assert me["identity"]["tokenId"] == digest(ALPHA_TOKEN)[7:19]
        # The same peer over unix and TCP: the same resources.
        cid = create_container(t, ["true"])
    with tcp_gw.peer() as u:
        assert u.call("docker/container/inspect", {"containerId": cid})["Id"] == cid


@pytest.mark.parametrize("token", [
    "dgt_" + "0" * 64,                 # well formed, unknown
    ALPHA_TOKEN[:-1],                  # one character short
    ALPHA_TOKEN + "x",                 # one too many
    ALPHA_TOKEN.upper(),               # case matters
    digest(ALPHA_TOKEN),               # the stored digest is not the token
    digest(ALPHA_TOKEN)[7:],           # nor its hex
    "x",
])
def test_wrong_token(tcp_gw, port, token):
    with TcpPeer(port, token) as t:
        out = refused(t)
        assert "token" in out["message"]
        assert ALPHA_TOKEN not in out["message"]
    assert ALPHA_TOKEN not in tcp_gw.log(), "a token was written to the log"


def test_missing_token(tcp_gw, port):
    with TcpPeer(port, None) as t:
        refused(t)


def test_token_after_stream_bound(tcp_gw, port):
    """A stream is one peer's: another peer's token on it is refused."""
    with TcpPeer(port, ALPHA_TOKEN) as t:
        assert t.call("docker/system/ping") == {"ok": True}
        t.token = BETA_TOKEN
        refused(t)


def test_tokens_separate_tenants(tcp_gw, port):
    with TcpPeer(port, ALPHA_TOKEN) as a, TcpPeer(port, BETA_TOKEN) as b:
        ca = create_container(a, ["true"], name=unique())
        assert b.error("docker/container/inspect", {"containerId": ca}).code == "NOT_FOUND"
        assert b.call("gateway/whoami")["peer"] == "beta"


def test_tcp_stream_quota(tcp_gw, port):
    """beta may hold two streams; the third's first call is QUOTA_EXCEEDED."""
    def bound_stream():
        # A stream of beta's closed by the test before may still be served
        # for a moment (its worker has not exited yet): wait for its place.
        t = TcpPeer(port, BETA_TOKEN)
        try:
            if t.call("docker/system/ping") == {"ok": True}:
                return t
        except CallError as e:
            assert e.code == "QUOTA_EXCEEDED", e
        t.close()
        return None
    one = wait_for(bound_stream, timeout=10, what="beta's first stream")
    two = wait_for(bound_stream, timeout=10, what="beta's second stream")
    try:
        with TcpPeer(port, BETA_TOKEN) as three:
            e = three.error("docker/system/ping")
            assert e.code == "QUOTA_EXCEEDED" and e.details["quota"] == "streams", e
    finally:
        one.close()
        two.close()


def test_unix_token_ignored(tcp_gw):
    """On the unix socket identity is SO_PEERCRED's; a token there names nobody."""
    class TokenUnix(Peer):
        def request(self, op, input=None, id=None, carriage=None):
            cid = id or self.next_id()
            self.send({"type": "call.requested", "id": cid,
                       "payload": {"operationId": op, "auth": {"token": BETA_TOKEN}}})
            return cid
    with TokenUnix(tcp_gw.socket) as p:
        assert p.call("gateway/whoami")["peer"] == "alpha"


def test_gid_identity(tcp_gw):
    """A uid no peer lists, with a gid a peer lists, is that peer."""
    with Peer(tcp_gw.socket, uid=4321, gid=2345) as p:
        me = p.call("gateway/whoami")
        assert me["peer"] == "staff"
        assert me["identity"] == {"transport": "unix", "uid": 4321, "gid": 2345}
    with Peer(tcp_gw.socket, uid=4321, gid=4321) as p:
        refused(p, at_accept=True)


def test_hash_token_tool():
    r = subprocess.run([binary("dockgated"), "--hash-token"], input=ALPHA_TOKEN + "\n",
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 0 and r.stdout.strip() == digest(ALPHA_TOKEN), r
    r = subprocess.run([binary("dockgated"), "--new-token"], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 0, r
    tok = re.search(r"(dgt_[0-9a-f]{64})", r.stdout).group(1)
    assert digest(tok) in r.stdout, r.stdout


def test_tcp_listener_in_config_is_loopback(make_gateway):
    gw = make_gateway(policy=POLICY, args=["--tcp", "127.0.0.1:0"])
    m = gw.wait_log(r"listening on tcp (\S+) port (\d+)")
    with TcpPeer(int(m.group(2)), ALPHA_TOKEN) as t:
        assert t.call("docker/system/ping") == {"ok": True}
    assert "not on loopback" not in gw.log()
