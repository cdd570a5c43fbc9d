/*
 * create_knobs.c - the workload inputs of docker/container/create
 * (create_body.h, create_knobs()): each checked against the peer's policy
 * (struct policy_workload, docs/policy.md) and written into the body, or
 * refused with the field and the reason.  Pure: no engine, no call.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bindroot.h"
#include "create_body.h"

#define KNOB_NS_PER_MS 1000000LL

struct knobs {
        const json_t *in;
        const struct peer_policy *pp;
        struct create_plan *plan;
        json_t *cfg, *hc;
        struct create_error *err;
};

static int knob_fail(struct knobs *k, enum dg_err code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int knob_fail(struct knobs *k, enum dg_err code, const char *field, const char *fmt, ...)
{
        char why[CREATE_ERR_MAX - 96];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(why, sizeof(why), fmt, ap);
        va_end(ap);
        k->err->code = code;
        snprintf(k->err->text, sizeof(k->err->text), "input.%s: %s", field, why);
        return -1;
}

static json_t *knob(const struct knobs *k, const char *key)
{
        json_t *v = json_object_get(k->in, key);

        return json_is_null(v) ? NULL : v;
}

static int knob_chars(const char *s, size_t max, const char *allowed)
{
        size_t n = strlen(s);

        return n >= 1 && n <= max && strspn(s, allowed) == n;
}

#define KNOB_ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/* A DNS name: labels of [A-Za-z0-9-], not starting or ending with '-'. */
static int knob_dns_name(const char *s, size_t max)
{
        size_t i, n = strlen(s), lab = 0;

        if (n < 1 || n > max)
                return 0;
        for (i = 0; i < n; i++) {
                if (s[i] == '.') {
                        if (lab == 0 || s[i - 1] == '-')
                                return 0;
                        lab = 0;
                } else if (strchr(KNOB_ALNUM "-", s[i]) != NULL) {
                        if ((lab == 0 && s[i] == '-') || ++lab > 63)
                                return 0;
                } else
                        return 0;
        }
        return lab > 0 && s[n - 1] != '-';
}

static int knob_ip(const char *s)
{
        unsigned char b[16];

        return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

/* --- healthcheck: bounded by the policy so that it cannot become a CPU loop --- */

static int knob_ms(struct knobs *k, const json_t *h, const char *key, int64_t dflt, int64_t lo,
                   int64_t hi, int64_t *out)
{
        json_t *v = json_object_get(h, key);
        char field[64];

        *out = dflt;
        if (v == NULL)
                return 0;
        *out = json_integer_value(v);
        snprintf(field, sizeof(field), "healthcheck.%s", key);
        if (*out < lo)
                return knob_fail(k, DG_FORBIDDEN, field,
                                 "%lld is below this peer's minimum of %lld", (long long)*out,
                                 (long long)lo);
        if (*out > hi)
                return knob_fail(k, DG_FORBIDDEN, field,
                                 "%lld is above this peer's ceiling of %lld", (long long)*out,
                                 (long long)hi);
        return 0;
}

static int knob_healthcheck(struct knobs *k)
{
        const struct policy_workload *wl = &k->pp->wl;
        json_t *h = knob(k, "healthcheck"), *test, *out;
        const char *kind;
        int64_t interval, timeout, start, retries;
        size_t n;

        if (h == NULL)
                return 0;
        test = json_object_get(h, "test");
        n = json_array_size(test);
        kind = json_string_value(json_array_get(test, 0));
        if (kind == NULL)
                return knob_fail(k, DG_INVALID_INPUT, "healthcheck.test",
                                 "[\"CMD\", prog, args...], [\"CMD-SHELL\", command] or "
                                 "[\"NONE\"]");
        if (strcmp(kind, "NONE") == 0) {
                if (n != 1 || json_object_size(h) != 1)
                        return knob_fail(k, DG_INVALID_INPUT, "healthcheck",
                                         "[\"NONE\"] takes nothing else");
                return json_object_set_new(k->cfg, "Healthcheck",
                                           json_pack("{s:[s]}", "Test", "NONE"));
        }
        if (!((strcmp(kind, "CMD") == 0 && n >= 2) ||
              (strcmp(kind, "CMD-SHELL") == 0 && n == 2)))
                return knob_fail(k, DG_INVALID_INPUT, "healthcheck.test",
                                 "[\"CMD\", prog, args...], [\"CMD-SHELL\", command] or "
                                 "[\"NONE\"]");
        /* The engine's defaults (30 s, 30 s, 0, 3) where the peer says nothing, within bounds.
         */
        if (knob_ms(k, h, "intervalMs",
                    30000 > wl->hc_min_interval_ms ? 30000 : wl->hc_min_interval_ms,
                    wl->hc_min_interval_ms, 86400000, &interval) < 0 ||
            knob_ms(k, h, "timeoutMs",
                    30000 < wl->hc_max_timeout_ms ? 30000 : wl->hc_max_timeout_ms, 1,
                    wl->hc_max_timeout_ms, &timeout) < 0 ||
            knob_ms(k, h, "startPeriodMs", 0, 0, wl->hc_max_start_ms, &start) < 0 ||
            knob_ms(k, h, "retries", 3 < wl->hc_max_retries ? 3 : wl->hc_max_retries, 1,
                    wl->hc_max_retries, &retries) < 0)
                return -1;
        out = json_pack("{s:O,s:I,s:I,s:I,s:I}", "Test", test, "Interval",
                        (json_int_t)(interval * KNOB_NS_PER_MS), "Timeout",
                        (json_int_t)(timeout * KNOB_NS_PER_MS), "StartPeriod",
                        (json_int_t)(start * KNOB_NS_PER_MS), "Retries", (json_int_t)retries);
        return json_object_set_new(k->cfg, "Healthcheck", out);
}

/* --- ulimits: {"nofile": "soft[:hard]"}, four names, each under its ceiling --- */

static int knob_ulimits(struct knobs *k)
{
        json_t *u = knob(k, "ulimits"), *v, *out;
        const char *name;
        long long soft, hard;
        char *end;
        int i;

        if (u == NULL)
                return 0;
        if ((out = json_array()) == NULL)
                return knob_fail(k, DG_INTERNAL, "ulimits", "out of memory");
        json_object_set_new(k->hc, "Ulimits", out);
        json_object_foreach(u, name, v)
        {
                const char *s = json_string_value(v);
                for (i = 0; i < PU__N && strcmp(policy_ulimit_names[i], name) != 0; i++)
                        ;
                if (i == PU__N)
                        return knob_fail(k, DG_FORBIDDEN, "ulimits",
                                         "%.32s: only nofile, nproc, core and memlock may be "
                                         "set",
                                         name);
                soft = strtoll(s, &end, 10);
                hard = soft;
                if (*end == ':')
                        hard = strtoll(end + 1, &end, 10);
                if (s[0] < '0' || s[0] > '9' || *end != '\0' || soft < 0 || hard < soft)
                        return knob_fail(k, DG_INVALID_INPUT, "ulimits",
                                         "%s: \"soft\" or \"soft:hard\", soft <= hard", name);
                if (hard > k->pp->wl.ulimit_max[i])
                        return knob_fail(k, DG_FORBIDDEN, "ulimits",
                                         "%s: %lld is above this peer's ceiling of %lld", name,
                                         hard, (long long)k->pp->wl.ulimit_max[i]);
                json_array_append_new(out,
                                      json_pack("{s:s,s:I,s:I}", "Name", name, "Soft",
                                                (json_int_t)soft, "Hard", (json_int_t)hard));
        }
        return 0;
}

/* --- CPU: quota/period and a CPU set, both within the same ceiling as nanoCpus --- */

/* CPUs in "0-3,6": -1 when malformed. */
static int knob_cpuset_count(const char *s)
{
        int count = 0, lo, hi, n;

        while (*s != '\0') {
                if (sscanf(s, "%4d%n", &lo, &n) != 1 || lo < 0 || lo > 4095)
                        return -1;
                s += n;
                hi = lo;
                if (*s == '-') {
                        if (sscanf(s + 1, "%4d%n", &hi, &n) != 1 || hi < lo || hi > 4095)
                                return -1;
                        s += 1 + n;
                }
                count += hi - lo + 1;
                if (*s == ',')
                        s++;
                else if (*s != '\0')
                        return -1;
        }
        return count;
}

static int knob_cpu(struct knobs *k)
{
        json_t *q = knob(k, "cpuQuota"), *p = knob(k, "cpuPeriod");
        const char *set = json_string_value(knob(k, "cpusetCpus"));
        int64_t ceiling = k->pp->ceilings.nano_cpus, quota, period, nano;
        int n;

        if (p != NULL && q == NULL)
                return knob_fail(k, DG_INVALID_INPUT, "cpuPeriod", "goes with cpuQuota");
        if (q != NULL) {
                if (json_object_get(json_object_get(k->in, "limits"), "nanoCpus") != NULL)
                        return knob_fail(k, DG_INVALID_INPUT, "cpuQuota",
                                         "give limits.nanoCpus or cpuQuota, not both");
                quota = json_integer_value(q);
                period = p != NULL ? json_integer_value(p) : 100000;
                nano = quota * 1000000000LL / period;
                if (nano > ceiling)
                        return knob_fail(k, DG_FORBIDDEN, "cpuQuota",
                                         "%lld/%lld is %.2f CPUs, above this peer's ceiling of "
                                         "%.2f",
                                         (long long)quota, (long long)period, nano / 1e9,
                                         ceiling / 1e9);
                /* The engine takes one of the two forms: the quota replaces NanoCpus. */
                json_object_del(k->hc, "NanoCpus");
                json_object_set_new(k->hc, "CpuQuota", json_integer((json_int_t)quota));
                json_object_set_new(k->hc, "CpuPeriod", json_integer((json_int_t)period));
                k->plan->nano_cpus = nano;
        }
        if (set != NULL) {
                if ((n = knob_cpuset_count(set)) <= 0)
                        return knob_fail(k, DG_INVALID_INPUT, "cpusetCpus",
                                         "CPU numbers and ranges such as \"0-1,3\"");
                if ((int64_t)n * 1000000000LL >
                    ((ceiling + 999999999) / 1000000000) * 1000000000LL)
                        return knob_fail(k, DG_FORBIDDEN, "cpusetCpus",
                                         "%d CPUs, above this peer's ceiling of %.2f", n,
                                         ceiling / 1e9);
                json_object_set_new(k->hc, "CpusetCpus", json_string(set));
        }
        return 0;
}

/* --- memory: shm within the memory limit, swap only where the policy allows --- */

static int knob_memory(struct knobs *k)
{
        json_t *shm = knob(k, "shmSize"), *swap = knob(k, "memorySwap");
        int64_t mem = k->plan->memory_bytes;

        if (shm != NULL) {
                if (json_integer_value(shm) > mem)
                        return knob_fail(k, DG_FORBIDDEN, "shmSize",
                                         "%lld is above the container's memory limit of %lld",
                                         (long long)json_integer_value(shm), (long long)mem);
                json_object_set_new(k->hc, "ShmSize", json_integer(json_integer_value(shm)));
        }
        if (swap != NULL) {
                int64_t s = json_integer_value(swap);
                if (s < mem)
                        return knob_fail(k, DG_INVALID_INPUT, "memorySwap",
                                         "memory plus swap: at least the memory limit (%lld)",
                                         (long long)mem);
                if (s > mem && !k->pp->wl.allow_swap)
                        return knob_fail(k, DG_FORBIDDEN, "memorySwap",
                                         "this peer's containers may not swap (memorySwap "
                                         "must equal the memory limit)");
                if (s > 2 * mem)
                        return knob_fail(k, DG_FORBIDDEN, "memorySwap",
                                         "at most twice the memory limit");
                json_object_set_new(k->hc, "MemorySwap", json_integer((json_int_t)s));
        }
        return 0;
}

/* --- process and identity settings --- */

static int knob_misc(struct knobs *k)
{
        const char *sig = json_string_value(knob(k, "stopSignal"));
        const char *host = json_string_value(knob(k, "hostname"));
        const char *dom = json_string_value(knob(k, "domainname"));
        json_t *v, *arr;
        size_t i;

        if (sig != NULL) {
                if (!knob_chars(sig, 16, KNOB_ALNUM "+-"))
                        return knob_fail(k, DG_INVALID_INPUT, "stopSignal",
                                         "a signal name or number, such as SIGTERM or 15");
                json_object_set_new(k->cfg, "StopSignal", json_string(sig));
        }
        if ((v = knob(k, "stopTimeout")) != NULL)
                json_object_set_new(k->cfg, "StopTimeout", json_integer(json_integer_value(v)));
        if ((v = knob(k, "init")) != NULL)
                json_object_set_new(k->hc, "Init", json_boolean(json_is_true(v)));
        if (host != NULL) {
                if (!knob_dns_name(host, 63) || strchr(host, '.') != NULL)
                        return knob_fail(k, DG_INVALID_INPUT, "hostname",
                                         "one DNS label: 1 to 63 of [A-Za-z0-9-]");
                json_object_set_new(k->cfg, "Hostname", json_string(host));
        }
        if (dom != NULL) {
                if (!knob_dns_name(dom, 253))
                        return knob_fail(k, DG_INVALID_INPUT, "domainname", "a DNS name");
                json_object_set_new(k->cfg, "Domainname", json_string(dom));
        }
        if ((arr = knob(k, "extraHosts")) != NULL) {
                json_array_foreach(arr, i, v)
                {
                        const char *s = json_string_value(v), *colon = strchr(s, ':');
                        char name[256];
                        if (colon == NULL || (size_t)(colon - s) >= sizeof(name))
                                return knob_fail(k, DG_INVALID_INPUT, "extraHosts",
                                                 "each one \"name:address\"");
                        snprintf(name, sizeof(name), "%.*s", (int)(colon - s), s);
                        if (!knob_dns_name(name, 253) || !knob_ip(colon + 1))
                                return knob_fail(k, DG_INVALID_INPUT, "extraHosts",
                                                 "each one \"name:address\" with an IP "
                                                 "address");
                }
                json_object_set_new(k->hc, "ExtraHosts", json_deep_copy(arr));
        }
        if ((arr = knob(k, "dns")) != NULL) {
                json_array_foreach(arr, i, v)
                {
                        if (!knob_ip(json_string_value(v)))
                                return knob_fail(k, DG_INVALID_INPUT, "dns",
                                                 "each one an IP address");
                }
                json_object_set_new(k->hc, "Dns", json_deep_copy(arr));
        }
        if ((v = knob(k, "autoRemove")) != NULL) {
                const char *rp = json_string_value(json_object_get(k->in, "restartPolicy"));
                if (json_is_true(v) && rp != NULL && strcmp(rp, "no") != 0)
                        return knob_fail(k, DG_INVALID_INPUT, "autoRemove",
                                         "cannot go with a restart policy");
                json_object_set_new(k->hc, "AutoRemove", json_boolean(json_is_true(v)));
        }
        return 0;
}

/* --- capabilities and runtime: only what the policy lists --- */

static int knob_caps(struct knobs *k)
{
        const struct policy_workload *wl = &k->pp->wl;
        json_t *arr = knob(k, "capAdd"), *v, *caps;
        size_t i, j;

        if (arr == NULL)
                return 0;
        if ((caps = json_object_get(k->hc, "CapAdd")) == NULL) {
                caps = json_array();
                json_object_set_new(k->hc, "CapAdd", caps);
        }
        json_array_foreach(arr, i, v)
        {
                const char *s = json_string_value(v);
                const char *name = strncmp(s, "CAP_", 4) == 0 ? s + 4 : s;
                for (j = 0; j < wl->nallowed_caps && strcmp(wl->allowed_caps[j], name) != 0;
                     j++)
                        ;
                if (j == wl->nallowed_caps)
                        return knob_fail(k, DG_FORBIDDEN, "capAdd",
                                         "%.32s is not among this peer's allowed capabilities",
                                         name);
                json_array_append_new(caps, json_string(name));
        }
        return 0;
}

static int knob_runtime(struct knobs *k)
{
        const struct policy_workload *wl = &k->pp->wl;
        const char *rt = json_string_value(knob(k, "runtime"));
        size_t i;

        if (rt == NULL)
                return 0;
        if (k->pp->runtime[0] != '\0' && strcmp(rt, k->pp->runtime) == 0)
                return 0;
        if (k->pp->runtime[0] != '\0')
                return knob_fail(k, DG_FORBIDDEN, "runtime",
                                 "this peer's containers always run with %s", k->pp->runtime);
        for (i = 0; i < wl->nruntimes && strcmp(wl->runtimes[i], rt) != 0; i++)
                ;
        if (i == wl->nruntimes)
                return knob_fail(k, DG_FORBIDDEN, "runtime",
                                 "%.64s is not among this peer's runtimes", rt);
        json_object_set_new(k->hc, "Runtime", json_string(rt));
        return 0;
}

/* --- ports: {"7777/tcp": "[address:]hostPort"}, checked here, picked by the handler --- */

static int knob_port_allowed(const struct policy_workload *wl, int port)
{
        size_t i;

        for (i = 0; i < wl->nranges; i++)
                if (port >= wl->port_lo[i] && port <= wl->port_hi[i])
                        return 1;
        return 0;
}

static int knob_ports(struct knobs *k)
{
        const struct policy_workload *wl = &k->pp->wl;
        json_t *ports = knob(k, "ports"), *v;
        const char *key;
        struct create_port *p;
        size_t i;

        k->plan->publish_all = json_is_true(knob(k, "publishAllPorts"));
        if ((ports == NULL || json_object_size(ports) == 0) && !k->plan->publish_all)
                return 0;
        if (wl->nranges == 0)
                return knob_fail(k, DG_FORBIDDEN, ports ? "ports" : "publishAllPorts",
                                 "this peer may not publish ports (its policy lists no host "
                                 "port range)");
        json_object_foreach(ports, key, v)
        {
                const char *s = json_string_value(v), *colon = strrchr(s, ':');
                char proto[8] = "tcp", *end;
                long cport = strtol(key, &end, 10), hport;

                if (*end == '/')
                        snprintf(proto, sizeof(proto), "%.7s", end + 1);
                if (key[0] < '1' || key[0] > '9' || cport < 1 || cport > 65535 ||
                    (*end != '\0' && *end != '/') ||
                    (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0))
                        return knob_fail(k, DG_INVALID_INPUT, "ports",
                                         "keys are container ports: \"7777\", \"7777/tcp\" or "
                                         "\"53/udp\"");
                p = &k->plan->ports[k->plan->nports++];
                snprintf(p->ctr, sizeof(p->ctr), "%ld/%s", cport, proto);
                snprintf(p->addr, sizeof(p->addr), "%s", wl->host_addrs[0]);
                if (colon != NULL) {
                        if ((size_t)(colon - s) >= sizeof(p->addr))
                                return knob_fail(k, DG_INVALID_INPUT, "ports",
                                                 "a host address is an IP address");
                        snprintf(p->addr, sizeof(p->addr), "%.*s", (int)(colon - s), s);
                        s = colon + 1;
                }
                hport = s[0] == '\0' ? 0 : strtol(s, &end, 10);
                if ((s[0] != '\0' && (*end != '\0' || s[0] < '0' || s[0] > '9')) || hport < 0 ||
                    hport > 65535 || !knob_ip(p->addr))
                        return knob_fail(
                            k, DG_INVALID_INPUT, "ports",
                            "values are \"[address:]hostPort\", hostPort 0 or \"\" "
                            "for one the gateway picks");
                p->host = (int)hport;
                for (i = 0; i < wl->nhost_addrs && strcmp(wl->host_addrs[i], p->addr) != 0; i++)
                        ;
                if (i == wl->nhost_addrs)
                        return knob_fail(k, DG_FORBIDDEN, "ports",
                                         "%s: this peer may not bind host address %s", key,
                                         p->addr);
                if (p->host != 0 && !knob_port_allowed(wl, p->host))
                        return knob_fail(k, DG_FORBIDDEN, "ports",
                                         "%s: host port %d is outside this peer's ranges", key,
                                         p->host);
        }
        return 0;
}

/* --- binds: {"/ctr/path": "/host/path[:ro|:rw]"} beneath a root of the peer's --- */

static int knob_binds(struct knobs *k)
{
        const struct policy_workload *wl = &k->pp->wl;
        json_t *binds = knob(k, "binds"), *v;
        const char *path;
        struct create_bind *b;
        size_t i, n;

        json_object_foreach(binds, path, v)
        {
                const char *s = json_string_value(v);
                int rw = 0;

                if (path[0] != '/' || strlen(path) > CREATE_PATH_MAX ||
                    strcmp(path, "/") == 0 || strstr(path, "/..") != NULL ||
                    strstr(path, "/./") != NULL)
                        return knob_fail(k, DG_INVALID_INPUT, "binds",
                                         "keys are absolute paths in the container");
                b = &k->plan->binds[k->plan->nbinds];
                n = strlen(s);
                snprintf(b->host, sizeof(b->host), "%s", s);
                if (n > 3 && (strcmp(s + n - 3, ":ro") == 0 || strcmp(s + n - 3, ":rw") == 0)) {
                        rw = s[n - 1] == 'w';
                        b->host[n - 3] = '\0';
                }
                for (i = 0; i < wl->nbind_roots && !bindroot_under(wl->bind_roots[i], b->host);
                     i++)
                        ;
                if (i == wl->nbind_roots)
                        return knob_fail(k, DG_FORBIDDEN, "binds",
                                         "%.200s is not beneath a bind root of this peer",
                                         b->host);
                if (rw && !wl->bind_rw[i])
                        return knob_fail(k, DG_FORBIDDEN, "binds",
                                         "%.200s: its root %s is read-only for this peer",
                                         b->host, wl->bind_roots[i]);
                snprintf(b->root, sizeof(b->root), "%s", wl->bind_roots[i]);
                snprintf(b->path, sizeof(b->path), "%s", path);
                b->read_only = !rw;
                k->plan->nbinds++;
        }
        return 0;
}

int create_knobs(const json_t *in, const struct peer_policy *pp, struct create_plan *plan,
                 json_t *cfg, json_t *hc, struct create_error *err)
{
        struct knobs k = {in, pp, plan, cfg, hc, err};

        if (knob_healthcheck(&k) < 0 || knob_ulimits(&k) < 0 || knob_cpu(&k) < 0 ||
            knob_memory(&k) < 0 || knob_misc(&k) < 0 || knob_caps(&k) < 0 ||
            knob_runtime(&k) < 0 || knob_ports(&k) < 0 || knob_binds(&k) < 0)
                return -1;
        return 0;
}
