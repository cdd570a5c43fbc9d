"""docker/image/pull from a private registry (tests/lib/registry.sh).

The module pushes an image of its own to the registry straight through the
engine's API (a layer of random bytes on top of dgtest, so that a pull
really downloads something), removes it locally, and pulls it back through
the gateway: progress records, then call.completed once the image is
present.
"""

import json
import os
import subprocess
import tempfile
import urllib.parse
import urllib.request

import pytest

from conftest import ROOT, on_engine, unique
from engine_api import _UnixConnection
from peer import CallError

PROGRESS_KEYS = {"status", "id", "progress", "current", "total"}
AUTH = {"X-Registry-Auth": "e30="}  # base64 of "{}": no credentials


REGISTRY_DIRS = {}  # address -> the registry's directory


@pytest.fixture(scope="module")
def registry():
    d = tempfile.mkdtemp(prefix="dgreg", dir="/tmp")
    script = os.path.join(ROOT, "tests", "lib", "registry.sh")
    out = subprocess.run(["sh", script, "start", d], check=True, capture_output=True,
                         text=True, timeout=60)
    REGISTRY_DIRS[out.stdout.strip()] = d
    try:
        yield out.stdout.strip()
    finally:
        subprocess.run(["sh", script, "stop", d], timeout=60)


def engine_stream(engine, method, url, headers=None):
    """A streamed engine answer (push, pull): its JSON messages; fails on an error one."""
    conn = _UnixConnection(engine.path, 120)
    try:
        conn.request(method, url, headers=dict(headers or {}))
        r = conn.getresponse()
        status, raw = r.status, r.read()
    finally:
        conn.close()
    assert status == 200, (url, status, raw)
    msgs = [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
    errors = [m for m in msgs if "error" in m]
    assert not errors, (url, errors)
    return msgs


@pytest.fixture(scope="module")
def pushed(registry, engine):
    """repo (in the registry) with tags "v1" and "latest", gone from the engine."""
    repo = "%s/%s" % (registry, unique("dgpull"))
    cid = engine.create(cmd=["sh", "-c", "head -c 3000000 /dev/urandom > /blob"])
    try:
        try:
            engine.start(cid)
            engine.wait(cid)
            q = urllib.parse.urlencode({"container": cid, "repo": repo, "tag": "v1"})
            # A container config body: Podman refuses a commit without one.
            assert engine.http("POST", "/commit?" + q, body={})[0] == 201
        finally:
            engine.remove(cid)
        engine.ok("POST", "/images/%s:v1/tag?%s" % (repo, urllib.parse.urlencode(
            {"repo": repo, "tag": "latest"})))
        for tag in ("v1", "latest"):
            engine_stream(engine, "POST", "/images/%s/push?tag=%s" % (repo, tag), AUTH)
        gone(engine, repo)
        yield repo
    finally:
        gone(engine, repo)


def gone(engine, repo):
    for tag in ("v1", "latest"):
        engine.http("DELETE", "/images/%s:%s?force=1" % (repo, tag))


def present(engine, ref):
    return engine.http("GET", "/images/%s/json" % ref)[0] == 200


def pull(p, **inp):
    recs, end = p.subscribe("docker/image/pull", inp, timeout=120)
    for r in recs:
        assert set(r) == PROGRESS_KEYS, r
        assert isinstance(r["status"], str), r
    return recs, end


def test_pull_with_progress(peer, engine, pushed):
    assert not present(engine, pushed + ":v1")
    try:
        _pull_with_progress(peer, engine, pushed)
    finally:
        gone(engine, pushed)  # a skip too: the next tests need the repo gone


def _pull_with_progress(peer, engine, pushed):
    recs, end = pull(peer, image=pushed, tag="v1")
    assert end["type"] == "call.completed", (recs, end)
    assert present(engine, pushed + ":v1"), "call.completed before the image is present"
    on_engine("podman", "its pull stream has no 'Pulling from', 'Digest:' or 'Status:' message and no "
                        "byte counts (Podman 4.3: 'Already exists', 'Pulling fs layer', "
                        "'Download complete' only)")
    statuses = [r["status"] for r in recs]
    assert any(s.startswith("Pulling from") for s in statuses), statuses
    assert any(s.startswith("Digest:") for s in statuses), statuses
    assert statuses[-1].startswith("Status:"), statuses
    # The new layer was downloaded, with byte counts.
    dl = [r for r in recs if r["status"] == "Downloading"]
    assert dl and all(isinstance(r["current"], int) and isinstance(r["total"], int)
                      for r in dl), recs
    assert all(isinstance(r["progress"], str) for r in dl), dl
    assert any(r["status"] == "Pull complete" for r in recs), statuses

    # Visible through the gateway too; pulling again has nothing to download.
    assert peer.call("docker/image/inspect", {"image": pushed + ":v1"})["Id"]
    recs, end = pull(peer, image=pushed + ":v1")
    assert end["type"] == "call.completed", end
    assert not [r for r in recs if r["status"] == "Downloading"], recs
    assert "Image is up to date" in recs[-1]["status"], recs


def test_pull_untagged_means_latest(peer, engine, pushed):
    recs, end = pull(peer, image=pushed)
    assert end["type"] == "call.completed", (recs, end)
    assert present(engine, pushed + ":latest")
    # Only latest: an untagged reference never pulls every tag.
    assert not present(engine, pushed + ":v1")
    gone(engine, pushed)


def test_pull_errors(peer, engine, pushed, registry):
    recs, end = pull(peer, image=pushed, tag="nosuchtag")
    assert end["type"] == "call.error", end
    assert end["payload"]["code"] in ("NOT_FOUND", "DOCKER_ERROR"), end
    assert "nosuchtag" in end["payload"]["message"] or "not found" in \
        end["payload"]["message"], end
    recs, end = pull(peer, image="%s/%s" % (registry, unique("dgnone")))
    assert end["type"] == "call.error", end
    assert end["payload"]["code"] in ("NOT_FOUND", "DOCKER_ERROR"), end
    for bad in ({"image": pushed + ":v1", "tag": "v1"}, {"image": pushed, "tag": "a b"},
                {"image": pushed, "tag": ".hidden"}, {"image": "../x"}, {"image": ""},
                {"tag": "v1"}, {"image": pushed, "platform": "linux/arm64"}):
        with pytest.raises(CallError) as e:
            peer.call("docker/image/pull", bad)
        assert e.value.code == "INVALID_INPUT", (bad, e.value)
    # The stream is still usable after every refusal.
    assert peer.call("docker/system/ping") == {"ok": True}


def test_pull_not_allowed_image(make_gateway, pushed):
    gw = make_gateway(policy={"peers": {"alpha": {"uids": [0], "images": ["dgtest:*"]}}})
    with gw.peer() as p:
        with pytest.raises(CallError) as e:
            p.call("docker/image/pull", {"image": pushed, "tag": "v1"})
        assert e.value.code == "FORBIDDEN", e.value


def test_pull_error_inside_the_stream(peer, engine, registry):
    """A failure after the engine has answered 200 arrives inside the stream."""
    repo = "%s/%s" % (registry, unique("dgbroken"))
    cid = engine.create(cmd=["sh", "-c", "head -c 100000 /dev/urandom > /blob"])
    try:
        engine.start(cid)
        engine.wait(cid)
        q = urllib.parse.urlencode({"container": cid, "repo": repo, "tag": "v1"})
        status, out = engine.http("POST", "/commit?" + q, body={})
        assert status == 201, out
    finally:
        engine.remove(cid)
    try:
        engine_stream(engine, "POST", "/images/%s/push?tag=v1" % repo, AUTH)
    finally:
        gone(engine, repo)
    # The registry loses the top layer's blob; its manifest still names it.
    name = repo.split("/", 1)[1]
    req = urllib.request.Request(
        "http://%s/v2/%s/manifests/v1" % (registry, name),
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        top = json.loads(r.read())["layers"][-1]["digest"]
    algo, hexd = top.split(":")
    os.unlink(os.path.join(REGISTRY_DIRS[registry], "data", "docker", "registry", "v2",
                           "blobs", algo, hexd[:2], hexd, "data"))

    recs, end = pull(peer, image=repo, tag="v1")
    assert recs, "the failure came before any progress: not an in-stream error"
    assert end["type"] == "call.error", (recs, end)
    p = end["payload"]
    assert p["code"] == "DOCKER_ERROR" and p["details"] == {"status": 200}, p
    assert p["message"], p
    assert not present(engine, repo + ":v1")
    assert peer.call("docker/system/ping") == {"ok": True}
