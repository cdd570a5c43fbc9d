/*
 * policy_parse.c - loading and checking the policy file, and settling what
 * each peer gets (the defaults of what the file leaves out; policy.h).
 *
 * Every problem is reported with its location in the file (a path such as
 * peers.alpha.quotas.streams), in words an operator understands, and the
 * check goes on after a problem so that one run lists them all.  Unknown
 * keys are errors, so that a typo never silently loosens or tightens a
 * rule; the nearest known key is suggested (the diagnostics kit is
 * policy_diag.c).  Unit-tested in tests/unit/test_sv_policy.c.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "policy_diag.h"
#include "bindroot.h"
#include "schema.h"

/* An ordinary tenant may do everything but remove shared images (tags go in its namespace). */
/* clang-format off */
static const char *const default_ops[] = {
    "docker/system/*",
    "docker/container/*",
    "docker/image/pull",
    "docker/image/list",
    "docker/image/inspect",
    "docker/image/tag",
    "docker/image/prune", /* of its own tags only */
    "docker/image/build", /* FORBIDDEN unless the peer's build key allows it */
    "docker/network/*",
    "docker/volume/*",
    "gateway/*",
    NULL,
};
/* clang-format on */

#define MIB (1LL << 20)
#define DEF_MEMORY (512 * MIB)
#define DEF_NANOCPUS 1000000000LL
#define DEF_PIDS 256LL
#define DEF_Q_CONTAINERS 256
#define DEF_Q_STREAMS 1024
#define DEF_Q_RATE 1000

/* The container limits, in the order of struct policy_limits. */
static const struct limit_row {
        const char *key;
        long long lo, hi;
        int bytes; /* accepts "512MiB" and is shown that way */
} limit_rows[] = {
    {"memoryBytes", DG_MEMORY_MIN, DG_MEMORY_MAX, 1},
    {"nanoCpus", DG_NANOCPUS_MIN, DG_NANOCPUS_MAX, 0},
    {"pidsLimit", DG_PIDS_MIN, DG_PIDS_MAX, 0},
};
#define NLIMITS 3

/* Capabilities a peer may be given back; anything else is a typo. */
static const char *const known_caps[] = {
    "AUDIT_CONTROL",   "AUDIT_READ",   "AUDIT_WRITE",
    "BLOCK_SUSPEND",   "BPF",          "CHECKPOINT_RESTORE",
    "CHOWN",           "DAC_OVERRIDE", "DAC_READ_SEARCH",
    "FOWNER",          "FSETID",       "IPC_LOCK",
    "IPC_OWNER",       "KILL",         "LEASE",
    "LINUX_IMMUTABLE", "MAC_ADMIN",    "MAC_OVERRIDE",
    "MKNOD",           "NET_ADMIN",    "NET_BIND_SERVICE",
    "NET_BROADCAST",   "NET_RAW",      "PERFMON",
    "SETFCAP",         "SETGID",       "SETPCAP",
    "SETUID",          "SYSLOG",       "SYS_ADMIN",
    "SYS_BOOT",        "SYS_CHROOT",   "SYS_MODULE",
    "SYS_NICE",        "SYS_PACCT",    "SYS_PTRACE",
    "SYS_RAWIO",       "SYS_RESOURCE", "SYS_TIME",
    "SYS_TTY_CONFIG",  "WAKE_ALARM",   NULL,
};

/* Given back, these undo much of the confinement: the check warns. */
static const char *const risky_caps[] = {
    "SYS_ADMIN",
    "SYS_MODULE",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "DAC_READ_SEARCH",
    "BPF",
    "PERFMON",
    "NET_ADMIN",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "SYS_BOOT",
    "SYSLOG",
    "SYS_TIME",
    "MKNOD",
    "SETFCAP",
    "LINUX_IMMUTABLE",
    NULL,
};

static int name_valid(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > POLICY_NAME_MAX)
                return 0;
        for (size_t i = 0; i < n; i++) {
                char ch = s[i];
                int ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                         (i > 0 && (ch == '-' || ch == '_'));
                if (!ok)
                        return 0;
        }
        return 1;
}

static int label_valid(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n >= 100)
                return 0;
        for (size_t i = 0; i < n; i++) {
                char ch = s[i];
                if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ||
                      ch == '-' || ch == '_'))
                        return 0;
        }
        return 1;
}

static const char *pattern_ok(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > 256)
                return "must be a pattern of 1 to 256 characters";
        for (size_t i = 0; i < n; i++)
                if (s[i] <= ' ' || s[i] > '~')
                        return "must not contain spaces or control characters";
        return NULL;
}

static const char *network_ok(const char *s)
{
        size_t n = strlen(s);

        if (strcmp(s, "host") == 0)
                return "the host network is never allowed: it would give containers the host's "
                       "network stack";
        if (n == 0 || n > POLICY_NAME_MAX || !isalnum((unsigned char)s[0]) ||
            strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n)
                return "must be the name of an engine network, such as \"bridge\"";
        return NULL;
}

/* Stored as the engine spells them, without "CAP_". */
static const char *cap_ok(const char *s)
{
        const char *name = strncmp(s, "CAP_", 4) == 0 ? s + 4 : s;

        for (size_t i = 0; known_caps[i] != NULL; i++)
                if (strcmp(name, known_caps[i]) == 0)
                        return NULL;
        return "must be a Linux capability such as \"CHOWN\" or \"NET_BIND_SERVICE\" "
               "(upper case)";
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static int parse_digest(const char *s, unsigned char out[32])
{
        if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != 7 + 64)
                return -1;
        for (size_t i = 0; i < 32; i++) {
                int hi = hexval(s[7 + 2 * i]), lo = hexval(s[8 + 2 * i]);
                if (hi < 0 || lo < 0)
                        return -1;
                out[i] = (unsigned char)(hi << 4 | lo);
        }
        return 0;
}

/* --- a peer --- */

/* What the file said of a peer's limits, before defaults are filled in. */
struct limits_in {
        int64_t v[NLIMITS];
        int set[NLIMITS];
};

struct peer_in {
        struct limits_in flat, defaults, ceilings;
        int have_ops, have_images, have_net, flat_net, have_rate, have_burst;
        char net[POLICY_NAME_MAX + 1];
};

static int64_t *limit_field(struct policy_limits *l, int i)
{
        return i == 0 ? &l->memory_bytes : i == 1 ? &l->nano_cpus : &l->pids_limit;
}

static int parse_limits(json_t *v, const char *where, struct limits_in *out, int with_extra,
                        struct peer_in *in, struct peer_policy *pp, struct policy_report *r)
{
        static const char *const known_d[] = {"memoryBytes", "nanoCpus",       "pidsLimit",
                                              "network",     "readOnlyRootfs", NULL};
        static const char *const known_c[] = {"memoryBytes", "nanoCpus", "pidsLimit", NULL};
        char at[300], b[80];
        const char *key;
        json_t *x;
        int rc = 0, i;

        if (!json_is_object(v))
                return pd_err(r, where, "must be an object (found %s)",
                              pd_shown(v, b, sizeof(b)));
        json_object_foreach(v, key, x)
        {
                pd_locate(at, sizeof(at), where, key, -1);
                for (i = 0; i < NLIMITS; i++)
                        if (strcmp(key, limit_rows[i].key) == 0)
                                break;
                if (i < NLIMITS) {
                        const struct limit_row *lr = &limit_rows[i];
                        if ((lr->bytes ? pd_bytes(x, at, lr->lo, lr->hi, &out->v[i], r)
                                       : pd_int(x, at, lr->lo, lr->hi, &out->v[i], r)) == 0)
                                out->set[i] = 1;
                        else
                                rc = -1;
                } else if (with_extra && strcmp(key, "network") == 0) {
                        const char *why = json_is_string(x) ? network_ok(json_string_value(x))
                                                            : "must be a network name";
                        if (json_is_string(x) && strcmp(json_string_value(x), "none") == 0)
                                why = NULL;
                        if (why != NULL) {
                                rc = pd_err(r, at, "%s (found %s)", why,
                                            pd_shown(x, b, sizeof(b)));
                                continue;
                        }
                        snprintf(in->net, sizeof(in->net), "%s", json_string_value(x));
                        in->have_net = 1;
                } else if (with_extra && strcmp(key, "readOnlyRootfs") == 0) {
                        rc |= pd_bool(x, at, &pp->read_only_default, r);
                } else {
                        rc = pd_unknown_key(r, at, key, with_extra ? known_d : known_c);
                }
        }
        return rc;
}

/* --- workload settings (container.*: ulimits, healthcheck, ports, bindRoots...) --- */

const char *const policy_ulimit_names[PU__N + 1] = {"nofile", "nproc", "core", "memlock", NULL};

static void workload_defaults(struct policy_workload *wl)
{
        wl->ulimit_max[PU_NOFILE] = 65536;
        wl->ulimit_max[PU_NPROC] = 4096;
        wl->ulimit_max[PU_CORE] = 0;
        wl->ulimit_max[PU_MEMLOCK] = 64 * 1024;
        wl->hc_min_interval_ms = 1000;
        wl->hc_max_timeout_ms = 60000;
        wl->hc_max_retries = 10;
        wl->hc_max_start_ms = 600000;
        snprintf(wl->host_addrs[0], sizeof(wl->host_addrs[0]), "127.0.0.1");
        wl->nhost_addrs = 1;
}

static int in_list(const char *s, const char *const *list)
{
        for (; *list != NULL; list++)
                if (strcmp(s, *list) == 0)
                        return 1;
        return 0;
}

/* An object of whole numbers, each key one of known; each checked to [lo, hi]. */
static int parse_numbers(json_t *v, const char *where, const char *const *known, int64_t *out,
                         long long lo, long long hi, struct policy_report *r)
{
        char at[300], b[80];
        const char *key;
        json_t *x;
        int rc = 0;

        if (!json_is_object(v))
                return pd_err(r, where, "must be an object (found %s)",
                              pd_shown(v, b, sizeof(b)));
        json_object_foreach(v, key, x)
        {
                size_t i;
                pd_locate(at, sizeof(at), where, key, -1);
                for (i = 0; known[i] != NULL && strcmp(known[i], key) != 0; i++)
                        ;
                if (known[i] == NULL)
                        rc = pd_unknown_key(r, at, key, known);
                else
                        rc |= pd_int(x, at, lo, hi, &out[i], r);
        }
        return rc;
}

/* A list of strings, each copied into a fixed row after ok() said nothing against it. */
static int parse_rows(json_t *v, const char *where, size_t max, size_t width, char *rows,
                      size_t *n, const char *(*ok)(const char *), struct policy_report *r)
{
        char at[300], b[80];
        const char *why, *s;
        json_t *item;
        size_t i;
        int rc = 0;

        if (!json_is_array(v) || json_array_size(v) > max)
                return pd_err(r, where, "must be a list of at most %zu strings (found %s)", max,
                              pd_shown(v, b, sizeof(b)));
        json_array_foreach(v, i, item)
        {
                pd_locate(at, sizeof(at), where, NULL, (long)i);
                s = json_string_value(item);
                if (s == NULL || strlen(s) >= width) {
                        rc = pd_err(r, at, "must be a string of at most %zu bytes", width - 1);
                        continue;
                }
                if (ok != NULL && (why = ok(s)) != NULL) {
                        rc = pd_err(r, at, "%s (found \"%.80s\")", why, s);
                        continue;
                }
                snprintf(rows + *n * width, width, "%s", s);
                (*n)++;
        }
        return rc;
}

static const char *allowed_cap_ok(const char *s)
{
        const char *name = strncmp(s, "CAP_", 4) == 0 ? s + 4 : s;

        if (!in_list(name, known_caps))
                return "is not a Linux capability (e.g. \"NET_BIND_SERVICE\")";
        if (in_list(name, risky_caps))
                return "undoes the confinement and may never be asked for";
        return NULL;
}

static const char *runtime_ok(const char *s)
{
        return name_valid(s) ? NULL : "must be the name of an OCI runtime, such as \"runsc\"";
}

static const char *bind_root_ok(const char *s)
{
        static char why[160];
        char path[POLICY_ROOT_MAX + 1];
        size_t n = strlen(s);

        snprintf(path, sizeof(path), "%s", s);
        if (n > 3 && (strcmp(s + n - 3, ":rw") == 0 || strcmp(s + n - 3, ":ro") == 0))
                path[n - 3] = '\0';
        if (bindroot_root_ok(path, why, sizeof(why)) < 0)
                return why;
        return NULL;
}

static const char *host_addr_ok(const char *s)
{
        unsigned char buf[16];

        if (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1)
                return NULL;
        return "must be an IP address such as \"127.0.0.1\"";
}

static const char *port_range_ok(const char *s)
{
        int lo, hi, n = 0;

        if ((sscanf(s, "%5d-%5d%n", &lo, &hi, &n) == 2 && s[n] == '\0') ||
            (sscanf(s, "%5d%n", &lo, &n) == 1 && s[n] == '\0' && (hi = lo) > 0)) {
                if (lo >= 1 && lo <= hi && hi <= 65535)
                        return NULL;
        }
        return "must be a port or a range such as \"20000-20999\" within 1..65535";
}

static int parse_ports_policy(json_t *v, const char *where, struct policy_workload *wl,
                              struct policy_report *r)
{
        static const char *const known[] = {"hostAddresses", "hostPortRanges", NULL};
        char at[300], b[80], ranges[POLICY_MAX_RANGES][16];
        const char *key;
        json_t *x;
        size_t n = 0, i;
        int rc = 0;

        if (!json_is_object(v))
                return pd_err(r, where, "must be an object (found %s)",
                              pd_shown(v, b, sizeof(b)));
        json_object_foreach(v, key, x)
        {
                pd_locate(at, sizeof(at), where, key, -1);
                if (strcmp(key, "hostAddresses") == 0) {
                        wl->nhost_addrs = 0;
                        rc |= parse_rows(x, at, POLICY_MAX_ADDRS, sizeof(wl->host_addrs[0]),
                                         &wl->host_addrs[0][0], &wl->nhost_addrs, host_addr_ok,
                                         r);
                } else if (strcmp(key, "hostPortRanges") == 0) {
                        rc |= parse_rows(x, at, POLICY_MAX_RANGES, sizeof(ranges[0]),
                                         &ranges[0][0], &n, port_range_ok, r);
                        for (i = 0; i < n; i++) {
                                if (sscanf(ranges[i], "%5d-%5d", &wl->port_lo[i],
                                           &wl->port_hi[i]) != 2)
                                        wl->port_hi[i] = wl->port_lo[i] = atoi(ranges[i]);
                        }
                        wl->nranges = n;
                } else {
                        rc = pd_unknown_key(r, at, key, known);
                }
        }
        return rc;
}

/* 1: not a workload key; else 0 or -1 as parsed. */
static int parse_workload_key(const char *key, json_t *x, const char *at,
                              struct peer_policy *pp, struct policy_report *r)
{
        static const char *const hc_keys[] = {"minIntervalMs", "maxTimeoutMs", "maxRetries",
                                              "maxStartPeriodMs", NULL};
        struct policy_workload *wl = &pp->wl;
        int64_t hc[4];
        size_t i;
        int rc;

        if (strcmp(key, "ulimits") == 0)
                return parse_numbers(x, at, policy_ulimit_names, wl->ulimit_max, 0, 1LL << 40,
                                     r);
        if (strcmp(key, "healthcheck") == 0) {
                hc[0] = wl->hc_min_interval_ms;
                hc[1] = wl->hc_max_timeout_ms;
                hc[2] = wl->hc_max_retries;
                hc[3] = wl->hc_max_start_ms;
                rc = parse_numbers(x, at, hc_keys, hc, 0, 86400000LL, r);
                if (hc[0] < 100)
                        rc = pd_err(r, at,
                                    "minIntervalMs: at least 100, so that a health "
                                    "check cannot become a busy loop");
                wl->hc_min_interval_ms = hc[0];
                wl->hc_max_timeout_ms = hc[1];
                wl->hc_max_retries = hc[2];
                wl->hc_max_start_ms = hc[3];
                return rc;
        }
        if (strcmp(key, "allowedCapabilities") == 0) {
                rc = parse_rows(x, at, POLICY_MAX_CAPS, sizeof(wl->allowed_caps[0]),
                                &wl->allowed_caps[0][0], &wl->nallowed_caps, allowed_cap_ok, r);
                for (i = 0; i < wl->nallowed_caps; i++)
                        if (strncmp(wl->allowed_caps[i], "CAP_", 4) == 0)
                                memmove(wl->allowed_caps[i], wl->allowed_caps[i] + 4,
                                        strlen(wl->allowed_caps[i]) - 3);
                return rc;
        }
        if (strcmp(key, "runtimes") == 0)
                return parse_rows(x, at, POLICY_MAX_RUNTIMES, sizeof(wl->runtimes[0]),
                                  &wl->runtimes[0][0], &wl->nruntimes, runtime_ok, r);
        if (strcmp(key, "allowSwap") == 0)
                return pd_bool(x, at, &wl->allow_swap, r);
        if (strcmp(key, "bindRoots") == 0) {
                rc = parse_rows(x, at, POLICY_MAX_ROOTS, sizeof(wl->bind_roots[0]),
                                &wl->bind_roots[0][0], &wl->nbind_roots, bind_root_ok, r);
                for (i = 0; i < wl->nbind_roots; i++) {
                        size_t n = strlen(wl->bind_roots[i]);
                        if (n > 3 && (strcmp(wl->bind_roots[i] + n - 3, ":rw") == 0 ||
                                      strcmp(wl->bind_roots[i] + n - 3, ":ro") == 0)) {
                                wl->bind_rw[i] = wl->bind_roots[i][n - 1] == 'w';
                                wl->bind_roots[i][n - 3] = '\0';
                        }
                }
                return rc;
        }
        if (strcmp(key, "ports") == 0)
                return parse_ports_policy(x, at, wl, r);
        return 1;
}

static int parse_container(json_t *v, const char *where, struct peer_in *in,
                           struct peer_policy *pp, struct policy_report *r)
{
        static const char *const known[] = {"defaults",
                                            "ceilings",
                                            "networks",
                                            "capabilities",
                                            "runtime",
                                            "forceReadOnlyRootfs",
                                            "refuseRoot",
                                            "ulimits",
                                            "healthcheck",
                                            "allowedCapabilities",
                                            "runtimes",
                                            "allowSwap",
                                            "bindRoots",
                                            "ports",
                                            "allowPutWithReadOnlyRoot",
                                            NULL};
        int wk;
        char at[300], b[80];
        const char *key;
        json_t *x;
        int rc = 0;

        if (!json_is_object(v))
                return pd_err(r, where, "must be an object (found %s)",
                              pd_shown(v, b, sizeof(b)));
        json_object_foreach(v, key, x)
        {
                pd_locate(at, sizeof(at), where, key, -1);
                if (strcmp(key, "defaults") == 0) {
                        rc |= parse_limits(x, at, &in->defaults, 1, in, pp, r);
                } else if (strcmp(key, "ceilings") == 0) {
                        rc |= parse_limits(x, at, &in->ceilings, 0, in, pp, r);
                } else if (strcmp(key, "networks") == 0) {
                        rc |= pd_strings(x, at, POLICY_MAX_NETWORKS, "network names",
                                         network_ok, pp->networks, &pp->nnetworks, r);
                } else if (strcmp(key, "capabilities") == 0) {
                        rc |= pd_strings(x, at, POLICY_MAX_CAPS, "capability names", cap_ok,
                                         pp->caps, &pp->ncaps, r);
                        for (size_t i = 0; i < pp->ncaps; i++)
                                if (strncmp(pp->caps[i], "CAP_", 4) == 0)
                                        memmove(pp->caps[i], pp->caps[i] + 4,
                                                strlen(pp->caps[i]) - 3);
                } else if (strcmp(key, "runtime") == 0) {
                        const char *s = json_string_value(x);
                        if (s == NULL || !name_valid(s)) {
                                rc = pd_err(
                                    r, at,
                                    "must be the name of an OCI runtime the engine knows, "
                                    "such as \"runc\" or \"runsc\" (found %s)",
                                    pd_shown(x, b, sizeof(b)));
                                continue;
                        }
                        snprintf(pp->runtime, sizeof(pp->runtime), "%s", s);
                } else if (strcmp(key, "forceReadOnlyRootfs") == 0) {
                        rc |= pd_bool(x, at, &pp->read_only_forced, r);
                } else if (strcmp(key, "allowPutWithReadOnlyRoot") == 0) {
                        rc |= pd_bool(x, at, &pp->put_with_read_only, r);
                } else if (strcmp(key, "refuseRoot") == 0) {
                        rc |= pd_bool(x, at, &pp->refuse_root, r);
                } else if ((wk = parse_workload_key(key, x, at, pp, r)) != 1) {
                        rc |= wk;
                } else {
                        rc = pd_unknown_key(r, at, key, known);
                }
        }
        return rc;
}

/* A quota: a positive whole number, or null for "no limit". */
static int get_quota(json_t *v, const char *where, int bytes, long long hi, int64_t *out,
                     struct policy_report *r)
{
        char b[80];
        long long n = -1;

        if (json_is_null(v)) {
                *out = 0;
                return 0;
        }
        if (json_is_integer(v))
                n = json_integer_value(v);
        else if (bytes && json_is_string(v) && pd_size(json_string_value(v), &n) < 0)
                n = -1;
        if (n < 1 || n > hi)
                return pd_err(
                    r, where, "must be %s from 1 to %lld, or null for no limit (found %s)",
                    bytes ? "a size (bytes, or a string such as \"4GiB\")" : "a whole number",
                    hi, pd_shown(v, b, sizeof(b)));
        *out = n;
        return 0;
}

static int parse_quotas(json_t *v, const char *where, struct peer_in *in,
                        struct policy_quotas *q, struct policy_report *r)
{
        static const char *const known[] = {
            "containers", "memoryBytes",    "nanoCpus", "streams",    "callsPerSecond",
            "burst",      "publishedPorts", "images",   "imageBytes", NULL};
        char at[300], b[80];
        const char *key;
        json_t *x;
        int rc = 0;

        if (!json_is_object(v))
                return pd_err(r, where, "must be an object (found %s)",
                              pd_shown(v, b, sizeof(b)));
        json_object_foreach(v, key, x)
        {
                pd_locate(at, sizeof(at), where, key, -1);
                if (strcmp(key, "containers") == 0) {
                        rc |= get_quota(x, at, 0, 100000, &q->containers, r);
                } else if (strcmp(key, "memoryBytes") == 0) {
                        rc |= get_quota(x, at, 1, 1LL << 50, &q->memory_bytes, r);
                } else if (strcmp(key, "nanoCpus") == 0) {
                        rc |= get_quota(x, at, 0, 1000000000000000LL, &q->nano_cpus, r);
                } else if (strcmp(key, "streams") == 0) {
                        rc |= get_quota(x, at, 0, 1000000, &q->streams, r);
                } else if (strcmp(key, "callsPerSecond") == 0) {
                        rc |= get_quota(x, at, 0, 1000000, &q->calls_per_second, r);
                        in->have_rate = 1;
                } else if (strcmp(key, "publishedPorts") == 0) {
                        rc |= get_quota(x, at, 0, 65535, &q->published_ports, r);
                } else if (strcmp(key, "images") == 0) {
                        rc |= get_quota(x, at, 0, 100000, &q->images, r);
                } else if (strcmp(key, "imageBytes") == 0) {
                        rc |= get_quota(x, at, 1, 1LL << 50, &q->image_bytes, r);
                } else if (strcmp(key, "burst") == 0) {
                        rc |= pd_int(x, at, 1, 10000000, &q->burst, r);
                        in->have_burst = 1;
                } else {
                        rc = pd_unknown_key(r, at, key, known);
                }
        }
        return rc;
}

static int parse_ids(json_t *v, const char *where, const char *what, uint32_t *out, size_t *n,
                     struct policy_report *r)
{
        char at[300], b[80];
        json_t *u;
        size_t i;
        int rc = 0;

        if (!json_is_array(v) || json_array_size(v) > POLICY_MAX_IDS)
                return pd_err(r, where, "must be a list of at most %d %ss (found %s)",
                              POLICY_MAX_IDS, what, pd_shown(v, b, sizeof(b)));
        json_array_foreach(v, i, u)
        {
                pd_locate(at, sizeof(at), where, NULL, (long)i);
                if (!json_is_integer(u) || json_integer_value(u) < 0 ||
                    json_integer_value(u) >= 4294967295LL) {
                        rc = pd_err(r, at,
                                    "must be a %s, a number from 0 to 4294967294 (found %s)",
                                    what, pd_shown(u, b, sizeof(b)));
                        continue;
                }
                out[(*n)++] = (uint32_t)json_integer_value(u);
        }
        return rc;
}

static int parse_tokens(json_t *v, const char *where, struct peer_policy *pp,
                        struct policy_report *r)
{
        char at[300], b[80];
        json_t *t;
        size_t i;
        int rc = 0;

        if (!json_is_array(v) || json_array_size(v) > POLICY_MAX_TOKENS)
                return pd_err(r, where, "must be a list of at most %d token hashes (found %s)",
                              POLICY_MAX_TOKENS, pd_shown(v, b, sizeof(b)));
        json_array_foreach(v, i, t)
        {
                pd_locate(at, sizeof(at), where, NULL, (long)i);
                if (!json_is_string(t) ||
                    parse_digest(json_string_value(t), pp->tokens[pp->ntokens]) < 0) {
                        rc = pd_err(r, at,
                                    "must be \"sha256:\" followed by the 64 hex digits of the "
                                    "token's SHA-256, never the token itself (make one with: "
                                    "dockgated --hash-token)");
                        continue;
                }
                pp->ntokens++;
        }
        return rc;
}

static int copy_patterns(const char *const *src, char **out, size_t *n)
{
        for (size_t i = 0; src[i] != NULL; i++) {
                if ((out[*n] = strdup(src[i])) == NULL)
                        return -1;
                (*n)++;
        }
        return 0;
}

/* Defaults and ceilings of each limit, from what the file said. */
static int settle_limits(struct peer_policy *pp, const struct peer_in *in, const char *where,
                         struct policy_report *r)
{
        char l1[32], l2[32];
        int rc = 0;

        for (int i = 0; i < NLIMITS; i++) {
                const struct limit_row *lr = &limit_rows[i];
                int64_t *d = limit_field(&pp->defaults, i), *c = limit_field(&pp->ceilings, i);
                int64_t builtin = i == 0 ? DEF_MEMORY : i == 1 ? DEF_NANOCPUS : DEF_PIDS;

                if (in->flat.set[i] && (in->defaults.set[i] || in->ceilings.set[i])) {
                        rc = pd_err(r, where,
                                    "%s is given both as %s (the default and the ceiling at "
                                    "once) and in container.defaults or container.ceilings: "
                                    "keep one",
                                    lr->key, lr->key);
                        continue;
                }
                if (in->flat.set[i]) {
                        *d = *c = in->flat.v[i];
                        continue;
                }
                *c = in->ceilings.set[i] ? in->ceilings.v[i] : 0;
                *d = in->defaults.set[i] ? in->defaults.v[i]
                                         : (*c > 0 && *c < builtin ? *c : builtin);
                if (!in->ceilings.set[i])
                        *c = *d;
                if (*d > *c) {
                        if (lr->bytes)
                                rc = pd_err(r, where,
                                            "container.defaults.%s (%s) is above "
                                            "container.ceilings.%s (%s): a default must be "
                                            "allowed",
                                            lr->key, pd_human_bytes(*d, l1, sizeof(l1)),
                                            lr->key, pd_human_bytes(*c, l2, sizeof(l2)));
                        else
                                rc = pd_err(r, where,
                                            "container.defaults.%s (%lld) is above "
                                            "container.ceilings.%s (%lld): a default must be "
                                            "allowed",
                                            lr->key, (long long)*d, lr->key, (long long)*c);
                }
        }
        return rc;
}

/* The default network is "none" or one the peer may join. */
static int settle_network(struct peer_policy *pp, const struct peer_in *in, const char *where,
                          struct policy_report *r)
{
        snprintf(pp->network, sizeof(pp->network), "%s", in->have_net ? in->net : "none");
        if (strcmp(pp->network, "none") == 0 || policy_network_allowed(pp, pp->network))
                return 0;
        /* The old shorthand "network": "bridge" also allowed it. */
        if (in->flat_net && pp->nnetworks < POLICY_MAX_NETWORKS) {
                if ((pp->networks[pp->nnetworks] = strdup(pp->network)) == NULL)
                        return pd_err(r, where, "out of memory");
                pp->nnetworks++;
                return 0;
        }
        return pd_err(r, where,
                      "container.defaults.network \"%s\" is not in container.networks, so "
                      "containers could not join it: add it there",
                      pp->network);
}

static void settle_quotas(struct peer_policy *pp, const struct peer_in *in, const char *where,
                          struct policy_report *r)
{
        char l1[32], l2[32];
        struct policy_quotas *q = &pp->quotas;

        if (in->have_burst && q->calls_per_second == 0)
                pd_warn(r, where, "quotas.burst has no effect without quotas.callsPerSecond");
        if (!in->have_burst)
                q->burst = q->calls_per_second * 2;
        else if (q->burst < q->calls_per_second)
                pd_warn(
                    r, where,
                    "quotas.burst (%lld) is below quotas.callsPerSecond (%lld): the peer can "
                    "never use its full rate in one second",
                    (long long)q->burst, (long long)q->calls_per_second);
        if (q->memory_bytes > 0 && q->memory_bytes < pp->defaults.memory_bytes)
                pd_warn(r, where,
                        "quotas.memoryBytes (%s) is below the container default (%s): a "
                        "container with default limits could never start",
                        pd_human_bytes(q->memory_bytes, l1, sizeof(l1)),
                        pd_human_bytes(pp->defaults.memory_bytes, l2, sizeof(l2)));
        if (q->nano_cpus > 0 && q->nano_cpus < pp->defaults.nano_cpus)
                pd_warn(r, where,
                        "quotas.nanoCpus (%lld) is below the container default (%lld): a "
                        "container with default limits could never start",
                        (long long)q->nano_cpus, (long long)pp->defaults.nano_cpus);
}

static void warn_peer(const struct peer_policy *pp, const char *where, struct policy_report *r)
{
        if (pp->nuids == 0 && pp->ngids == 0 && pp->ntokens == 0)
                pd_warn(r, where,
                        "lists no uids, gids or tokens: nobody can connect as this peer");
        for (size_t i = 0; i < pp->ncaps; i++)
                for (size_t j = 0; risky_caps[j] != NULL; j++)
                        if (strcmp(pp->caps[i], risky_caps[j]) == 0)
                                pd_warn(r, where,
                                        "container.capabilities gives back %s, which undoes "
                                        "much of the containers' confinement",
                                        pp->caps[i]);
        for (size_t i = 0; i < pp->noperations; i++) {
                size_t k;
                for (k = 0; k < OPID__COUNT; k++)
                        if (fnmatch(pp->operations[i], op_descs[k].verb, 0) == 0)
                                break;
                if (k == OPID__COUNT)
                        pd_warn(r, where,
                                "operations[%zu] \"%s\" matches no operation (a typo?)", i,
                                pp->operations[i]);
        }
}

/*
 * retention: {"exitedHours": N} (or exitedSeconds): the reaper removes the
 * peer's exited containers that long after they exited.  Off when absent.
 */
static int parse_retention(json_t *v, const char *where, struct peer_policy *pp,
                           struct policy_report *r)
{
        static const char *const known[] = {"exitedHours", "exitedSeconds", NULL};
        const char *key;
        char at[300];
        json_t *x;
        int64_t n;
        int hours;

        if (!json_is_object(v))
                return pd_err(r, where, "must be an object such as {\"exitedHours\": 24}");
        if (json_object_size(v) > 1)
                return pd_err(r, where, "give exitedHours or exitedSeconds, not both");
        json_object_foreach(v, key, x)
        {
                pd_locate(at, sizeof(at), where, key, -1);
                hours = strcmp(key, "exitedHours") == 0;
                if (!hours && strcmp(key, "exitedSeconds") != 0)
                        return pd_unknown_key(r, at, key, known);
                if (pd_int(x, at, 1, hours ? 24 * 366 : 24LL * 366 * 3600, &n, r) < 0)
                        return -1;
                pp->retention_exited_s = hours ? n * 3600 : n;
        }
        return 0;
}

#define DEF_BUILD_CONTEXT (512 * MIB)
#define DEF_BUILD_TIMEOUT_S (30 * 60)
#define DEF_BUILD_PIDS 1024
#define DEF_BUILD_MEMORY (2048 * MIB)

static void build_defaults(struct policy_build *b)
{
        b->max_context_bytes = DEF_BUILD_CONTEXT;
        b->timeout_s = DEF_BUILD_TIMEOUT_S;
        b->concurrent = 1;
        b->pids_max = DEF_BUILD_PIDS;
        b->memory_bytes = DEF_BUILD_MEMORY;
        snprintf(b->network, sizeof(b->network), "none");
}

/*
 * build: {"allow": true, "maxContextBytes": "512MiB", "timeoutSeconds": 1800,
 * "concurrent": 1, "allowAddUrl": false, "network": "none", "pidsMax": 1024,
 * "memoryBytes": "2GiB"}.  Every key is
 * optional but allow, which is false when absent: builds are off by default.
 */
static int parse_build(json_t *v, const char *where, struct policy_build *b,
                       struct policy_report *r)
{
        static const char *const known[] = {"allow",      "maxContextBytes", "timeoutSeconds",
                                            "concurrent", "allowAddUrl",     "network",
                                            "pidsMax",    "memoryBytes",     NULL};
        const char *key, *s, *why;
        char at[300];
        json_t *x;
        int rc = 0;

        if (!json_is_object(v))
                return pd_err(r, where, "must be an object such as {\"allow\": true}");
        json_object_foreach(v, key, x)
        {
                pd_locate(at, sizeof(at), where, key, -1);
                if (strcmp(key, "allow") == 0)
                        rc |= pd_bool(x, at, &b->allow, r);
                else if (strcmp(key, "allowAddUrl") == 0)
                        rc |= pd_bool(x, at, &b->allow_add_url, r);
                else if (strcmp(key, "maxContextBytes") == 0)
                        rc |= pd_bytes(x, at, 1024, 64LL << 30, &b->max_context_bytes, r);
                else if (strcmp(key, "timeoutSeconds") == 0)
                        rc |= pd_int(x, at, 1, 24 * 3600, &b->timeout_s, r);
                else if (strcmp(key, "concurrent") == 0)
                        rc |= pd_int(x, at, 1, 64, &b->concurrent, r);
                else if (strcmp(key, "pidsMax") == 0)
                        rc |= pd_int(x, at, 8, 1 << 22, &b->pids_max, r);
                else if (strcmp(key, "memoryBytes") == 0)
                        rc |= pd_bytes(x, at, 8 * MIB, 1LL << 40, &b->memory_bytes, r);
                else if (strcmp(key, "network") == 0) {
                        s = json_string_value(x);
                        why = s == NULL                ? "must be a network name"
                              : strcmp(s, "none") == 0 ? NULL
                                                       : network_ok(s);
                        if (why != NULL)
                                rc |= pd_err(r, at, "%s", why);
                        else
                                snprintf(b->network, sizeof(b->network), "%s", s);
                } else
                        rc |= pd_unknown_key(r, at, key, known);
        }
        return rc < 0 ? -1 : 0;
}

static int parse_peer_key(struct peer_policy *pp, struct peer_in *in, const char *key,
                          json_t *v, const char *where, struct policy_report *r)
{
        static const char *const known[] = {
            "uids",      "gids",      "tokens",    "admin",       "operations",
            "images",    "container", "quotas",    "memoryBytes", "nanoCpus",
            "pidsLimit", "network",   "retention", "build",       NULL,
        };
        char at[300];
        int i;

        pd_locate(at, sizeof(at), where, key, -1);
        if (strcmp(key, "uids") == 0)
                return parse_ids(v, at, "uid", pp->uids, &pp->nuids, r);
        if (strcmp(key, "gids") == 0)
                return parse_ids(v, at, "gid", pp->gids, &pp->ngids, r);
        if (strcmp(key, "tokens") == 0)
                return parse_tokens(v, at, pp, r);
        if (strcmp(key, "admin") == 0)
                return pd_bool(v, at, &pp->admin, r);
        if (strcmp(key, "operations") == 0) {
                in->have_ops = 1;
                return pd_strings(v, at, POLICY_MAX_PATTERNS, "operation patterns", pattern_ok,
                                  pp->operations, &pp->noperations, r);
        }
        if (strcmp(key, "images") == 0) {
                in->have_images = 1;
                return pd_strings(v, at, POLICY_MAX_PATTERNS, "image patterns", pattern_ok,
                                  pp->images, &pp->nimages, r);
        }
        if (strcmp(key, "container") == 0)
                return parse_container(v, at, in, pp, r);
        if (strcmp(key, "quotas") == 0)
                return parse_quotas(v, at, in, &pp->quotas, r);
        if (strcmp(key, "retention") == 0)
                return parse_retention(v, at, pp, r);
        if (strcmp(key, "build") == 0)
                return parse_build(v, at, &pp->build, r);
        if (strcmp(key, "network") == 0) {
                /* Shorthand: the default network, which the peer may then join. */
                const char *s = json_string_value(v);
                const char *why = s == NULL                ? "must be a network name"
                                  : strcmp(s, "none") == 0 ? NULL
                                                           : network_ok(s);
                if (why != NULL)
                        return pd_err(r, at, "%s", why);
                if (in->have_net)
                        return pd_err(r, at,
                                      "given here and as container.defaults.network: keep one");
                snprintf(in->net, sizeof(in->net), "%s", s);
                in->have_net = in->flat_net = 1;
                return 0;
        }
        for (i = 0; i < NLIMITS; i++)
                if (strcmp(key, limit_rows[i].key) == 0) {
                        const struct limit_row *lr = &limit_rows[i];
                        int rc = lr->bytes ? pd_bytes(v, at, lr->lo, lr->hi, &in->flat.v[i], r)
                                           : pd_int(v, at, lr->lo, lr->hi, &in->flat.v[i], r);
                        in->flat.set[i] = rc == 0;
                        return rc;
                }
        return pd_unknown_key(r, at, key, known);
}

static int parse_peer(struct peer_policy *pp, const char *name, json_t *obj,
                      struct policy_report *r)
{
        char where[128], b[80];
        struct peer_in in;
        const char *key;
        json_t *v;
        int rc = 0;

        memset(&in, 0, sizeof(in));
        snprintf(where, sizeof(where), "peers.%.64s", name);
        snprintf(pp->name, sizeof(pp->name), "%s", name);
        if (!name_valid(name))
                rc = pd_err(r, where,
                            "a peer name is 1 to %d characters of a-z, 0-9, '-' and '_', "
                            "starting with a letter or digit",
                            POLICY_NAME_MAX);
        if (!json_is_object(obj))
                return pd_err(r, where, "must be an object of the peer's settings (found %s)",
                              pd_shown(obj, b, sizeof(b)));
        workload_defaults(&pp->wl);
        build_defaults(&pp->build);
        pp->quotas.containers = DEF_Q_CONTAINERS;
        pp->quotas.streams = DEF_Q_STREAMS;
        pp->quotas.calls_per_second = DEF_Q_RATE;
        json_object_foreach(obj, key, v)
        {
                if (parse_peer_key(pp, &in, key, v, where, r) < 0)
                        rc = -1;
        }
        if (!in.have_ops &&
            copy_patterns(pp->admin ? (const char *const[]){"*", NULL} : default_ops,
                          pp->operations, &pp->noperations) < 0)
                return pd_err(r, where, "out of memory");
        if (!in.have_images &&
            copy_patterns((const char *const[]){"*", NULL}, pp->images, &pp->nimages) < 0)
                return pd_err(r, where, "out of memory");
        rc |= settle_limits(pp, &in, where, r);
        rc |= settle_network(pp, &in, where, r);
        settle_quotas(pp, &in, where, r);
        warn_peer(pp, where, r);
        return rc;
}

/* SECURITY: one uid, gid or token names one peer; an ambiguous mapping is refused. */
static int check_unique(const struct policy *p, struct policy_report *r)
{
        char where[128];
        int rc = 0;

        for (size_t a = 0; a < p->npeers; a++) {
                const struct peer_policy *x = &p->peers[a];
                snprintf(where, sizeof(where), "peers.%s", x->name);
                for (size_t b = 0; b <= a; b++) {
                        const struct peer_policy *y = &p->peers[b];
                        for (size_t i = 0; i < x->nuids; i++)
                                for (size_t j = 0; j < (b == a ? i : y->nuids); j++)
                                        if (x->uids[i] == y->uids[j])
                                                rc = pd_err(r, where,
                                                            "uid %u is also given to peer %s; "
                                                            "a uid must name one peer",
                                                            (unsigned)x->uids[i], y->name);
                        for (size_t i = 0; i < x->ngids; i++)
                                for (size_t j = 0; j < (b == a ? i : y->ngids); j++)
                                        if (x->gids[i] == y->gids[j])
                                                rc = pd_err(r, where,
                                                            "gid %u is also given to peer %s; "
                                                            "a gid must name one peer",
                                                            (unsigned)x->gids[i], y->name);
                        for (size_t i = 0; i < x->ntokens; i++)
                                for (size_t j = 0; j < (b == a ? i : y->ntokens); j++)
                                        if (memcmp(x->tokens[i], y->tokens[j], 32) == 0)
                                                rc = pd_err(r, where,
                                                            "tokens[%zu] is also given to peer "
                                                            "%s; a token must name one peer",
                                                            i, y->name);
                }
        }
        return rc;
}

struct policy *policy_parse(json_t *root, struct policy_report *r)
{
        static const char *const known[] = {"peers", "ownerLabel", NULL};
        struct policy *p;
        json_t *peers = NULL, *v;
        const char *key;
        char b[80];

        if (!json_is_object(root)) {
                pd_err(r, "", "the policy must be a JSON object with a \"peers\" object");
                return NULL;
        }
        if ((p = calloc(1, sizeof(*p))) == NULL) {
                pd_err(r, "", "out of memory");
                return NULL;
        }
        p->refs = 1;
        snprintf(p->owner_label, sizeof(p->owner_label), "dockgate.owner");
        json_object_foreach(root, key, v)
        {
                if (strcmp(key, "peers") == 0) {
                        peers = v;
                } else if (strcmp(key, "ownerLabel") == 0) {
                        if (!json_is_string(v) || !label_valid(json_string_value(v))) {
                                pd_err(r, "ownerLabel",
                                       "must be a label key of a-z, 0-9, '.', '-' and '_', "
                                       "shorter than 100 characters (found %s)",
                                       pd_shown(v, b, sizeof(b)));
                                continue;
                        }
                        snprintf(p->owner_label, sizeof(p->owner_label), "%s",
                                 json_string_value(v));
                } else {
                        pd_unknown_key(r, key, key, known);
                }
        }
        if (!json_is_object(peers) || json_object_size(peers) == 0) {
                pd_err(r, "peers",
                       "must be an object naming at least one peer, such as "
                       "{\"alpha\": {\"uids\": [1001]}}");
        } else if ((p->peers = calloc(json_object_size(peers), sizeof(*p->peers))) == NULL) {
                pd_err(r, "", "out of memory");
        } else {
                json_object_foreach(peers, key, v)
                {
                        parse_peer(&p->peers[p->npeers++], key, v, r);
                }
                check_unique(p, r);
        }
        if (r->errors > 0) {
                policy_free(p);
                return NULL;
        }
        return p;
}

struct policy *policy_check_file(const char *path, struct policy_report *r)
{
        json_error_t jerr;
        struct policy *p;
        json_t *root;

        memset(r, 0, sizeof(*r));
        root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (root == NULL) {
                if (jerr.line > 0)
                        pd_err(r, "", "line %d, column %d: %s", jerr.line, jerr.column,
                               jerr.text);
                else
                        pd_err(r, "", "%s", jerr.text);
                return NULL;
        }
        p = policy_parse(root, r);
        json_decref(root);
        return p;
}

struct policy *policy_load(const char *path, char *err, size_t errlen)
{
        struct policy_report *r = calloc(1, sizeof(*r));
        struct policy *p;
        char *nl;

        if (r == NULL) {
                snprintf(err, errlen, "%s: out of memory", path);
                return NULL;
        }
        if ((p = policy_check_file(path, r)) == NULL) {
                /* The first error line; warnings come before it only if reported so. */
                char *line = r->text;
                while (strncmp(line, "warning: ", 9) == 0 && (nl = strchr(line, '\n')) != NULL)
                        line = nl + 1;
                if ((nl = strchr(line, '\n')) != NULL)
                        *nl = '\0';
                if (r->errors > 1)
                        snprintf(err, errlen,
                                 "%s: %s (and %d more problem%s: run dockgated --check-policy "
                                 "%s)",
                                 path, line, r->errors - 1, r->errors > 2 ? "s" : "", path);
                else
                        snprintf(err, errlen, "%s: %s", path, line);
        }
        free(r);
        return p;
}
