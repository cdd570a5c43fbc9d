"""docker/system/info: the host's shape and the peer's own standing, and
nothing a tenant must not learn (host paths, other tenants, the host's name).
"""

import json

from conftest import ENGINE, create_container


def test_info_shows_the_host_and_the_peers_own_quotas(make_gateway, engine):
    policy = {"peers": {"alpha": {"uids": [0], "quotas": {"containers": 5}},
                        "beta": {"uids": [1001]}}}
    gw = make_gateway(policy=policy)
    direct = engine.ok("GET", "/info")
    with gw.peer() as p:
        before = p.call("docker/system/info")
        create_container(p, ["true"])
        after = p.call("docker/system/info")
    assert before["cpus"] == direct["NCPU"] and before["cpus"] >= 1
    assert before["memoryBytes"] == direct["MemTotal"]
    assert before["architecture"] == direct["Architecture"]
    assert before["kernelVersion"] == direct["KernelVersion"]
    assert before["osType"] == "linux"
    assert before["engine"] == ENGINE
    assert before["disk"]["totalBytes"] > 0 and 0 <= before["disk"]["freeBytes"] <= \
        before["disk"]["totalBytes"]
    assert before["runtimes"] == [direct.get("DefaultRuntime", "runc")]
    q = before["peer"]["containers"]
    assert before["peer"]["name"] == "alpha"
    assert q["limit"] == 5 and after["peer"]["containers"]["used"] == q["used"] + 1
    assert after["peer"]["containers"]["left"] == 5 - q["used"] - 1
    # No host paths, no host name, no engine-wide counts.
    text = json.dumps(after)
    assert direct["DockerRootDir"] not in text
    assert direct["Name"] not in text
    for key in ("Containers", "Images", "DockerRootDir", "Name", "ID"):
        assert key not in after


def test_info_counts_only_the_callers_containers(make_gateway):
    gw = make_gateway()
    with gw.peer(uid=1001) as beta:
        create_container(beta, ["true"])
        create_container(beta, ["true"])
    with gw.peer() as alpha:
        mine = alpha.call("docker/system/info")["peer"]
    with gw.peer(uid=1001) as beta:
        theirs = beta.call("docker/system/info")["peer"]
    assert theirs["containers"]["used"] >= 2
    assert mine["containers"]["used"] == 0
    assert mine["memoryBytes"]["limit"] is None or mine["memoryBytes"]["used"] == 0
