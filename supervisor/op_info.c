/*
 * op_info.c - docker/system/info: what a peer may know of the host and of
 * its own standing.
 *
 * SECURITY: the engine's /info names host paths (DockerRootDir, plugins'
 * paths), other tenants' counts (Containers, Images) and the host's name
 * and identity; none of that is copied.  The answer is built field by field
 * from a few engine fields, the free disk of the engine's data root
 * (statvfs here, never shown as a path), the runtimes this peer may use,
 * and the peer's own usage, quotas and what is left of them.
 */
#include <string.h>
#include <sys/statvfs.h>

#include "ops_impl.h"
#include "profile.h"
#include "pool.h"
#include "supervisor.h"

/* A quota and its use: {"limit", "used", "left"}; limit and left null when unlimited. */
static json_t *info_quota(int64_t limit, int64_t used)
{
        int64_t left = limit - used;

        return json_pack(
            "{s:o,s:I,s:o}", "limit", limit > 0 ? json_integer((json_int_t)limit) : json_null(),
            "used", (json_int_t)used, "left",
            limit > 0 ? json_integer((json_int_t)(left > 0 ? left : 0)) : json_null());
}

static json_t *info_runtimes(const struct call *c, const json_t *engine)
{
        const char *dflt = json_string_value(json_object_get(engine, "DefaultRuntime"));

        /* A forced runtime is the only one; otherwise the engine's default. */
        if (c->peer->runtime[0] != '\0')
                return json_pack("[s]", c->peer->runtime);
        return json_pack("[s]", dflt != NULL ? dflt : "runc");
}

static json_t *info_disk(const json_t *engine)
{
        const char *root = json_string_value(json_object_get(engine, "DockerRootDir"));
        struct statvfs vfs;

        /* The engine is local (its socket is a unix one): its data root is ours to stat. */
        if (root == NULL || root[0] != '/' || statvfs(root, &vfs) != 0)
                return json_null();
        return json_pack("{s:I,s:I}", "freeBytes",
                         (json_int_t)((unsigned long long)vfs.f_bavail * vfs.f_frsize),
                         "totalBytes",
                         (json_int_t)((unsigned long long)vfs.f_blocks * vfs.f_frsize));
}

static const char *info_str(const json_t *e, const char *key)
{
        const char *s = json_string_value(json_object_get(e, key));

        return s != NULL ? s : "";
}

/*
 * The Docker front's document: the engine's /info shape, each field either
 * copied from this allowlist (the host's kind, not its identity), or the
 * peer's own (counts), or a constant.  SECURITY: never ID, Name, Labels,
 * DockerRootDir, proxies, plugin or runtime paths, nor the engine's counts.
 */
static json_t *info_engine_doc(struct call *c, const json_t *e, const struct quota_usage *u)
{
        static const char *const copied[] = {"OperatingSystem",
                                             "OSType",
                                             "OSVersion",
                                             "Architecture",
                                             "KernelVersion",
                                             "ServerVersion",
                                             "NCPU",
                                             "MemTotal",
                                             "Driver",
                                             "CgroupDriver",
                                             "CgroupVersion",
                                             "MemoryLimit",
                                             "SwapLimit",
                                             "KernelMemory",
                                             "CpuCfsPeriod",
                                             "CpuCfsQuota",
                                             "CPUShares",
                                             "CPUSet",
                                             "PidsLimit",
                                             "OomKillDisable",
                                             "IPv4Forwarding",
                                             "BridgeNfIptables",
                                             "BridgeNfIp6tables",
                                             "SystemTime",
                                             "ExperimentalBuild",
                                             "Isolation",
                                             "IndexServerAddress",
                                             "SecurityOptions",
                                             "LoggingDriver",
                                             NULL};
        json_t *doc = json_object(), *rt = info_runtimes(c, e), *runtimes = json_object(), *v;
        size_t i;

        for (i = 0; copied[i] != NULL; i++)
                if ((v = json_object_get(e, copied[i])) != NULL && !json_is_object(v))
                        json_object_set(doc, copied[i], v);
        json_object_set_new(doc, "Containers", json_integer((json_int_t)u->containers));
        json_object_set_new(doc, "ContainersRunning",
                            json_integer((json_int_t)(u->live - u->paused)));
        json_object_set_new(doc, "ContainersPaused", json_integer((json_int_t)u->paused));
        json_object_set_new(doc, "ContainersStopped",
                            json_integer((json_int_t)(u->containers - u->live)));
        json_object_set_new(doc, "Images", json_integer(0)); /* shared: no tenant owns one */
        json_object_set_new(doc, "Name", json_string(c->peer->name));
        json_object_set_new(doc, "ID", json_string(""));
        json_object_set_new(doc, "Labels", json_array());
        json_object_set_new(doc, "Warnings", json_array());
        json_object_set_new(
            doc, "Plugins",
            json_pack("{s:[],s:[],s:[],s:[]}", "Volume", "Network", "Authorization", "Log"));
        json_object_set_new(doc, "Swarm",
                            json_pack("{s:s,s:s,s:s,s:b,s:s}", "NodeID", "", "NodeAddr", "",
                                      "LocalNodeState", "inactive", "ControlAvailable", 0,
                                      "Error", ""));
        json_object_set_new(
            doc, "RegistryConfig",
            json_pack("{s:[],s:{},s:[]}", "InsecureRegistryCIDRs", "IndexConfigs", "Mirrors"));
        /* The runtimes this peer may use, without their paths on the host. */
        json_array_foreach(rt, i, v)
            json_object_set_new(runtimes, json_string_value(v), json_object());
        json_object_set_new(doc, "Runtimes", runtimes);
        json_object_set(doc, "DefaultRuntime", json_array_get(rt, 0));
        json_decref(rt);
        return doc;
}

static void info_usage(struct call *c, const struct quota_usage *u)
{
        struct ops_state *st = c->state;
        const struct policy_quotas *q = &c->peer->quotas;
        json_t *e = st->keep, *out;

        if (call_engine_view(c)) {
                call_reply(c, info_engine_doc(c, e, u));
                return;
        }

#define INFO_STR(k) info_str(e, k)
        out =
            json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:o,s:o,s:{s:o,s:o,s:o,s:o}}", "os",
                      INFO_STR("OperatingSystem"), "osType", INFO_STR("OSType"), "architecture",
                      INFO_STR("Architecture"), "kernelVersion", INFO_STR("KernelVersion"),
                      "engineVersion", INFO_STR("ServerVersion"), "cpus",
                      (json_int_t)json_integer_value(json_object_get(e, "NCPU")), "memoryBytes",
                      (json_int_t)json_integer_value(json_object_get(e, "MemTotal")), "disk",
                      info_disk(e), "runtimes", info_runtimes(c, e), "peer", "containers",
                      info_quota(q->containers, u->containers), "memoryBytes",
                      info_quota(q->memory_bytes, u->memory_bytes), "nanoCpus",
                      info_quota(q->nano_cpus, u->nano_cpus), "streams",
                      info_quota(q->streams, pool_streams(c->worker->sv, c->peer->name, NULL)));
#undef INFO_STR
        if (out == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return;
        }
        /* Which engine: "docker" or "podman" (profile.h). */
        json_object_set_new(out, "engine", json_string(engine_profile(c->engine)->name));
        json_object_set_new(json_object_get(out, "peer"), "name", json_string(c->peer->name));
        json_object_set_new(json_object_get(out, "peer"), "liveContainers",
                            json_integer((json_int_t)u->live));
        call_reply(c, out);
}

static void info_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct ops_state *st;

        c->pending = NULL;
        if (status != 200 || !json_is_object(body)) {
                call_fail_engine(c, status, body);
                return;
        }
        if ((st = ops_state(c)) == NULL)
                return;
        st->keep = json_incref(body);
        quota_usage(c, info_usage);
}

void op_system_info(struct call *c)
{
        ops_send(c, "GET", NULL, 0, info_done, "/info");
}
