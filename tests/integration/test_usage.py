"""Per-peer accounting: gateway/usage, the admin socket's /metrics and
/ready, persistence across restarts, and container CPU from the engine.
"""

import http.client
import json
import os
import re
import socket
import subprocess

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import binary, run_container, wait_for, write_config
from peer import Peer, _connect_as

POLICY = {
    "peers": {
        "alpha": {"uids": [0]},
        "beta": {"uids": [1001]},
        "root": {"uids": [1002], "admin": True},
    }
}


class _Unix(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self._path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self._path)


def admin_get(path, url):
    c = _Unix(path)
    try:
        c.request("GET", url)
        r = c.getresponse()
        return r.status, r.getheader("Content-Type", ""), r.read().decode()
    finally:
        c.close()


def metrics(path):
    status, ctype, text = admin_get(path, "/metrics")
    assert status == 200 and ctype.startswith("text/plain; version=0.0.4"), (status, ctype)
    return text


def samples(text):
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


class CountingPeer(Peer):
    """Counts every byte it sends and receives, frame headers included."""

    sent = 0
    received = 0

    def send_bytes(self, data):
        self.sent += len(data)
        super().send_bytes(data)

    def _fill(self, deadline):
        before = len(self._buf)
        ok = super()._fill(deadline)
        self.received += len(self._buf) - before
        return ok


# -- counters ----------------------------------------------------------------

def test_counters_match_the_traffic(make_gateway, work):
    admin = os.path.join(work, "admin.sock")
    gw = make_gateway(policy=POLICY, args=["--admin-socket", admin])
    p = CountingPeer(gw.socket)
    try:
        for i in range(7):
            assert p.call("docker/system/ping") == {"ok": True}
        for i in range(3):
            p.call("docker/container/list", {"all": True})
        for i in range(2):
            assert p.error("docker/container/inspect", {"containerId": "nosuch%d" % i}).code \
                == "NOT_FOUND"
        big = "x" * 5000  # a large input counts in full
        assert p.error("docker/container/inspect", {"containerId": big[:256]}).code \
            == "NOT_FOUND"
        sent, received = p.sent, p.received
        # The calls before this one have all ended on this stream.
        u = p.call("gateway/usage")
    finally:
        p.close()
    by = u["calls"]["byOperation"]
    assert by["docker/system/ping"] == {"OK": 7}, by
    assert by["docker/container/list"] == {"OK": 3}, by
    assert by["docker/container/inspect"] == {"NOT_FOUND": 3}, by
    assert u["calls"]["total"] == 13
    # The worker counts what it read and wrote for each call: exactly our bytes.
    assert u["bytesReceived"] == sent and u["bytesSent"] == received, (u, sent, received)
    assert u["peer"] == "alpha" and u["liveStreams"] == 1
    # The same on the admin socket, once the usage call itself has ended.
    want = ("dockgate_calls_total",
            (("operation", "gateway/usage"), ("peer", "alpha"), ("result", "OK")))
    wait_for(lambda: samples(metrics(admin)).get(want) == 1, what="the usage call counted")
    s = samples(metrics(admin))
    assert s[("dockgate_calls_total",
              (("operation", "docker/system/ping"), ("peer", "alpha"), ("result", "OK")))] == 7
    assert s[("dockgate_received_bytes_total", (("peer", "alpha"),))] >= sent
    assert s[("dockgate_sent_bytes_total", (("peer", "alpha"),))] >= received
    wait_for(lambda: samples(metrics(admin))[("dockgate_live_streams", (("peer", "alpha"),))] == 0,
             what="the closed stream to end")


def test_usage_of_others_is_for_admins(make_gateway):
    gw = make_gateway(policy=POLICY)
    with gw.peer(uid=1001) as b:
        assert b.call("docker/system/ping") == {"ok": True}
        assert b.call("gateway/usage", {"peer": "beta"})["peer"] == "beta"
        e = b.error("gateway/usage", {"peer": "alpha"})
        assert e.code == "FORBIDDEN", e
    with gw.peer(uid=1002) as r:
        u = wait_for(lambda: (lambda v: v if v["calls"]["total"] >= 2 else None)(
            r.call("gateway/usage", {"peer": "beta"})), what="beta's calls")
        assert u["peer"] == "beta" and u["calls"]["byOperation"]["docker/system/ping"] == {"OK": 1}
        assert r.error("gateway/usage", {"peer": "nobody"}).code == "NOT_FOUND"
        assert r.call("gateway/usage")["peer"] == "root"


def counted(gw, op, n=1):
    """Waits until alpha's usage counts n OK calls of op, as the admin peer
    root sees it (its own calls are counted to itself, not to alpha)."""
    with gw.peer(uid=1002) as r:
        wait_for(lambda: r.call("gateway/usage", {"peer": "alpha"})["calls"]["byOperation"]
                 .get(op) == {"OK": n}, what="alpha's %d %s call(s) counted" % (n, op))


def test_totals_survive_a_restart(make_gateway, work):
    state = os.path.join(work, "state")
    gw = make_gateway(policy=POLICY, args=["--state-dir", state])
    with gw.peer() as p:
        for i in range(5):
            p.call("docker/system/ping")
        before = p.call("gateway/usage")
    counted(gw, "gateway/usage")  # the usage call's end reaches the supervisor
    assert gw.stop() == 0
    assert os.stat(os.path.join(state, "accounting.json")).st_mode & 0o777 == 0o600
    gw2 = make_gateway(policy=POLICY, args=["--state-dir", state])
    with gw2.peer() as p:
        after = p.call("gateway/usage")
    assert after["since"] == before["since"]
    assert after["calls"]["byOperation"]["docker/system/ping"] == {"OK": 5}
    assert after["calls"]["byOperation"]["gateway/usage"] == {"OK": 1}
    assert after["bytesReceived"] > before["bytesReceived"]
    assert after["bytesSent"] > before["bytesSent"]


def test_cli_usage(make_gateway):
    gw = make_gateway(policy=POLICY)
    with gw.peer() as p:
        p.call("docker/system/ping")
    env = dict(os.environ, DOCKGATE_SOCKET=gw.socket)
    counted(gw, "docker/system/ping")
    out = subprocess.run([binary("dockgate"), "usage"], capture_output=True, text=True,
                         env=env, timeout=30)
    assert out.returncode == 0, out.stderr
    assert re.search(r"^PEER\s+alpha$", out.stdout, re.M), out.stdout
    assert re.search(r"^docker/system/ping\s+OK\s+1$", out.stdout, re.M), out.stdout
    out = subprocess.run([binary("dockgate"), "usage", "--json"], capture_output=True,
                         text=True, env=env, timeout=30)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["peer"] == "alpha" and doc["calls"]["total"] >= 1
    out = subprocess.run([binary("dockgate"), "usage", "--peer", "beta"], capture_output=True,
                         text=True, env=env, timeout=30)
    assert out.returncode == 1 and "FORBIDDEN" in out.stderr, (out.stdout, out.stderr)


# -- the engine's side -------------------------------------------------------

def test_cpu_grows_only_while_busy(make_gateway, work):
    gw = make_gateway(policy=POLICY,
                      args=["--config", write_config(work, accountingIntervalSeconds=1)])
    with gw.peer() as a, gw.peer(uid=1001) as b:
        busy = run_container(a, ["sh", "-c", "while :; do :; done"])
        idle = run_container(b, ["sleep", "600"])

        def sampled(p, cid):
            u = p.call("gateway/usage")
            items = {c["id"]: c for c in u["containers"]["items"]}
            return u if cid in items and items[cid]["running"] else None

        wait_for(lambda: sampled(a, busy), timeout=15, what="the busy container sampled")
        at = wait_for(lambda: sampled(b, idle), timeout=15,
                      what="the idle container sampled")["sampledAt"]
        # A container's first stats count all its CPU so far: start from a
        # later sample, when both have been counted once at least.
        wait_for(lambda: a.call("gateway/usage")["sampledAt"] != at, timeout=15,
                 what="a sample after %s" % at)
        a1, b1 = a.call("gateway/usage"), b.call("gateway/usage")
        # Until the busy one has gained half a CPU second (later on a loaded
        # machine); over the same time the idle one must not gain.
        a2 = wait_for(lambda: (lambda u: u if u["cpuSeconds"] - a1["cpuSeconds"] > 0.5
                               else None)(a.call("gateway/usage")),
                      timeout=60, step=0.5, what="the busy container's CPU to grow")
        b2 = b.call("gateway/usage")
    busy_gain = a2["cpuSeconds"] - a1["cpuSeconds"]
    idle_gain = b2["cpuSeconds"] - b1["cpuSeconds"]
    assert busy_gain > 0.5, (a1, a2)
    assert idle_gain < 0.05, (b1, b2)
    assert a2["containers"]["owned"] == 1 and a2["containers"]["running"] == 1
    assert b2["containers"]["owned"] == 1
    assert a2["memoryBytes"] > 0 and a2["memoryPeakBytes"] >= a2["memoryBytes"]
    item = a2["containers"]["items"][0]
    assert item["id"] == busy and item["cpuSeconds"] >= busy_gain


# -- the admin socket --------------------------------------------------------

METRIC_NAME = re.compile(r"^dockgate_[a-z][a-z0-9_]*$")
LABEL_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def test_metrics_parse_and_follow_conventions(make_gateway, work):
    admin = os.path.join(work, "admin.sock")
    gw = make_gateway(policy=POLICY, args=["--admin-socket", admin])
    with gw.peer() as p:
        p.call("docker/system/ping")
        run_container(p, ["sleep", "600"])
    st = os.stat(admin)
    assert st.st_mode & 0o777 == 0o600 and st.st_uid == 0
    text = metrics(admin)
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    for name, fam in fams.items():
        assert METRIC_NAME.match(name), name
        assert fam.type in ("counter", "gauge"), (name, fam.type)
        assert fam.documentation, name
        for s in fam.samples:
            assert all(LABEL_NAME.match(k) for k in s.labels), s
            if fam.type == "counter":
                assert s.name == name + "_total", s.name
            else:
                assert not s.name.endswith("_total"), s.name
        # Base units, spelled out, last (before _total).
        for unit in ("bytes", "seconds"):
            if unit in name.split("_"):
                assert name.endswith("_" + unit), name
        assert not re.search(r"(milli|micro|kilo|mega|percent|nanoseconds)", name), name
    for want in ("dockgate_calls", "dockgate_received_bytes", "dockgate_sent_bytes",
                 "dockgate_live_streams", "dockgate_containers_owned",
                 "dockgate_container_cpu_seconds", "dockgate_container_memory_bytes",
                 "dockgate_container_memory_peak_bytes", "dockgate_workers",
                 "dockgate_audit_writable"):
        assert want in fams, sorted(fams)
    # TYPE and HELP once per family, in the text itself.
    types = re.findall(r"^# TYPE (\S+) ", text, re.M)
    assert len(types) == len(set(types))


def test_ready_and_the_socket_is_admin_only(make_gateway, engine_sock, work):
    admin = os.path.join(work, "admin.sock")
    gw = make_gateway(policy=POLICY, args=["--admin-socket", admin])
    wait_for(lambda: admin_get(admin, "/ready")[0] == 200, what="/ready 200")
    assert admin_get(admin, "/nothing")[0] == 404
    # Another uid cannot even connect.
    with pytest.raises(ConnectionError, match="Permission denied"):
        _connect_as(admin, 1001, 1001)
    # An engine that does not answer: not ready.
    admin2 = os.path.join(work, "admin2.sock")
    make_gateway(policy=POLICY, args=["--admin-socket", admin2, "--engine",
                                      os.path.join(work, "no-engine.sock")])
    # The pool may still be filling on a busy machine: that is a reason too,
    # so wait until the engine is the one named.
    wait_for(lambda: "engine" in admin_get(admin2, "/ready")[2], what="/ready naming the engine")
    status, _, body = admin_get(admin2, "/ready")
    assert status == 503 and "engine" in body, body
