"""A Node client through the Docker front: dockerode (npm, pinned by
tests/clients/node/package-lock.json, installed by contrib/install-deps.sh)
pings, creates, starts, waits for, reads the logs of and removes a container
as alpha; beta lists none of it and gets 404 for it by id and by name.
"""

import json
import os
import shutil
import subprocess

import pytest

from conftest import ALPHA_UID, BETA_UID, _run_docker_front, unique
from test_docker_api import IMAGE

NODE_DIR = os.path.join(os.path.dirname(__file__), "..", "clients", "node")
SCRIPT = os.path.join(NODE_DIR, "dockerode-check.js")


@pytest.fixture(scope="module")
def nfront(request, engine, engine_sock):
    if shutil.which("node") is None:
        pytest.skip("node is missing (contrib/install-deps.sh)")
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "dockerode")):
        pytest.skip("dockerode is not installed (contrib/install-deps.sh runs npm ci)")
    yield from _run_docker_front(request, engine, engine_sock, "dgdn")


def node(gw, uid, *args):
    r = subprocess.run(["node", SCRIPT, gw.docker_socket] + list(args), user=uid,
                       capture_output=True, timeout=60, cwd="/")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_dockerode_runs_a_container_and_the_other_tenant_sees_nothing(nfront, engine):
    name = unique("node")
    got = node(nfront, ALPHA_UID, "run", IMAGE, name)
    cid = got["id"]
    try:
        assert got["ping"] == "OK"
        assert got["code"] == 7
        assert got["logs"] == {"stdout": "out\n", "stderr": "err\n"}
        assert got["name"] == "/" + name and got["labels"].get("via") == "dockerode"
        assert cid in got["listed"] and got["named"] == [["/" + name]], got
        assert engine.inspect(cid)["Name"] == "/alpha." + name
        # alpha sees only its own: every listed id carries alpha's owner label
        for x in got["listed"]:
            assert engine.inspect(x)["Name"].startswith("/alpha."), x
        seen = node(nfront, BETA_UID, "look", cid, name)
        assert cid not in seen["listed"], seen
        for ref in (cid, name):
            for what in ("inspect", "logs", "remove"):
                r = seen[ref][what]
                assert r["code"] == 404 and "No such container" in r["message"], (ref, what, r)
        assert engine.inspect(cid) is not None
    finally:
        out = node(nfront, ALPHA_UID, "rm", cid)
    assert out["removed"] == 200 and engine.inspect(cid) is None
