"""The Docker-Engine-API front's system, network, volume and image routes,
driven by the real Debian docker CLI (/usr/bin/docker), Debian's docker-py
and docker-compose 1.29, as two tenant uids: each sees nothing of the other.

Operations (tests/check-ops.sh): docker/system/info, docker/network/create,
docker/network/list, docker/network/inspect, docker/network/connect,
docker/network/disconnect, docker/network/remove, docker/volume/create,
docker/volume/list, docker/volume/inspect, docker/volume/remove,
docker/image/list, docker/image/inspect, docker/image/remove, docker/image/pull,
docker/system/events, docker/network/prune, docker/volume/prune.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import ALPHA_UID, BETA_UID, on_engine, unique
from test_docker_api import DOCKER, IMAGE, docker, front  # noqa: F401 (a fixture)


def djson(gw, uid, *args):
    r = docker(gw, uid, *args, check=0)
    return json.loads(r.stdout)


def test_info_is_the_tenants_own_view(front, engine):
    cid = docker(front, ALPHA_UID, "run", "-d", IMAGE, "sleep", "300",
                 check=0).stdout.decode().strip()
    a = djson(front, ALPHA_UID, "info", "--format", "{{json .}}")
    b = djson(front, BETA_UID, "info", "--format", "{{json .}}")
    mine = [c for c in engine.labelled()["containers"]]
    assert cid in mine
    assert a["ContainersRunning"] >= 1 and a["Containers"] >= 1, a
    assert b["Containers"] == 0 and b["ContainersRunning"] == 0, b
    # The host's kind, not its identity nor its paths
    assert a["NCPU"] == os.cpu_count() and a["MemTotal"] > 0 and a["OSType"] == "linux"
    assert a["Name"] == "alpha" and b["Name"] == "beta"
    for k in ("DockerRootDir", "HttpProxy", "HttpsProxy", "NoProxy"):
        assert not a.get(k), (k, a.get(k))
    assert "/" not in json.dumps(a.get("Runtimes")), a.get("Runtimes")
    # the CLI's own rendering works too
    out = docker(front, ALPHA_UID, "info", check=0).stdout.decode()
    assert "Containers:" in out and "Server Version:" in out
    docker(front, ALPHA_UID, "rm", "-f", cid, check=0)


def test_network_verbs_aliases_and_the_other_tenant_sees_nothing(front, engine):
    net, name = unique("net"), unique("ctr")
    nid = docker(front, ALPHA_UID, "network", "create", "--label", "k=v", net,
                 check=0).stdout.decode().strip()
    assert len(nid) == 64
    ls = docker(front, ALPHA_UID, "network", "ls", "--no-trunc", "--filter", "label=k=v",
                check=0).stdout.decode()
    assert nid in ls and net in ls
    ls = docker(front, ALPHA_UID, "network", "ls", "--filter", "label=k=other",
                check=0).stdout.decode()
    assert net not in ls
    ins = djson(front, ALPHA_UID, "network", "inspect", net)[0]
    assert ins["Id"] == nid and ins["Name"] == net and not ins.get("Options")
    # created on it with an alias, then connected to it again with another
    cid = docker(front, ALPHA_UID, "run", "-d", "--name", name, "--network", net,
                 "--network-alias", "db", IMAGE, "sleep", "300", check=0).stdout.decode().strip()
    ep = djson(front, ALPHA_UID, "inspect", name)[0]["NetworkSettings"]["Networks"][net]
    assert "db" in ep["Aliases"] and name in ep["Aliases"], ep
    docker(front, ALPHA_UID, "network", "disconnect", net, name, check=0)
    docker(front, ALPHA_UID, "network", "connect", "--alias", "cache", net, name, check=0)
    ep = djson(front, ALPHA_UID, "inspect", name)[0]["NetworkSettings"]["Networks"][net]
    assert "cache" in ep["Aliases"], ep
    ins = djson(front, ALPHA_UID, "network", "inspect", net)[0]
    assert cid in ins["Containers"] and ins["Containers"][cid]["Name"] == name
    # refused: what would reach the host or other tenants
    r = docker(front, ALPHA_UID, "network", "create", "-o", "com.docker.network.bridge.name=x",
               unique("net"))
    assert r.returncode != 0 and b"driver options" in r.stderr, r.stderr
    r = docker(front, ALPHA_UID, "network", "create", "--driver", "macvlan", unique("net"))
    assert r.returncode != 0 and b"only bridge networks" in r.stderr, r.stderr
    # beta: nothing, and every reference answers like a missing one
    ls_b = docker(front, BETA_UID, "network", "ls", "--no-trunc", check=0).stdout.decode()
    assert nid not in ls_b and net not in ls_b
    for args in (["network", "inspect", net], ["network", "rm", net],
                 ["network", "connect", net, name]):
        r = docker(front, BETA_UID, *args)
        assert r.returncode != 0 and b"No such" in r.stderr, (args, r.stderr)
    # in use: a conflict; then removed
    r = docker(front, ALPHA_UID, "network", "rm", net)
    assert r.returncode != 0
    docker(front, ALPHA_UID, "rm", "-f", name, check=0)
    docker(front, ALPHA_UID, "network", "rm", net, check=0)
    assert nid not in engine.labelled()["networks"]


def test_volume_verbs_and_the_other_tenant_sees_nothing(front, engine):
    vol = unique("vol")
    assert docker(front, ALPHA_UID, "volume", "create", "--label", "k=v", vol,
                  check=0).stdout.decode().strip() == vol
    ls = docker(front, ALPHA_UID, "volume", "ls", "-q", "--filter", "label=k=v",
                check=0).stdout.decode().split()
    assert ls == [vol]
    ins = djson(front, ALPHA_UID, "volume", "inspect", vol)[0]
    assert ins["Name"] == vol and ins["Labels"]["k"] == "v" and not ins.get("Mountpoint")
    r = docker(front, ALPHA_UID, "volume", "create", "-o", "type=none", "-o", "o=bind",
               "-o", "device=/etc", unique("vol"))
    assert r.returncode != 0 and b"driver options" in r.stderr, r.stderr
    assert docker(front, BETA_UID, "volume", "ls", "-q", check=0).stdout.decode().split() == []
    for args in (["volume", "inspect", vol], ["volume", "rm", vol]):
        r = docker(front, BETA_UID, *args)
        assert r.returncode != 0 and b"No such" in r.stderr, (args, r.stderr)
    # in use: a conflict in the tenant's own words, not the engine's names
    cid = docker(front, ALPHA_UID, "create", "-v", vol + ":/data", IMAGE, "true",
                 check=0).stdout.decode().strip()
    r = docker(front, ALPHA_UID, "volume", "rm", vol)
    assert r.returncode != 0 and b"in use" in r.stderr and b"alpha." not in r.stderr, r.stderr
    docker(front, ALPHA_UID, "rm", cid, check=0)
    docker(front, ALPHA_UID, "volume", "rm", vol, check=0)
    assert docker(front, ALPHA_UID, "volume", "ls", "-q", check=0).stdout.decode().split() == []


def test_images_list_inspect_and_refusals(front, engine):
    ls = docker(front, ALPHA_UID, "images", "--format", "{{.Repository}}:{{.Tag}}",
                check=0).stdout.decode().split()
    assert IMAGE in ls
    ins = djson(front, BETA_UID, "image", "inspect", IMAGE)[0]
    assert IMAGE in ins["RepoTags"] and not (ins.get("GraphDriver") or {}).get("Data")
    r = docker(front, ALPHA_UID, "image", "inspect", "nosuch-" + unique("img"))
    assert r.returncode != 0 and b"No such image" in r.stderr, r.stderr
    r = docker(front, ALPHA_UID, "images", "-a")
    assert r.returncode != 0 and b"intermediate images" in r.stderr, r.stderr
    # filters: reference, dangling, label (images are shared: no owner label is ANDed)
    fmt = ["--format", "{{.Repository}}:{{.Tag}}"]
    ls = docker(front, BETA_UID, "images", "--filter", "reference=dgtest", *fmt,
                check=0).stdout.decode().split()
    assert IMAGE in ls and all(x.startswith("dgtest:") for x in ls), ls
    assert docker(front, BETA_UID, "images", "--filter", "reference=nosuch*", *fmt,
                  check=0).stdout.decode().split() == []
    docker(front, BETA_UID, "images", "--filter", "dangling=true", "-q", check=0)
    assert docker(front, BETA_UID, "images", "--filter", "label=nosuch=1", "-q",
                  check=0).stdout == b""
    # before and since: against the tenant's own list, by the named image's Created
    every = {i["Id"]: i["Created"] for i in engine.ok("GET", "/images/json")}
    img = djson(front, BETA_UID, "image", "inspect", IMAGE)[0]
    t = every[img["Id"]]
    ids = ["--format", "{{.ID}}", "--no-trunc"]
    before = set(docker(front, BETA_UID, "images", "--filter", "before=" + IMAGE, *ids,
                        check=0).stdout.decode().split())
    since = set(docker(front, BETA_UID, "images", "--filter", "since=" + img["Id"][7:19],
                       *ids, check=0).stdout.decode().split())
    assert img["Id"] not in before | since, (before, since)
    assert all(every[i] < t for i in before) and all(every[i] > t for i in since), every
    seen = set(docker(front, BETA_UID, "images", *ids, check=0).stdout.decode().split())
    assert before == {i for i in seen if every[i] < t}, (before, seen)
    assert since == {i for i in seen if every[i] > t}, (since, seen)
    r = docker(front, BETA_UID, "images", "--filter", "before=nosuch-" + unique("img"))
    assert r.returncode != 0 and b"No such image" in r.stderr, r.stderr
    # alpha's own tag is not beta's to name
    mine = "alpha/" + unique("win") + ":v1"
    docker(front, ALPHA_UID, "tag", IMAGE, mine, check=0)
    try:
        assert docker(front, ALPHA_UID, "images", "--filter", "since=" + mine, "-q",
                      check=0).returncode == 0
        r = docker(front, BETA_UID, "images", "--filter", "since=" + mine)
        assert r.returncode != 0 and b"No such image" in r.stderr, r.stderr
    finally:
        engine.ok("DELETE", "/images/" + mine)
    # an import is not a pull
    r = docker(front, ALPHA_UID, "import", "-", unique("imp"), timeout=30)
    assert r.returncode != 0


def test_docker_py_networks_and_volumes(front, engine):
    """Debian's docker-py (5.0) through the gate: what compose builds on."""
    script = r"""
import json, sys, docker
c = docker.DockerClient(base_url=sys.argv[1], version="1.41")
n = c.networks.create(sys.argv[2], labels={"p": "x"})
v = c.volumes.create(sys.argv[3], labels={"p": "x"})
nets = [x.name for x in c.networks.list(filters={"label": "p=x"})]
vols = [x.name for x in c.volumes.list(filters={"label": "p=x"})]
info = c.info()
n.remove(); v.remove()
print(json.dumps({"nets": nets, "vols": vols, "containers": info["Containers"]}))
"""
    py = "/usr/bin/python3"
    if subprocess.run([py, "-c", "import docker"], capture_output=True).returncode != 0:
        pytest.skip("Debian's python3-docker is missing")
    net, vol = unique("net"), unique("vol")
    r = subprocess.run([py, "-c", script, "unix://" + front.docker_socket, net, vol],
                       user=BETA_UID, capture_output=True, timeout=60,
                       env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"})
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out == {"nets": [net], "vols": [vol], "containers": 0}, out


COMPOSE = "/usr/bin/docker-compose"
COMPOSE_FILE = """\
version: "2.4"
services:
  web:
    image: %(image)s
    command: ["sh", "-c", "echo web-up; exec sleep 300"]
    stop_grace_period: 1s
    volumes: ["data:/data"]
    networks: [back]
  db:
    image: %(image)s
    command: ["sh", "-c", "echo db-up; exec sleep 300"]
    stop_grace_period: 1s
    networks:
      back:
        aliases: [database]
networks:
  back: {}
volumes:
  data: {}
"""


def compose(gw, uid, project_dir, project, *args, timeout=90):
    env = {"PATH": "/usr/bin:/bin", "HOME": project_dir,
           "DOCKER_HOST": "unix://" + gw.docker_socket, "COMPOSE_INTERACTIVE_NO_CLI": "1"}
    return subprocess.run([COMPOSE, "--ansi", "never", "-p", project] + list(args), env=env,
                          user=uid, capture_output=True, timeout=timeout, cwd=project_dir)


def test_compose_up_ps_logs_down_and_the_other_tenant_sees_nothing(front, engine):
    if not os.access(COMPOSE, os.X_OK):
        pytest.skip("Debian's docker-compose (1.29) is missing")
    d = tempfile.mkdtemp(prefix="dgcompose", dir="/tmp")
    os.chmod(d, 0o755)
    project = unique("proj").replace("-", "")
    try:
        with open(os.path.join(d, "docker-compose.yml"), "w") as f:
            f.write(COMPOSE_FILE % {"image": IMAGE})
        r = compose(front, ALPHA_UID, d, project, "up", "-d")
        assert r.returncode == 0, r.stderr
        r = compose(front, ALPHA_UID, d, project, "ps")
        assert r.returncode == 0, r.stderr
        ps = r.stdout.decode()
        assert "%s_web_1" % project in ps and "%s_db_1" % project in ps and "Up" in ps, ps
        # the db answers to its alias on the project's network
        net = "%s_back" % project
        ep = djson(front, ALPHA_UID, "inspect", "%s_db_1" % project)[0]
        assert "database" in ep["NetworkSettings"]["Networks"][net]["Aliases"], ep
        r = compose(front, ALPHA_UID, d, project, "logs", "--no-color")
        assert r.returncode == 0, r.stderr
        assert b"web-up" in r.stdout and b"db-up" in r.stdout, r.stdout
        # beta: none of it, and its own compose sees an empty project
        ps_b = docker(front, BETA_UID, "ps", "-a", check=0).stdout.decode()
        assert project not in ps_b
        assert net not in docker(front, BETA_UID, "network", "ls", check=0).stdout.decode()
        assert docker(front, BETA_UID, "volume", "ls", "-q", check=0).stdout.decode() == ""
        r = compose(front, BETA_UID, d, project, "ps", "-q")
        assert r.returncode == 0 and r.stdout.strip() == b"", (r.stdout, r.stderr)
        before = engine.labelled()
        r = compose(front, ALPHA_UID, d, project, "down", "-v")
        assert r.returncode == 0, r.stderr
        # the engine itself: the project's containers, network and volume are gone
        after = engine.labelled()
        assert len(before["containers"]) - len(after["containers"]) == 2, (before, after)
        assert not [v for v in after["volumes"] if project in v], after
        assert len(before["networks"]) - len(after["networks"]) == 1, (before, after)
        assert not [n for n in docker(front, ALPHA_UID, "ps", "-a", check=0).stdout.decode()
                    .splitlines() if project in n]
        assert net not in docker(front, ALPHA_UID, "network", "ls", check=0).stdout.decode()
        assert project not in docker(front, ALPHA_UID, "volume", "ls", check=0).stdout.decode()
    finally:
        compose(front, ALPHA_UID, d, project, "down", "-v")
        shutil.rmtree(d, ignore_errors=True)


from test_pull import gone, present, pushed, registry  # noqa: E402,F401 (fixtures)


def test_pull_with_progress_and_rmi(front, engine, pushed):
    """docker/image/pull and docker/image/remove by the CLI, from the test registry."""
    assert not present(engine, pushed + ":v1")
    r = docker(front, BETA_UID, "pull", pushed + ":v1", timeout=120, check=0)
    out = r.stdout.decode()
    assert present(engine, pushed + ":v1")
    on_engine("podman", "its pull stream has no 'Pulling from', 'Digest:' or 'Status:' message and no "
                        "byte counts (Podman 4.3: 'Already exists', 'Pulling fs layer', "
                        "'Download complete' only)")
    assert "Pulling from" in out and "Digest:" in out and "Downloaded newer image" in out, out
    assert present(engine, pushed + ":v1")
    r = docker(front, BETA_UID, "pull", pushed + ":nosuchtag", timeout=120)
    assert r.returncode != 0 and b"nosuchtag" in r.stderr + r.stdout, r.stderr
    # removal as the policy allows: the default policy does not
    r = docker(front, BETA_UID, "rmi", pushed + ":v1")
    assert r.returncode != 0 and b"docker/image/remove is not allowed" in r.stderr, r.stderr
    assert present(engine, pushed + ":v1")
    gone(engine, pushed)


def test_events_are_the_tenants_own_with_its_names(front, engine):
    """docker/system/events: `docker events` between two times, filtered."""
    import time
    t0 = int(time.time()) - 1
    name = unique("ev")
    docker(front, ALPHA_UID, "run", "--rm", "--name", name, IMAGE, "true", check=0)
    t1 = int(time.time()) + 1
    args = ["events", "--since", str(t0), "--until", str(t1), "--format", "{{json .}}"]
    evs = [json.loads(x) for x in docker(front, ALPHA_UID, *args, "--filter", "type=container",
                                          check=0).stdout.decode().splitlines()]
    mine = [e for e in evs if e["Actor"]["Attributes"].get("name") == name]
    assert {"create", "start", "die", "destroy"} <= {e["Action"] for e in mine}, evs
    assert not [e for e in evs if "dockgate.owner" in e["Actor"]["Attributes"]], evs
    assert "alpha." not in json.dumps(evs)
    one = docker(front, ALPHA_UID, *args, "--filter", "event=start",
                 check=0).stdout.decode().splitlines()
    assert [json.loads(x)["Action"] for x in one if name in x] == ["start"], one
    # beta: none of alpha's
    evs_b = docker(front, BETA_UID, *args, check=0).stdout.decode()
    assert name not in evs_b, evs_b
    r = docker(front, ALPHA_UID, *args, "--filter", "type=daemon")
    assert r.returncode != 0 and b"containers, networks and volumes only" in r.stderr, r.stderr


def test_network_and_volume_prune_remove_only_the_tenants_unused(front, engine):
    """docker/network/prune and docker/volume/prune: own, unused, label-filtered."""
    used_net, idle_net, kept_net = unique("net"), unique("net"), unique("net")
    used_vol, idle_vol, kept_vol = unique("vol"), unique("vol"), unique("vol")
    for n in (used_net, idle_net):
        docker(front, ALPHA_UID, "network", "create", n, check=0)
    docker(front, ALPHA_UID, "network", "create", "--label", "keep=1", kept_net, check=0)
    for v in (used_vol, idle_vol):
        docker(front, ALPHA_UID, "volume", "create", v, check=0)
    docker(front, ALPHA_UID, "volume", "create", "--label", "keep=1", kept_vol, check=0)
    beta_net, beta_vol = unique("net"), unique("vol")
    docker(front, BETA_UID, "network", "create", beta_net, check=0)
    docker(front, BETA_UID, "volume", "create", beta_vol, check=0)
    cid = docker(front, ALPHA_UID, "create", "--network", used_net, "-v", used_vol + ":/d",
                 IMAGE, "true", check=0).stdout.decode().strip()
    # until: created before it (all were made just now); label!: without that label
    out = docker(front, ALPHA_UID, "network", "prune", "-f", "--filter", "until=1h",
                 check=0).stdout.decode()
    assert idle_net not in out and kept_net not in out, out
    out = docker(front, ALPHA_UID, "network", "prune", "-f", "--filter", "label!=keep",
                 check=0).stdout.decode()
    assert idle_net in out and kept_net not in out and used_net not in out, out
    later = "until=%d" % (time.time() + 3600)
    out = docker(front, ALPHA_UID, "network", "prune", "-f", "--filter", "label=keep=1",
                 "--filter", later, check=0).stdout.decode()
    assert kept_net in out, out
    out = docker(front, ALPHA_UID, "network", "prune", "-f", check=0).stdout.decode()
    assert used_net not in out and beta_net not in out, out
    out = docker(front, ALPHA_UID, "volume", "prune", "-f", "--filter", "label=nosuch=1",
                 check=0).stdout.decode()
    assert idle_vol not in out, out
    r = docker(front, ALPHA_UID, "volume", "prune", "-f", "--filter", "until=1h")
    assert r.returncode != 0 and b"until" in r.stderr, r.stderr
    out = docker(front, ALPHA_UID, "volume", "prune", "-f", "--filter", "label!=keep",
                 check=0).stdout.decode()
    assert idle_vol in out and kept_vol not in out and used_vol not in out, out
    out = docker(front, ALPHA_UID, "volume", "prune", "-f", check=0).stdout.decode()
    assert kept_vol in out and used_vol not in out, out
    assert beta_vol not in out
    nets = docker(front, ALPHA_UID, "network", "ls", check=0).stdout.decode()
    assert used_net in nets and idle_net not in nets
    assert docker(front, ALPHA_UID, "volume", "ls", "-q", check=0).stdout.decode().split() == \
        [used_vol]
    # beta's are untouched
    assert beta_net in docker(front, BETA_UID, "network", "ls", check=0).stdout.decode()
    assert docker(front, BETA_UID, "volume", "ls", "-q", check=0).stdout.decode().split() == \
        [beta_vol]
    docker(front, ALPHA_UID, "rm", cid, check=0)
    # audited like native calls, with the route
    lines = [json.loads(x) for x in open(front.audit_path) if x.strip()]
    routes = {(x.get("operation"), x.get("route")) for x in lines if x.get("front") == "docker"}
    assert ("docker/network/prune", "POST /networks/prune") in routes
    assert ("docker/volume/prune", "POST /volumes/prune") in routes


def test_system_df_is_the_tenants_own(front, engine):
    """docker/system/df through `docker system df -v`, and the native op."""
    vol, name = unique("vol"), unique("df")
    docker(front, ALPHA_UID, "volume", "create", vol, check=0)
    docker(front, ALPHA_UID, "create", "--name", name, "-v", vol + ":/d", IMAGE, "true",
           check=0)
    a = docker(front, ALPHA_UID, "system", "df", "-v", check=0).stdout.decode()
    b = docker(front, BETA_UID, "system", "df", "-v", check=0).stdout.decode()
    assert name in a and vol in a and "alpha." not in a, a
    assert name not in b and vol not in b, b
    p = front.peer(uid=BETA_UID)
    try:
        out = p.call("docker/system/df", {})
    finally:
        p.close()
    assert out == {"containers": [], "volumes": []}, out
    docker(front, ALPHA_UID, "rm", name, check=0)
    docker(front, ALPHA_UID, "volume", "rm", vol, check=0)


def test_tag_only_into_the_tenants_namespace(front, engine):
    """docker/image/tag: alpha/NAME is alpha's; anything else would change others' images."""
    name = "alpha/" + unique("img")
    docker(front, ALPHA_UID, "tag", IMAGE, name + ":v1", check=0)
    assert present(engine, name + ":v1")
    for bad in ("busybox:latest", "beta/x:1", "127.0.0.1:5000/alpha/x:1"):
        r = docker(front, ALPHA_UID, "tag", IMAGE, bad)
        assert r.returncode != 0 and b"own namespace" in r.stderr, (bad, r.stderr)
        assert not present(engine, bad)
    r = docker(front, BETA_UID, "tag", IMAGE, name + ":v2")
    assert r.returncode != 0 and b"own namespace" in r.stderr, r.stderr
    engine.http("DELETE", "/images/%s:v1" % name)
    lines = [json.loads(x) for x in open(front.audit_path) if x.strip()]
    assert ("docker/image/tag", "POST /images/{name*}/tag") in {
        (x.get("operation"), x.get("route")) for x in lines if x.get("front") == "docker"}


def test_rmi_where_the_policy_allows_it(make_gateway, engine):
    """docker/image/remove: a peer whose policy names it removes a tag with docker rmi."""
    d = tempfile.mkdtemp(prefix="dgda", dir="/tmp")
    os.chmod(d, 0o755)
    gw = make_gateway(args=["--docker-socket", os.path.join(d, "docker.sock")], policy={
        "peers": {"alpha": {"uids": [ALPHA_UID], "operations": [
            "docker/system/*", "docker/image/*"]}}})
    gw.docker_socket = os.path.join(d, "docker.sock")
    try:
        name = "alpha/" + unique("rmi") + ":v1"
        docker(gw, ALPHA_UID, "tag", IMAGE, name, check=0)
        r = docker(gw, ALPHA_UID, "rmi", name, check=0)
        assert ("Untagged: " + name).encode() in r.stdout, r.stdout
        assert not present(engine, name) and present(engine, IMAGE)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_image_prune_removes_only_the_tenants_unused_tags(front, engine):
    """docker/image/prune: alpha's own tags no container uses; never shared images."""
    import urllib.parse
    free, used = "alpha/" + unique("pr") + ":1", "alpha/" + unique("pr") + ":1"
    beta_tag = "beta/" + unique("pr") + ":1"
    # free: an image of its own (committed on the engine), that no container uses
    tmp = engine.create(cmd=["true"])
    try:
        q = urllib.parse.urlencode({"container": tmp, "repo": free.split(":")[0], "tag": "1"})
        assert engine.http("POST", "/commit?" + q, body={})[0] == 201
    finally:
        engine.remove(tmp)
    docker(front, ALPHA_UID, "tag", IMAGE, used, check=0)
    docker(front, BETA_UID, "tag", IMAGE, beta_tag, check=0)
    cid = docker(front, ALPHA_UID, "create", used, "true", check=0).stdout.decode().strip()
    out = docker(front, ALPHA_UID, "image", "prune", "-f", check=0).stdout.decode()
    assert free not in out and present(engine, free), out  # dangling: nobody's
    out = docker(front, ALPHA_UID, "image", "prune", "-a", "-f", check=0).stdout.decode()
    assert "untagged: " + free in out and "deleted: sha256:" in out and used not in out, out
    assert not present(engine, free) and present(engine, used)
    assert present(engine, beta_tag) and present(engine, IMAGE)
    docker(front, ALPHA_UID, "rm", cid, check=0)
    for t in (used, beta_tag):
        engine.http("DELETE", "/images/%s" % t)
    lines = [json.loads(x) for x in open(front.audit_path) if x.strip()]
    assert ("docker/image/prune", "POST /images/prune") in {
        (x.get("operation"), x.get("route")) for x in lines if x.get("front") == "docker"}
