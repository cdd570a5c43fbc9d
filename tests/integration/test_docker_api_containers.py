"""docker container prune and docker rename through the Docker front, as two
tenants: each touches only its own containers, and names stay in the
tenant's namespace.

Operations (tests/check-ops.sh): docker/container/prune, docker/container/rename.
"""

import json
import time

from conftest import ALPHA_UID, BETA_UID, unique
from test_docker_api import IMAGE, docker, front  # noqa: F401 (a fixture)


def out(r):
    return r.stdout.decode().strip()


def routes(gw):
    with open(gw.audit_path) as f:
        lines = [json.loads(x) for x in f if x.strip()]
    return {(x.get("operation"), x.get("route")) for x in lines if x.get("front") == "docker"}


def test_container_prune_removes_only_the_tenants_stopped_ones(front, engine):
    made = []

    def create(uid, *args):
        cid = out(docker(front, uid, "create", *args, IMAGE, "sleep", "300", check=0))
        made.append((uid, cid))
        return cid

    try:
        stopped = create(ALPHA_UID)
        kept = create(ALPHA_UID, "--label", "keep=1")
        running = create(ALPHA_UID)
        docker(front, ALPHA_UID, "start", running, check=0)
        others = create(BETA_UID)
        # filters narrow it: until (created before it), label, label!
        r = out(docker(front, ALPHA_UID, "container", "prune", "-f", "--filter", "until=1h",
                       check=0))
        assert stopped not in r and kept not in r, r
        r = out(docker(front, ALPHA_UID, "container", "prune", "-f", "--filter", "label=keep=1",
                       "--filter", "until=%d" % (time.time() + 3600), check=0))
        assert kept in r and stopped not in r, r
        assert engine.inspect(kept) is None and engine.inspect(stopped) is not None
        also = create(ALPHA_UID, "--label", "keep=2")
        r = out(docker(front, ALPHA_UID, "container", "prune", "-f", "--filter", "label!=keep",
                       check=0))
        assert stopped in r and also not in r and running not in r and others not in r, r
        assert engine.inspect(stopped) is None and engine.inspect(also) is not None
        assert engine.inspect(running)["State"]["Running"] is True
        assert engine.inspect(others) is not None
        # beta's prune takes its own only
        r = out(docker(front, BETA_UID, "container", "prune", "-f", check=0))
        assert others in r and running not in r
        assert engine.inspect(running) is not None
        r = docker(front, ALPHA_UID, "container", "prune", "-f", "--filter", "until=soon")
        assert r.returncode != 0 and b"until" in r.stderr, r.stderr
    finally:
        for uid, cid in made:
            docker(front, uid, "rm", "-f", cid)
    assert ("docker/container/prune", "POST /containers/prune") in routes(front)


def test_rename_stays_in_the_tenants_namespace(front, engine):
    a, b, c = unique("ra"), unique("rb"), unique("rc")
    cid = out(docker(front, ALPHA_UID, "create", "--name", a, IMAGE, "true", check=0))
    other = out(docker(front, ALPHA_UID, "create", "--name", c, IMAGE, "true", check=0))
    theirs = out(docker(front, BETA_UID, "create", "--name", b, IMAGE, "true", check=0))
    try:
        docker(front, ALPHA_UID, "rename", a, b, check=0)
        # beta's container is also called b: namespaces never meet
        assert out(docker(front, ALPHA_UID, "inspect", "-f", "{{.Name}}", b,
                          check=0)) == "/" + b
        assert out(docker(front, ALPHA_UID, "inspect", "-f", "{{.Id}}", b, check=0)) == cid
        assert engine.inspect(cid)["Name"] == "/alpha." + b
        assert engine.inspect(theirs)["Name"] == "/beta." + b
        r = docker(front, ALPHA_UID, "inspect", a)
        assert r.returncode != 0 and b"No such" in r.stderr
        # a name in use is one of the tenant's own: 409 in its words
        r = docker(front, ALPHA_UID, "rename", b, c)
        assert r.returncode != 0 and b"already in use by one of your containers" in r.stderr
        # another tenant's container is missing, not forbidden
        r = docker(front, BETA_UID, "rename", cid, unique("x"))
        assert r.returncode != 0 and b"No such container" in r.stderr, r.stderr
        assert engine.inspect(cid)["Name"] == "/alpha." + b
        r = docker(front, ALPHA_UID, "rename", b, "bad/name")
        assert r.returncode != 0 and b"[A-Za-z0-9_.-]" in r.stderr, r.stderr
    finally:
        for uid, x in ((ALPHA_UID, cid), (ALPHA_UID, other), (BETA_UID, theirs)):
            docker(front, uid, "rm", "-f", x)
    assert ("docker/container/rename", "POST /containers/{id}/rename") in routes(front)
