"""test_hostile.py - the hostile-peer suite of issue 10.

Each attack a hostile tenant (or a loaded host) tried against the gateway,
run against the real binaries and a real engine, each asserting the
invariant it attacks.  docs/SECURITY.md ("Hostile peers") lists every
attack of this file with its invariant.  One section per kind of attack;
keep new attacks in their own section or class.
"""

import hashlib
import io
import os
import secrets
import subprocess
import tarfile
import time
import urllib.parse

import pytest

import rawpeer
import tarcraft
from conftest import BUILD, ROOT, unique
from engine_api import _UnixConnection


# ============================================================================
# Archives (issue 10, items 7 and 8): archive/put may write only inside its
# target directory, whatever links the archive makes, in whatever order, and
# however its names are spelled; so a read-only root stays read-only even
# when the target is a volume.  The checker is worker/tar.c + worker/tarfs.c.
# ============================================================================

TARCHECK = os.path.join(BUILD, "tests", "tools", "tarcheck")
FUZZ_DIR = os.path.join(ROOT, "tests", "fuzz")
RO = "ro-" + secrets.token_hex(3)  # a peer whose containers always have a read-only root
RO_POLICY = {
    "peers": {
        RO: {"uids": [0], "images": ["dgtest:*"],
             "container": {"forceReadOnlyRootfs": True}},
    }
}


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
    name -> (type, mode, uid, gid, size, mtime, link, sha256 of the data)."""
    status, raw = engine.http("GET", "/containers/%s/archive?path=%s"
                              % (cid, urllib.parse.quote(path, safe="/")), timeout=120)
    assert status == 200, (status, raw[:200])
    out = {}
    with tarfile.open(fileobj=io.BytesIO(raw)) as t:
        for m in t.getmembers():
            data = t.extractfile(m).read() if m.isfile() else b""
            out["/" + m.name.strip("/")] = (m.type, m.mode, m.uid, m.gid, m.size, m.mtime,
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
        assert refusal(self.put(gw, cid, "/data", triple))
        self.put(gw, cid, "/data", then)  # the engine may refuse it: s leads nowhere now
        assert refusal(self.put(gw, cid, "/data", hard))
        for path in ("/etc/" + x, "/bin/" + evil, "/" + x):
            status, _ = engine.http("HEAD", "/containers/%s/archive?path=%s" % (cid, path))
            assert status == 404, "%s was written into the read-only root" % path
        assert root_changes(engine, cid) == [("/data", 1)], "the read-only root changed"


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
            for user, want in (("1000", (1000, 1000, [1000])),
                               ("1001:1002", (1001, 1002, [1002]))):
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
