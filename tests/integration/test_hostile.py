"""test_hostile.py - the hostile-peer suite of issue 10.

Each attack a hostile tenant (or a loaded host) tried against the gateway,
run against the real binaries and a real engine, each asserting the
invariant it attacks.  docs/SECURITY.md ("Hostile peers") lists every
attack of this file with its invariant.  One section per kind of attack;
keep new attacks in their own section or class.
"""

import hashlib
import io
import json
import os
import re
import secrets
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.parse

import pytest

import rawpeer
import tarcraft
from conftest import BUILD, PODMAN, ROOT, CpuHogs, run_container, unique, wait_for
from engine_api import _UnixConnection
from peer import CallError, Peer


# ============================================================================
# Archives (issue 10, items 7 and 8): archive/put may write only inside its
# target directory, whatever links the archive makes, in whatever order, and
# however its names are spelled; so a read-only root stays read-only even
# when the target is a volume.  The checker is worker/tar.c + worker/tarfs.c.
# ============================================================================

TARCHECK = os.path.join(BUILD, "tests", "tools", "tarcheck")
FUZZ_DIR = os.path.join(ROOT, "tests", "fuzz")
RO = "ro-" + secrets.token_hex(3)  # a peer whose containers always have a read-only root
RO_POLICY = {  # the checker's tests: put is allowed despite the read-only root
    "peers": {
        RO: {"uids": [0], "images": ["dgtest:*"],
             "container": {"forceReadOnlyRootfs": True, "allowPutWithReadOnlyRoot": True}},
    }
}
RO_DEFAULT_POLICY = {"peers": {RO: {"uids": [0], "images": ["dgtest:*"],
                                    "container": {"forceReadOnlyRootfs": True}}}}


def tarcheck(data):
    """(verdict line, the bytes the checker let through) for one archive."""
    if not os.access(TARCHECK, os.X_OK):
        pytest.fail("%s is not built (make all)" % TARCHECK)
    r = subprocess.run([TARCHECK], input=data, capture_output=True, timeout=60)
    assert r.returncode in (0, 1, 2), r
    return r.stderr.decode().strip(), r.stdout


def engine_put(engine, cid, path, data):
    """PUT an archive straight on the engine (docker cp's flags): (status, body)."""
    conn = _UnixConnection(engine.path, 120)
    try:
        conn.request("PUT", "/containers/%s/archive?path=%s&noOverwriteDirNonDir=true"
                     % (cid, urllib.parse.quote(path, safe="/")), body=data,
                     headers={"Content-Type": "application/x-tar"})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def snapshot(engine, cid, path="/"):
    """The container's files under path, as the engine's own archive of them:
    absolute path in the container -> (type, mode, uid, gid, size, mtime, link,
    sha256 of the data).  dockerd names the members from the path's last
    component ("vol/t3" for /vol); Podman names them from the path itself,
    its first member being "/" ("/", "/t3"): both become "/vol/t3"."""
    status, raw = engine.http("GET", "/containers/%s/archive?path=%s"
                              % (cid, urllib.parse.quote(path, safe="/")), timeout=120)
    assert status == 200, (status, raw[:200])
    out = {}
    with tarfile.open(fileobj=io.BytesIO(raw)) as t:
        members = t.getmembers()
        from_path = members and members[0].name.strip("/") in ("", ".")
        base = path.rstrip("/") if from_path else os.path.dirname(path.rstrip("/"))
        for m in members:
            data = t.extractfile(m).read() if m.isfile() else b""
            name = m.name.strip("/")
            name = "" if name == "." else name[2:] if name.startswith("./") else name
            key = ("%s/%s" % (base.rstrip("/"), name)).rstrip("/") or "/"
            out[key] = (m.type, m.mode, m.uid, m.gid, m.size, m.mtime,
                        m.linkname, hashlib.sha256(data).hexdigest())
    return out


def changed_outside(before, after, target):
    """Paths outside target (a directory, absolute) that appeared, vanished or changed.
    The mtime of "/" is not compared: the engine's extraction pivots into the root
    through a temporary directory it makes and removes there, on every put."""
    def inside(p):
        return p == target or p.startswith(target + "/")

    def seen(snap, p):
        v = snap.get(p)
        return v[:5] + v[6:] if p == "/" and v is not None else v
    return sorted(p for p in set(before) | set(after)
                  if not inside(p) and seen(before, p) != seen(after, p))


def root_changes(engine, cid):
    """The container's changes to its image (its root), sorted."""
    return sorted((c["Path"], c["Kind"]) for c in
                  engine.ok("GET", "/containers/%s/changes" % cid) or [])


def refusal(end):
    return end.get("type") == "error" and end.get("code") in ("FORBIDDEN", "INVALID_INPUT")


class TestArchiveAttacks:
    """Every archive attack of tarcraft.CASES through the gateway, as a peer whose
    containers have a read-only root, into a volume (item 8's setting): the
    escaping entry is refused, and nothing outside the target changes, in the
    volume or in the root."""

    @pytest.fixture(scope="class")
    def setup(self, request, engine, engine_sock):
        from conftest import _run_gateway
        gen = _run_gateway(request, engine, engine_sock, policy=RO_POLICY)
        gw = next(gen)
        with gw.peer() as p:
            vol = p.call("docker/volume/create", {"name": unique("vol")})["volumeName"]
            cid = p.call("docker/container/create", {
                "image": "dgtest:latest", "name": unique("arc"), "cmd": ["sleep", "3600"],
                "volumes": {"/data": vol}})["containerId"]
            p.call("docker/container/start", {"containerId": cid})
        assert engine.inspect(cid)["HostConfig"]["ReadonlyRootfs"] is True
        yield gw, cid
        for _ in gen:  # tears the gateway down (and removes what it made)
            pass

    def put(self, gw, cid, path, data):
        out, err, end, s = rawpeer.run(gw.peer(), "docker/container/archive/put",
                                       {"containerId": cid, "path": path}, data)
        s.close()
        assert out == b"" and err == b"", (out, err)
        return end

    def target(self, gw, cid):
        name = unique("t")
        assert self.put(gw, cid, "/data", tarcraft.archive(tarcraft.dir(name + "/"))) == \
            {"type": "exit", "exitCode": 0}
        return "/data/" + name

    @pytest.mark.parametrize("case", sorted(tarcraft.CASES))
    def test_case(self, setup, engine, case):
        gw, cid = setup
        target = self.target(gw, cid)
        before = snapshot(engine, cid, "/data")
        root_before = root_changes(engine, cid)
        ends = [self.put(gw, cid, target, arc) for arc in tarcraft.CASES[case]]
        if case.startswith("ok-"):
            assert all(e == {"type": "exit", "exitCode": 0} for e in ends), ends
        else:
            assert refusal(ends[0]), ends
        assert changed_outside(before, snapshot(engine, cid, "/data"), target) == []
        root_after = root_changes(engine, cid)
        assert root_after == root_before, "the read-only root changed: %r" % root_after

    def test_read_only_root_through_volume(self, setup, engine):
        """Item 8 as reported: put to /data (a volume) the link triple of item 7,
        then s/etc/x and s/bin/evilsh; and the hard link variant.  /etc/x and
        /bin/evilsh must not exist in the read-only root."""
        gw, cid = setup
        x, evil = unique("x"), unique("evilsh")
        triple = tarcraft.archive(tarcraft.sym("s", "a/b/../.."), tarcraft.dir("a/"),
                                  tarcraft.sym("a/b", ".."))
        then = tarcraft.archive(tarcraft.dir("s/etc/"), tarcraft.file("s/etc/" + x, b"x"),
                                tarcraft.dir("s/bin/"),
                                tarcraft.file("s/bin/" + evil, b"#!/bin/sh\nid\n", mode=0o755))
        hard = tarcraft.archive(tarcraft.dir("a/"), tarcraft.dir("a/b/"),
                                tarcraft.sym("a/b/l", "../.."), tarcraft.hard("h", "a/b/l"),
                                tarcraft.dir("h/etc/"), tarcraft.file("h/etc/" + x, b"x"))
        # dockerd: [("/data", 1)]; Podman also lists what it mounted itself
        # (/etc's files, tmpfs on /run, /tmp, /var/tmp under a read-only root)
        root = root_changes(engine, cid)
        assert ("/data", 1) in root, root
        assert refusal(self.put(gw, cid, "/data", triple))
        self.put(gw, cid, "/data", then)  # the engine may refuse it: s leads nowhere now
        assert refusal(self.put(gw, cid, "/data", hard))
        for path in ("/etc/" + x, "/bin/" + evil, "/" + x):
            status, _ = engine.http("HEAD", "/containers/%s/archive?path=%s" % (cid, path))
            assert status == 404, "%s was written into the read-only root" % path
        assert root_changes(engine, cid) == root, "the read-only root changed"


class TestPutWithReadOnlyRoot:
    """The known gap closed by default: with a forced read-only root, a process
    in the container links its volume to the root (ln -s / /data/s), and a put
    of s/etc/x would be followed there by the engine.  The checker cannot see
    that link, so the supervisor refuses every put for such a peer unless the
    operator set container.allowPutWithReadOnlyRoot."""

    def test_put_refused_and_root_unchanged(self, request, engine, engine_sock):
        from conftest import _run_gateway
        gen = _run_gateway(request, engine, engine_sock, policy=RO_DEFAULT_POLICY)
        gw = next(gen)
        try:
            x = unique("x")
            with gw.peer() as p:
                vol = p.call("docker/volume/create", {"name": unique("vol")})["volumeName"]
                cid = p.call("docker/container/create", {
                    "image": "dgtest:latest", "name": unique("lnk"),
                    "cmd": ["sh", "-c", "ln -s / /data/s && exec sleep 3600"],
                    "volumes": {"/data": vol}})["containerId"]
                p.call("docker/container/start", {"containerId": cid})
            wait_for(lambda: engine.http(
                "HEAD", "/containers/%s/archive?path=/data/s" % cid)[0] == 200,
                what="the container's link /data/s")
            arc = tarcraft.archive(tarcraft.dir("s/etc/"), tarcraft.file("s/etc/" + x, b"x"))
            with pytest.raises(CallError) as e:
                rawpeer.run(gw.peer(), "docker/container/archive/put",
                            {"containerId": cid, "path": "/data"}, arc)
            assert e.value.code == "FORBIDDEN", e.value
            assert "allowPutWithReadOnlyRoot" in str(e.value), e.value
            status, _ = engine.http("HEAD", "/containers/%s/archive?path=/etc/%s" % (cid, x))
            assert status == 404, "/etc/%s was written into the read-only root" % x
            # the get side stays open: reading cannot write
            out, err, end, s = rawpeer.run(gw.peer(), "docker/container/archive/get",
                                           {"containerId": cid, "path": "/data"})
            s.close()
            assert end == {"type": "exit", "exitCode": 0} and len(out) > 0, end
        finally:
            for _ in gen:
                pass


def _oracle_archives():
    """(label, [archives]) for the differential test: every file of the tar fuzz
    corpus and regressions (less the harness's piece-size byte), each alone, and
    every case of tarcraft.CASES as its sequence."""
    seen, out = set(), []
    for name, arcs in sorted(tarcraft.CASES.items()):
        out.append((name, arcs))
        seen.update(arcs)
    for sub in ("corpus", "regress"):
        d = os.path.join(FUZZ_DIR, sub, "tar")
        for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            with open(os.path.join(d, f), "rb") as fh:
                arc = fh.read()[1:]
            if arc not in seen:
                seen.add(arc)
                out.append((sub + "/" + f, [arc]))
    return out


class TestTarOracle:
    """The engine as the checker's oracle.  Every archive the checker lets
    through (whole, or the prefix it passed before refusing: the engine applies
    that much) is put directly on the engine, into a fresh directory of a volume
    of a scratch container with a read-only root that never runs; then nothing
    may have changed outside that directory: not in the volume (read back as the
    engine's archive of it), not in the root (the engine's list of the
    container's changes to its image)."""

    def test_engine_changes_nothing_outside_the_target(self, engine):
        vol = unique("oracle")
        engine.ok("POST", "/volumes/create", {"Name": vol})
        cid = engine.ok("POST", "/containers/create", {
            "Image": "dgtest:latest", "Cmd": ["true"],
            "HostConfig": {"NetworkMode": "none", "ReadonlyRootfs": True,
                           "Mounts": [{"Type": "volume", "Source": vol, "Target": "/vol"}]}})["Id"]
        try:
            t0 = time.monotonic()
            cases = _oracle_archives()
            figures = {"archives": 0, "accepted whole": 0, "prefix put": 0,
                       "engine refused": 0}
            st, body = engine_put(engine, cid, "/vol", tarcraft.archive(
                *(tarcraft.dir("t%d/" % n) for n in range(len(cases)))))
            assert st == 200, (st, body)
            root = root_changes(engine, cid)
            before = snapshot(engine, cid, "/vol")
            for n, (label, arcs) in enumerate(cases):
                target = "/vol/t%d" % n
                for arc in arcs:
                    verdict, passed = tarcheck(arc)
                    figures["archives"] += 1
                    figures["accepted whole" if verdict == "OK" else "prefix put"] += 1
                    if passed:
                        st, body = engine_put(engine, cid, target, passed)
                        figures["engine refused"] += st != 200
                after = snapshot(engine, cid, "/vol")
                bad = changed_outside(before, after, target)
                assert bad == [], (label, verdict, [(p, before.get(p), after.get(p))
                                                    for p in bad])
                assert root_changes(engine, cid) == root, label
                before = after
            print("tar oracle: %s in %.1f s" % (figures, time.monotonic() - t0))
            assert figures["accepted whole"] > 0 and figures["prefix put"] > 0
        finally:
            engine.http("DELETE", "/containers/%s?force=1&v=1" % cid)
            engine.http("DELETE", "/volumes/%s?force=1" % vol)


# ============================================================================
# Fairness and admission (issue 10, items 3 to 6): connection churn and idle
# floods from a uid the policy does not know and from a tenant at its stream
# quota, long-held waits, and the audit of every refusal.  The attacker runs
# as its own process under the uid it attacks as (hostile_peer.py);
# everything is bounded in count and time, unix sockets only.  The code is
# supervisor/admit.c, and the engine shares in supervisor/engine.c.
# ============================================================================

HERE = os.path.dirname(os.path.abspath(__file__))
HOSTILE = os.path.join(HERE, "hostile_peer.py")
GOOD_UID = 0        # "alpha": the well-behaved tenant
TENANT_UID = 1001   # "beta": a tenant that misbehaves within its quota
UNKNOWN_UID = 4242  # in no policy
QUOTA = 16          # beta's stream quota

POLICY = {
    "peers": {
        "alpha": {"uids": [GOOD_UID], "quotas": {"callsPerSecond": None}},
        "beta": {"uids": [TENANT_UID], "quotas": {"streams": QUOTA, "callsPerSecond": None}},
    }
}


def attacker(uid, *args, go=True):
    """Starts hostile_peer.py as uid, waits until it is ready, and (go) lets
    it start (stdin a pipe: closing it ends an idle flood)."""
    proc = subprocess.Popen([sys.executable, HOSTILE] + [str(a) for a in args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, user=uid, group=uid,
                            extra_groups=[], start_new_session=True)
    assert proc.stdout.readline() == b"ready\n"
    if go:
        start(proc)
    return proc


def start(*procs):
    for proc in procs:
        proc.stdin.write(b"go\n")
        proc.stdin.flush()


def finish(proc, timeout=120):
    """Waits for an attacker (stopping an idle one) and returns its counts."""
    if proc.stdin is not None:
        proc.stdin.close()  # an idle flood ends when its stdin does
        proc.stdin = None
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("the attacker did not finish in %ds" % timeout)
    assert proc.returncode == 0, proc.returncode
    return json.loads(out.decode().strip().splitlines()[-1])


def config_gateway(make_gateway, policy=POLICY, pool=4, audit=False, **cfg):
    """A gateway with a config file holding cfg (firstCallSeconds, maxWorkers...)."""
    args = []
    audit_path = None
    if audit:
        audit_path = os.path.join(tempfile.mkdtemp(prefix="dgaud", dir="/tmp"), "audit.log")
        args = ["--audit", audit_path]
    gw = make_gateway(policy=policy, pool=pool, args=args, config=cfg)
    gw.audit_path = audit_path
    return gw


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


class Tenant:
    """The well-behaved tenant: pings on a kept stream and calls on fresh ones,
    from a thread, until stopped; every call must succeed."""

    def __init__(self, gw):
        self.gw = gw
        self.kept_ms, self.fresh_ms, self.errors = [], [], []
        self.stop_ev = threading.Event()
        self.threads = [threading.Thread(target=self._kept, daemon=True),
                        threading.Thread(target=self._fresh, daemon=True)]

    def _kept(self):
        try:
            with Peer(self.gw.socket, timeout=30) as p:
                while not self.stop_ev.is_set():
                    t0 = time.monotonic()
                    assert p.call("docker/system/ping") == {"ok": True}
                    self.kept_ms.append((time.monotonic() - t0) * 1000)
                    time.sleep(0.01)
        except Exception as e:  # reported by check()
            self.errors.append("kept stream: %r" % e)

    def _fresh(self):
        while not self.stop_ev.is_set():
            t0 = time.monotonic()
            try:
                with Peer(self.gw.socket, timeout=30) as p:
                    assert p.call("docker/system/ping") == {"ok": True}
            except Exception as e:
                self.errors.append("fresh stream: %r" % e)
            self.fresh_ms.append((time.monotonic() - t0) * 1000)
            time.sleep(0.05)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *a):
        self.stop_ev.set()
        for t in self.threads:
            t.join(60)

    def figures(self, what):
        k, f = self.kept_ms, self.fresh_ms
        line = ("%s: kept-stream pings %d, p50 %.1f ms, p99 %.1f ms, max %.1f ms; "
                "fresh-stream pings %d, p50 %.1f ms, p99 %.1f ms; lost %d"
                % (what, len(k), percentile(k, 50), percentile(k, 99), max(k), len(f),
                   percentile(f, 50), percentile(f, 99), len(self.errors)))
        print("\n" + line)
        return line

    def check(self, what, p99_ms=50.0, baseline=None):
        """No call lost, and the kept-stream ping p99 under p99_ms.  baseline:
        the same tenant's p99 measured alone just before.  Where that alone
        is already above half the target (a machine shared with others, as
        the development machines are), the latency cannot be judged here
        and is printed, not asserted: speed is the benchmark's to check, as
        ratios; this test must not fail on a busy machine."""
        line = self.figures(what)
        assert not self.errors, "%d calls lost, first: %s" % (len(self.errors), self.errors[:3])
        assert len(self.kept_ms) >= 20 and len(self.fresh_ms) >= 3, line
        if baseline is not None and baseline > p99_ms / 2:
            print("the machine is busy (quiet p99 %.1f ms): latency printed, not judged"
                  % baseline)
            return line
        assert percentile(self.kept_ms, 99) < p99_ms, line
        return line


def quiet_p99(gw, seconds=3.0):
    """The tenant's kept-stream ping p99 with nobody attacking."""
    with Tenant(gw) as t:
        time.sleep(seconds)
    t.figures("baseline, no attack")
    assert not t.errors, t.errors[:3]
    return percentile(t.kept_ms, 99)


def churn_beside_tenant(gw, uid):
    """A connect() churn from uid while the tenant is served: returns the
    tenant (to check), the attacker's counts and the peak of live workers."""
    peak = 0
    a = attacker(uid, "churn", gw.socket, 300, 1000000, 6, go=False)
    with Tenant(gw) as t:
        start(a)
        while a.poll() is None:
            peak = max(peak, len(gw.workers()))
            time.sleep(0.5)  # pacing: a sample of the peak; reads /proc, so not too often
        counts = finish(a)
    return t, counts, peak


class TestAdmission:
    """Invariant 6 from the moment of accept: an unknown uid never gets a
    worker, a tenant's streams are bounded at accept, idle streams go soon."""

    def test_unknown_uid_churn_gets_no_worker(self, make_gateway):
        """150,000 connects in 20 s from a uid in no policy left another
        tenant 2 of 40 pings (issue 10 item 3): now each is refused at
        accept, no worker is spent, and the tenant keeps its service."""
        gw = config_gateway(make_gateway)
        base = quiet_p99(gw)
        off = gw.log_size()
        t, counts, peak = churn_beside_tenant(gw, UNKNOWN_UID)
        t.check("unknown-uid churn of %d connects" % counts["connects"], baseline=base)
        assert counts["connects"] >= 1000, counts
        # The pool refills what the tenant's fresh streams use; the attacker adds none.
        assert peak <= gw.pool + 4, (peak, gw.pool)
        assert "serving peer (unknown)" not in gw.log_since(off)

    def test_tenant_at_its_quota_churns(self, make_gateway):
        """A tenant with a stream quota of 16 looping connect() with 300 open
        left another tenant 0 of 30 pings: now its streams past the quota are
        refused at accept, QUOTA_EXCEEDED, and it holds at most 16 workers."""
        gw = config_gateway(make_gateway)
        base = quiet_p99(gw)
        t, counts, peak = churn_beside_tenant(gw, TENANT_UID)
        t.check("tenant-at-quota churn of %d connects" % counts["connects"], baseline=base)
        assert peak <= gw.pool + QUOTA + 4, (peak, gw.pool)
        with Peer(gw.socket, uid=TENANT_UID) as p:
            assert p.call("docker/system/ping") == {"ok": True}  # its own service is back

    def test_idle_flood_is_bounded_and_closed_soon(self, make_gateway):
        """3,000 idle connections from an unknown uid made 2,683 workers, each
        kept 300 s (issue 10 item 4).  Now: an unknown uid gets none; a
        tenant's silent connections get no worker either (they wait in the
        supervisor for a first byte), at most maxWorkersPerPeer of them, and
        are closed after firstCallSeconds."""
        policy = {"peers": {"alpha": {"uids": [GOOD_UID]},
                            "beta": {"uids": [TENANT_UID], "quotas": {"streams": None}}}}
        gw = config_gateway(make_gateway, policy=policy, firstCallSeconds=2,
                            maxWorkersPerPeer=32)
        a = attacker(UNKNOWN_UID, "idle", gw.socket, 300, 60)
        b = attacker(TENANT_UID, "idle", gw.socket, 200, 60)
        peak = 0
        t0 = time.monotonic()
        # The tenant's 32 silent connections are closed after 2 s; none got a worker.
        while b.poll() is None and time.monotonic() - t0 < 60:
            peak = max(peak, len(gw.workers()))
            with Peer(gw.socket) as p:  # alpha is served throughout
                assert p.call("docker/system/ping") == {"ok": True}
            if peak > 0 and time.monotonic() - t0 > 8:
                break
            time.sleep(0.2)
        ca, cb = finish(a), finish(b)
        print("\nidle flood: unknown uid %r, tenant %r, peak workers %d (pool %d)"
              % (ca, cb, peak, gw.pool))
        assert ca["closed_by_gateway"] == ca["opened"], ca  # all refused at accept
        assert cb["closed_by_gateway"] == cb["opened"], cb  # refused, or closed when silent
        assert peak <= gw.pool + 2, peak  # alpha's own fresh streams, nothing more
        wait_for(lambda: len(gw.workers()) <= gw.pool, timeout=30,
                 what="the silent streams' workers to exit")


WAIT_AT_SUPERVISOR = re.compile(r"worker \d+: call \d+ docker/container/wait\b")


def hold_waits(gw, cid, n, waiters):
    """Opens n of the tenant's streams, each with a docker/container/wait on
    cid, onto waiters, and waits until the supervisor has every one (its log
    line; the worker's own "call N: docker/container/wait" is not counted)."""
    off = gw.log_size()
    for i in range(n):
        w = Peer(gw.socket, uid=TENANT_UID, timeout=60)
        w.request("docker/container/wait", {"containerId": cid}, id="w%d" % i)
        waiters.append(w)
    wait_for(lambda: len(WAIT_AT_SUPERVISOR.findall(gw.log_since(off))) >= n, timeout=120,
             what="%d waits in flight" % n)


class TestEngineShare:
    """Invariant 6 for engine connections: long-held requests are not the
    control plane's, and one peer's share is bounded."""

    def test_waits_do_not_block_other_tenants(self, make_gateway):
        """70 streams of docker/container/wait from one tenant held the 64
        control-plane connections; every other tenant's calls timed out
        (issue 10 item 5).  Now waits hold connections of their own."""
        policy = {"peers": {"alpha": {"uids": [GOOD_UID]},
                            "beta": {"uids": [TENANT_UID], "quotas": {"streams": None}}}}
        gw = config_gateway(make_gateway, policy=policy, pool=8)
        with Peer(gw.socket, uid=TENANT_UID) as p:
            cid = run_container(p, ["sleep", "3600"])
        waiters = []
        try:
            hold_waits(gw, cid, 70, waiters)
            took = []
            with Peer(gw.socket) as p:
                for _ in range(20):
                    t0 = time.monotonic()
                    assert isinstance(p.call("docker/container/list", {"all": True}, timeout=20),
                                      (list, dict))
                    assert p.call("docker/system/version", timeout=20)
                    took.append((time.monotonic() - t0) * 1000)
            print("\nwith 70 waits held by beta: alpha's list+version p50 %.1f ms, max %.1f ms"
                  % (percentile(took, 50), max(took)))
            assert max(took) < 10000, took
        finally:
            for w in waiters:
                w.close()
            with Peer(gw.socket, uid=TENANT_UID) as p:
                p.call("docker/container/remove", {"containerId": cid, "force": True})


class TestAuditAtAccept:
    """Invariant 7 for decisions taken at accept: each refusal is audited; a
    flood is summarised with counts, bounded in records, never hidden."""

    def _records(self, path):
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def test_refusals_at_accept_are_audited_and_floods_counted(self, make_gateway):
        gw = config_gateway(make_gateway, audit=True)
        n = 3000
        counts = finish(attacker(UNKNOWN_UID, "churn", gw.socket, 50, n, 60))
        assert counts["connects"] == n, counts
        # A quota refusal is audited as well (beta's 17th stream).
        held = [Peer(gw.socket, uid=TENANT_UID) for _ in range(QUOTA)]
        for p in held:
            assert p.call("docker/system/ping") == {"ok": True}
        with Peer(gw.socket, uid=TENANT_UID) as p:
            p.request("docker/system/ping")
            f = p.recv()
            assert f["payload"]["code"] == "QUOTA_EXCEEDED", f
        for p in held:
            p.close()
        assert gw.stop() == 0  # writes the last window's summary
        recs = self._records(gw.audit_path)

        def fields(r):
            return r.get("fields", r)

        unknown = [fields(r) for r in recs
                   if r.get("type") in ("admission", "admission-summary")
                   and fields(r).get("uid") == UNKNOWN_UID]
        total = sum(r["count"] for r in unknown)
        quota = [fields(r) for r in recs if r.get("type") == "admission"
                 and fields(r).get("result") == "QUOTA_EXCEEDED"]
        print("\naudit: %d refusals of uid %d in %d records; %d records in all"
              % (total, UNKNOWN_UID, len(unknown), len(recs)))
        assert total == n, (total, unknown[:3])
        assert all(r["result"] == "UNAUTHENTICATED" and r["stage"] == "accept" for r in unknown)
        assert len(unknown) <= 2 * (1 + 60 // 10), len(unknown)  # per window: one, one summary
        assert quota and quota[0]["peer"] == "beta", quota


class TestFairness:
    """The class-level proof: a hostile peer (an unknown uid, then a tenant
    at its quota) churns connections, opens idle ones and holds waits while
    a well-behaved tenant's kept-stream ping p99 stays under 50 ms and it
    loses no call.  Prints the figures."""

    def test_hostile_peer_does_not_starve_a_tenant(self, make_gateway):
        policy = {"peers": {
            "alpha": {"uids": [GOOD_UID], "quotas": {"callsPerSecond": None}},
            "beta": {"uids": [TENANT_UID], "quotas": {"streams": 80, "callsPerSecond": None}}}}
        gw = config_gateway(make_gateway, policy=policy, pool=8, firstCallSeconds=3)
        with Peer(gw.socket, uid=TENANT_UID) as p:
            cid = run_container(p, ["sleep", "3600"])
        base = quiet_p99(gw)
        waiters = []
        lines = []
        try:
            # The tenant's 40 waits are opened first (opening one forks this
            # process to connect as its uid, which would be measured as the
            # good tenant's latency) and held throughout.
            hold_waits(gw, cid, 40, waiters)
            a1 = attacker(UNKNOWN_UID, "churn", gw.socket, 300, 1000000, 6, go=False)
            b1 = attacker(UNKNOWN_UID, "idle", gw.socket, 300, 10, go=False)
            a2 = attacker(TENANT_UID, "churn", gw.socket, 300, 1000000, 6, go=False)
            b2 = attacker(TENANT_UID, "idle", gw.socket, 100, 10, go=False)
            with Tenant(gw) as t:
                # 1. an unknown uid churns and floods idle connections
                start(a1, b1)
                finish(a1)
                finish(b1)
                # 2. the tenant, holding its waits, churns at its quota and floods idle
                start(a2, b2)
                finish(a2)
                finish(b2)
            lines.append(t.check("hostile peer (unknown uid, then a tenant at its quota)",
                                 baseline=base))
        finally:
            for w in waiters:
                w.close()
            with Peer(gw.socket, uid=TENANT_UID) as p:
                p.call("docker/container/remove", {"containerId": cid, "force": True})

    def test_busy_machine_too(self, make_gateway):
        """The same tenant's service, with three CPU-bound processes on two cores."""
        gw = config_gateway(make_gateway)
        with CpuHogs(3):
            a = attacker(UNKNOWN_UID, "churn", gw.socket, 300, 1000000, 4, go=False)
            b = attacker(TENANT_UID, "churn", gw.socket, 300, 1000000, 4, go=False)
            with Tenant(gw) as t:
                start(a)
                finish(a)
                start(b)
                finish(b)
        t.figures("busy machine, unknown uid and tenant churn")
        assert not t.errors, t.errors[:3]


# ============================================================================
# refuseRoot (issue 10, item 9; invariant 5): a peer that may not run as root
# gets no uid 0 and no gid 0 either: `user: "1000"` in an image without that
# passwd entry ran as uid=1000 gid=0 groups=0, for create and exec.
# ============================================================================

NR = "noroot-" + secrets.token_hex(3)
NOROOT_POLICY = {"peers": {NR: {"uids": [0], "images": ["dgtest:*"],
                                "container": {"refuseRoot": True}}}}


def _ids(text):
    """uid, gid and the group list of id(1)'s line, as numbers."""
    import re
    m = re.match(r"uid=(\d+)\S* gid=(\d+)\S*(?: groups=(\S+))?$", text.strip())
    assert m, text
    groups = [int(g.split("(")[0]) for g in (m.group(3) or "").split(",") if g]
    return int(m.group(1)), int(m.group(2)), groups


class TestRefuseRoot:
    def test_no_group_root_for_create_and_exec(self, make_gateway, engine):
        from conftest import records_by_stream
        gw = make_gateway(policy=NOROOT_POLICY)
        with gw.peer() as p:
            cid = p.call("docker/container/create", {
                "image": "dgtest:latest", "name": unique("id"), "user": "1000",
                "cmd": ["id"]})["containerId"]
            assert engine.inspect(cid)["Config"]["User"] == "1000:1000"
            p.call("docker/container/start", {"containerId": cid})
            assert p.call("docker/container/wait", {"containerId": cid})["exitCode"] == 0
            records, end = p.subscribe("docker/container/logs", {"containerId": cid})
            assert end["type"] == "call.completed", end
            assert _ids(records_by_stream(records)["stdout"].decode()) == (1000, 1000, [1000])

            cid = p.call("docker/container/create", {
                "image": "dgtest:latest", "name": unique("ex"), "user": "1000",
                "cmd": ["sleep", "60"]})["containerId"]
            p.call("docker/container/start", {"containerId": cid})
            # Podman's exec gives no supplementary groups (dockerd: the primary
            # gid): either way, never group 0 (docs/engines.md).
            for user, want in (("1000", (1000, 1000, [] if PODMAN else [1000])),
                               ("1001:1002", (1001, 1002, [] if PODMAN else [1002]))):
                records, end = p.subscribe("docker/container/exec",
                                           {"containerId": cid, "cmd": ["id"], "user": user})
                assert end["type"] == "call.completed", end
                out = records_by_stream([r for r in records if "stream" in r])["stdout"]
                assert _ids(out.decode()) == want, (user, out)
            for user in ("1000:0", "1000:00", "0:1000", "+0", "1000:+0", "1000:root", "1000:"):
                e = p.error("docker/container/exec",
                            {"containerId": cid, "cmd": ["id"], "user": user})
                assert e.code == "FORBIDDEN", (user, e)
            p.call("docker/container/remove", {"containerId": cid, "force": True})
