"""`docker update` through the Docker-API front (and the native operation it
becomes), as two tenant uids: limits may go down from the container's
create-time values, or back up to them, never above (the quota totals count
the create-time values); the restart policy changes; every other field is
refused naming it; the other tenant's container is "No such container".

Operations (tests/check-ops.sh): docker/container/update.
"""

from conftest import ALPHA_UID, BETA_UID
from test_docker_api import IMAGE, docker, front  # noqa: F401 (a fixture)

MIB = 1 << 20


def hc(engine, cid):
    return engine.inspect(cid)["HostConfig"]


def test_update_lowers_limits_within_the_create_time_values(front, engine):
    """docker/container/update: memory and CPUs down and back, never above the create's."""
    cid = docker(front, ALPHA_UID, "run", "-d", "--memory", "128m", "--cpus", "0.5", IMAGE,
                 "sleep", "300", check=0).stdout.decode().strip()
    try:
        docker(front, ALPHA_UID, "update", "--memory", "64m", "--cpus", "0.25",
               "--pids-limit", "50", cid, check=0)
        h = hc(engine, cid)
        assert h["Memory"] == 64 * MIB and h["MemorySwap"] == 64 * MIB, h  # still no swap
        assert h["NanoCpus"] == 250000000 and h["PidsLimit"] == 50, h
        # the container's cgroup has it too
        r = docker(front, ALPHA_UID, "exec", cid, "sh", "-c",
                   "cat /sys/fs/cgroup/memory.max 2>/dev/null || "
                   "cat /sys/fs/cgroup/memory/memory.limit_in_bytes", check=0)
        assert r.stdout.decode().strip() == str(64 * MIB), r.stdout
        # back up to the create-time value: allowed
        docker(front, ALPHA_UID, "update", "--memory", "128m", cid, check=0)
        assert hc(engine, cid)["Memory"] == 128 * MIB
        # above it: refused, in the CLI's words, and nothing changed
        r = docker(front, ALPHA_UID, "update", "--memory", "256m", cid)
        assert r.returncode != 0 and b"create-time value" in r.stderr, r.stderr
        r = docker(front, ALPHA_UID, "update", "--cpus", "0.75", cid)
        assert r.returncode != 0 and b"create-time value" in r.stderr, r.stderr
        # above the peer's ceiling (1 CPU in the test policy)
        r = docker(front, ALPHA_UID, "update", "--cpus", "2", cid)
        assert r.returncode != 0 and b"ceiling" in r.stderr, r.stderr
        h = hc(engine, cid)
        assert h["Memory"] == 128 * MIB and h["NanoCpus"] == 250000000, h
        # the restart policy, both ways
        docker(front, ALPHA_UID, "update", "--restart", "on-failure:3", cid, check=0)
        assert hc(engine, cid)["RestartPolicy"] == {"Name": "on-failure",
                                                    "MaximumRetryCount": 3}
        docker(front, ALPHA_UID, "update", "--restart", "no", cid, check=0)
        assert hc(engine, cid)["RestartPolicy"]["Name"] == "no"
        # every other field refused, naming it
        for flags, field in ((["--cpu-shares", "512"], b"CpuShares"),
                             (["--cpuset-cpus", "0"], b"CpusetCpus"),
                             (["--memory-reservation", "32m"], b"MemoryReservation"),
                             (["--memory", "64m", "--memory-swap", "256m"], b"MemorySwap"),
                             (["--pids-limit", "-1"], b"PidsLimit")):
            r = docker(front, ALPHA_UID, "update", *flags, cid)
            assert r.returncode != 0 and field in r.stderr, (flags, r.stderr)
        assert hc(engine, cid)["CpuShares"] == 0
        # the other tenant: no such container, and nothing changed
        r = docker(front, BETA_UID, "update", "--memory", "32m", cid)
        assert r.returncode != 0 and b"No such container" in r.stderr, r.stderr
        assert hc(engine, cid)["Memory"] == 128 * MIB
    finally:
        docker(front, ALPHA_UID, "rm", "-f", cid, check=0)


def test_update_native_operation(front, engine):
    """docker/container/update on the native socket: the same rules, in call.error codes."""
    p = front.peer()
    cid = docker(front, ALPHA_UID, "create", "--memory", "64m", IMAGE, "true",
                 check=0).stdout.decode().strip()
    try:
        out = p.call("docker/container/update",
                     {"containerId": cid, "limits": {"memoryBytes": 32 * MIB}})
        assert out == {"warnings": []}, out
        assert hc(engine, cid)["Memory"] == 32 * MIB
        err = p.error("docker/container/update",
                      {"containerId": cid, "limits": {"memoryBytes": 96 * MIB}})
        assert err.code == "FORBIDDEN" and "create-time value of %d" % (64 * MIB) in \
            err.message, err.message
        err = p.error("docker/container/update", {"containerId": cid, "restartPolicy": "sometimes"})
        assert err.code == "INVALID_INPUT", err.message
    finally:
        p.close()
        docker(front, ALPHA_UID, "rm", "-f", cid, check=0)
