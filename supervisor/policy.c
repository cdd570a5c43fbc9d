/*
 * policy.c - loading, checking and querying the policy file.
 *
 * Every problem is reported with its location in the file (a path such as
 * peers.alpha.quotas.streams), in words an operator understands, and the
 * check goes on after a problem so that one run lists them all.  Unknown
 * keys are errors, so that a typo never silently loosens or tightens a
 * rule; the nearest known key is suggested.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "policy.h"
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
    {"memoryBytes", 4 * MIB, 1LL << 40, 1},
    {"nanoCpus", 1000000LL, 1000000000000LL, 0},
    {"pidsLimit", 1, 1000000, 0},
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

/* --- reporting --- */

static void report_add(struct policy_report *r, const char *kind, const char *where,
                       const char *fmt, va_list ap)
{
        char line[1024];
        int n;

        n = snprintf(line, sizeof(line), "%s%s%s", kind, where, where[0] ? ": " : "");
        if (n < 0 || (size_t)n >= sizeof(line))
                n = 0;
        vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
        if (r->len + strlen(line) + 2 < sizeof(r->text)) {
                memcpy(r->text + r->len, line, strlen(line));
                r->len += strlen(line);
                r->text[r->len++] = '\n';
                r->text[r->len] = '\0';
        }
}

__attribute__((format(printf, 3, 4))) static int perr(struct policy_report *r,
                                                      const char *where, const char *fmt, ...)
{
        va_list ap;

        r->errors++;
        va_start(ap, fmt);
        report_add(r, "", where, fmt, ap);
        va_end(ap);
        return -1;
}

__attribute__((format(printf, 3, 4))) static void pwarn(struct policy_report *r,
                                                        const char *where, const char *fmt, ...)
{
        va_list ap;

        r->warnings++;
        va_start(ap, fmt);
        report_add(r, "warning: ", where, fmt, ap);
        va_end(ap);
}

/* What the file holds, briefly, for "(found ...)". */
static const char *shown(const json_t *v, char *buf, size_t len)
{
        if (v == NULL) {
                snprintf(buf, len, "nothing");
                return buf;
        }
        switch (json_typeof(v)) {
        case JSON_STRING:
                snprintf(buf, len, "the string \"%.40s%s\"", json_string_value(v),
                         json_string_length(v) > 40 ? "..." : "");
                break;
        case JSON_INTEGER:
                snprintf(buf, len, "%lld", (long long)json_integer_value(v));
                break;
        case JSON_REAL:
                snprintf(buf, len, "%g", json_real_value(v));
                break;
        case JSON_TRUE:
        case JSON_FALSE:
                snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
                break;
        case JSON_NULL:
                snprintf(buf, len, "null");
                break;
        case JSON_OBJECT:
                snprintf(buf, len, "an object");
                break;
        case JSON_ARRAY:
                snprintf(buf, len, "a list");
                break;
        }
        return buf;
}

/* "512 MiB" when v is a whole number of KiB, MiB, GiB or TiB, else bytes. */
static const char *human_bytes(long long v, char *buf, size_t len)
{
        static const char *const units[] = {"TiB", "GiB", "MiB", "KiB"};
        int i;

        for (i = 0; i < 4; i++) {
                long long u = 1LL << (10 * (4 - i));
                if (v >= u && v % u == 0) {
                        snprintf(buf, len, "%lld %s", v / u, units[i]);
                        return buf;
                }
        }
        snprintf(buf, len, "%lld bytes", v);
        return buf;
}

static size_t edit_distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b), prev[64], cur[64], i, j;

        if (la >= 63 || lb >= 63)
                return 99;
        for (j = 0; j <= lb; j++)
                prev[j] = j;
        for (i = 1; i <= la; i++) {
                cur[0] = i;
                for (j = 1; j <= lb; j++) {
                        size_t sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) !=
                                                    tolower((unsigned char)b[j - 1]));
                        size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
                        cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
                }
                memcpy(prev, cur, sizeof(prev));
        }
        return prev[lb];
}

/* An unknown key: name the known ones, and the one probably meant. */
static int unknown_key(struct policy_report *r, const char *where, const char *key,
                       const char *const *known)
{
        char list[512] = "", hint[128] = "";
        size_t best = 3, d, i;

        for (i = 0; known[i] != NULL; i++) {
                if (strlen(list) + strlen(known[i]) + 3 < sizeof(list)) {
                        strcat(list, i ? ", " : "");
                        strcat(list, known[i]);
                }
                if ((d = edit_distance(key, known[i])) < best) {
                        best = d;
                        snprintf(hint, sizeof(hint), " (did you mean \"%s\"?)", known[i]);
                }
        }
        return perr(r, where, "unknown setting \"%.64s\"%s; known settings: %s", key, hint,
                    list);
}

/* where + ".key" or "[i]" into at; a location too long to show is cut, never overrun. */
static void locate(char *at, size_t len, const char *where, const char *key, long idx)
{
        /* key is NULL only with idx >= 0 (an array element): never printed then. */
        /* cppcheck-suppress nullPointer */
        int n = idx < 0 ? snprintf(at, len, "%s.%.64s", where, key)
                        : snprintf(at, len, "%s[%ld]", where, idx);

        if (n < 0 || (size_t)n >= len)
                at[len - 1] = '\0';
}

/* --- values --- */

static int get_bool(json_t *v, const char *where, int *out, struct policy_report *r)
{
        char b[80];

        if (!json_is_boolean(v))
                return perr(r, where, "must be true or false (found %s)",
                            shown(v, b, sizeof(b)));
        *out = json_is_true(v);
        return 0;
}

static int get_int(json_t *v, const char *where, long long lo, long long hi, int64_t *out,
                   struct policy_report *r)
{
        char b[80];

        if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
                return perr(r, where, "must be a whole number from %lld to %lld (found %s)", lo,
                            hi, shown(v, b, sizeof(b)));
        *out = json_integer_value(v);
        return 0;
}

/* "512MiB", "1 g", "64k": binary units, as docker's --memory. */
static int parse_size(const char *s, long long *out)
{
        static const struct {
                const char *sfx;
                int shift;
        } units[] = {{"", 0},     {"b", 0},   {"k", 10},   {"kb", 10},  {"kib", 10},
                     {"m", 20},   {"mb", 20}, {"mib", 20}, {"g", 30},   {"gb", 30},
                     {"gib", 30}, {"t", 40},  {"tb", 40},  {"tib", 40}, {NULL, 0}};
        char *end, sfx[8];
        unsigned long long n;
        size_t i;

        if (!isdigit((unsigned char)s[0]))
                return -1;
        n = strtoull(s, &end, 10);
        while (*end == ' ')
                end++;
        if (strlen(end) >= sizeof(sfx))
                return -1;
        for (i = 0; end[i] != '\0'; i++)
                sfx[i] = (char)tolower((unsigned char)end[i]);
        sfx[i] = '\0';
        for (i = 0; units[i].sfx != NULL; i++)
                if (strcmp(sfx, units[i].sfx) == 0) {
                        if (n > (1ULL << 50) >> units[i].shift)
                                return -1;
                        *out = (long long)(n << units[i].shift);
                        return 0;
                }
        return -1;
}

static int get_bytes(json_t *v, const char *where, long long lo, long long hi, int64_t *out,
                     struct policy_report *r)
{
        char b[80], l1[32], l2[32];
        long long n;

        if (json_is_integer(v))
                n = json_integer_value(v);
        else if (!json_is_string(v) || parse_size(json_string_value(v), &n) < 0)
                n = -1;
        if (n < lo || n > hi)
                return perr(r, where,
                            "must be a size from %s to %s, as a number of bytes or a string "
                            "such as \"512MiB\" (found %s)",
                            human_bytes(lo, l1, sizeof(l1)), human_bytes(hi, l2, sizeof(l2)),
                            shown(v, b, sizeof(b)));
        *out = n;
        return 0;
}

/*
 * A list of strings, each checked by ok() (which returns NULL or why not),
 * strdup'ed into out[].  Bad items are reported one by one.
 */
static int get_strings(json_t *v, const char *where, size_t max, const char *what,
                       const char *(*ok)(const char *), char **out, size_t *n,
                       struct policy_report *r)
{
        char b[80], at[300];
        const char *why;
        json_t *item;
        size_t i;
        int rc = 0;

        if (!json_is_array(v) || json_array_size(v) > max)
                return perr(r, where, "must be a list of at most %zu %s (found %s)", max, what,
                            shown(v, b, sizeof(b)));
        json_array_foreach(v, i, item)
        {
                locate(at, sizeof(at), where, NULL, (long)i);
                if (!json_is_string(item) ||
                    strlen(json_string_value(item)) != json_string_length(item)) {
                        rc = perr(r, at, "must be a string (found %s)",
                                  shown(item, b, sizeof(b)));
                        continue;
                }
                if ((why = ok(json_string_value(item))) != NULL) {
                        rc = perr(r, at, "%s (found \"%.80s\")", why, json_string_value(item));
                        continue;
                }
                if ((out[*n] = strdup(json_string_value(item))) == NULL)
                        return perr(r, at, "out of memory");
                (*n)++;
        }
        return rc;
}

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
                return perr(r, where, "must be an object (found %s)", shown(v, b, sizeof(b)));
        json_object_foreach(v, key, x)
        {
                locate(at, sizeof(at), where, key, -1);
                for (i = 0; i < NLIMITS; i++)
                        if (strcmp(key, limit_rows[i].key) == 0)
                                break;
                if (i < NLIMITS) {
                        const struct limit_row *lr = &limit_rows[i];
                        if ((lr->bytes ? get_bytes(x, at, lr->lo, lr->hi, &out->v[i], r)
                                       : get_int(x, at, lr->lo, lr->hi, &out->v[i], r)) == 0)
                                out->set[i] = 1;
                        else
                                rc = -1;
                } else if (with_extra && strcmp(key, "network") == 0) {
                        const char *why = json_is_string(x) ? network_ok(json_string_value(x))
                                                            : "must be a network name";
                        if (json_is_string(x) && strcmp(json_string_value(x), "none") == 0)
                                why = NULL;
                        if (why != NULL) {
                                rc = perr(r, at, "%s (found %s)", why, shown(x, b, sizeof(b)));
                                continue;
                        }
                        snprintf(in->net, sizeof(in->net), "%s", json_string_value(x));
                        in->have_net = 1;
                } else if (with_extra && strcmp(key, "readOnlyRootfs") == 0) {
                        rc |= get_bool(x, at, &pp->read_only_default, r);
                } else {
                        rc = unknown_key(r, at, key, with_extra ? known_d : known_c);
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
                return perr(r, where, "must be an object (found %s)", shown(v, b, sizeof(b)));
        json_object_foreach(v, key, x)
        {
                size_t i;
                locate(at, sizeof(at), where, key, -1);
                for (i = 0; known[i] != NULL && strcmp(known[i], key) != 0; i++)
                        ;
                if (known[i] == NULL)
                        rc = unknown_key(r, at, key, known);
                else
                        rc |= get_int(x, at, lo, hi, &out[i], r);
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
                return perr(r, where, "must be a list of at most %zu strings (found %s)", max,
                            shown(v, b, sizeof(b)));
        json_array_foreach(v, i, item)
        {
                locate(at, sizeof(at), where, NULL, (long)i);
                s = json_string_value(item);
                if (s == NULL || strlen(s) >= width) {
                        rc = perr(r, at, "must be a string of at most %zu bytes", width - 1);
                        continue;
                }
                if (ok != NULL && (why = ok(s)) != NULL) {
                        rc = perr(r, at, "%s (found \"%.80s\")", why, s);
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
                return perr(r, where, "must be an object (found %s)", shown(v, b, sizeof(b)));
        json_object_foreach(v, key, x)
        {
                locate(at, sizeof(at), where, key, -1);
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
                        rc = unknown_key(r, at, key, known);
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
                        rc = perr(r, at,
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
                return get_bool(x, at, &wl->allow_swap, r);
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
                return perr(r, where, "must be an object (found %s)", shown(v, b, sizeof(b)));
        json_object_foreach(v, key, x)
        {
                locate(at, sizeof(at), where, key, -1);
                if (strcmp(key, "defaults") == 0) {
                        rc |= parse_limits(x, at, &in->defaults, 1, in, pp, r);
                } else if (strcmp(key, "ceilings") == 0) {
                        rc |= parse_limits(x, at, &in->ceilings, 0, in, pp, r);
                } else if (strcmp(key, "networks") == 0) {
                        rc |= get_strings(x, at, POLICY_MAX_NETWORKS, "network names",
                                          network_ok, pp->networks, &pp->nnetworks, r);
                } else if (strcmp(key, "capabilities") == 0) {
                        rc |= get_strings(x, at, POLICY_MAX_CAPS, "capability names", cap_ok,
                                          pp->caps, &pp->ncaps, r);
                        for (size_t i = 0; i < pp->ncaps; i++)
                                if (strncmp(pp->caps[i], "CAP_", 4) == 0)
                                        memmove(pp->caps[i], pp->caps[i] + 4,
                                                strlen(pp->caps[i]) - 3);
                } else if (strcmp(key, "runtime") == 0) {
                        const char *s = json_string_value(x);
                        if (s == NULL || !name_valid(s)) {
                                rc =
                                    perr(r, at,
                                         "must be the name of an OCI runtime the engine knows, "
                                         "such as \"runc\" or \"runsc\" (found %s)",
                                         shown(x, b, sizeof(b)));
                                continue;
                        }
                        snprintf(pp->runtime, sizeof(pp->runtime), "%s", s);
                } else if (strcmp(key, "forceReadOnlyRootfs") == 0) {
                        rc |= get_bool(x, at, &pp->read_only_forced, r);
                } else if (strcmp(key, "allowPutWithReadOnlyRoot") == 0) {
                        rc |= get_bool(x, at, &pp->put_with_read_only, r);
                } else if (strcmp(key, "refuseRoot") == 0) {
                        rc |= get_bool(x, at, &pp->refuse_root, r);
                } else if ((wk = parse_workload_key(key, x, at, pp, r)) != 1) {
                        rc |= wk;
                } else {
                        rc = unknown_key(r, at, key, known);
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
        else if (bytes && json_is_string(v) && parse_size(json_string_value(v), &n) < 0)
                n = -1;
        if (n < 1 || n > hi)
                return perr(
                    r, where, "must be %s from 1 to %lld, or null for no limit (found %s)",
                    bytes ? "a size (bytes, or a string such as \"4GiB\")" : "a whole number",
                    hi, shown(v, b, sizeof(b)));
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
                return perr(r, where, "must be an object (found %s)", shown(v, b, sizeof(b)));
        json_object_foreach(v, key, x)
        {
                locate(at, sizeof(at), where, key, -1);
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
                        rc |= get_int(x, at, 1, 10000000, &q->burst, r);
                        in->have_burst = 1;
                } else {
                        rc = unknown_key(r, at, key, known);
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
                return perr(r, where, "must be a list of at most %d %ss (found %s)",
                            POLICY_MAX_IDS, what, shown(v, b, sizeof(b)));
        json_array_foreach(v, i, u)
        {
                locate(at, sizeof(at), where, NULL, (long)i);
                if (!json_is_integer(u) || json_integer_value(u) < 0 ||
                    json_integer_value(u) >= 4294967295LL) {
                        rc = perr(r, at,
                                  "must be a %s, a number from 0 to 4294967294 (found %s)",
                                  what, shown(u, b, sizeof(b)));
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
                return perr(r, where, "must be a list of at most %d token hashes (found %s)",
                            POLICY_MAX_TOKENS, shown(v, b, sizeof(b)));
        json_array_foreach(v, i, t)
        {
                locate(at, sizeof(at), where, NULL, (long)i);
                if (!json_is_string(t) ||
                    parse_digest(json_string_value(t), pp->tokens[pp->ntokens]) < 0) {
                        rc = perr(r, at,
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
                        rc = perr(r, where,
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
                                rc = perr(r, where,
                                          "container.defaults.%s (%s) is above "
                                          "container.ceilings.%s (%s): a default must be "
                                          "allowed",
                                          lr->key, human_bytes(*d, l1, sizeof(l1)), lr->key,
                                          human_bytes(*c, l2, sizeof(l2)));
                        else
                                rc = perr(r, where,
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
                        return perr(r, where, "out of memory");
                pp->nnetworks++;
                return 0;
        }
        return perr(r, where,
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
                pwarn(r, where, "quotas.burst has no effect without quotas.callsPerSecond");
        if (!in->have_burst)
                q->burst = q->calls_per_second * 2;
        else if (q->burst < q->calls_per_second)
                pwarn(r, where,
                      "quotas.burst (%lld) is below quotas.callsPerSecond (%lld): the peer can "
                      "never use its full rate in one second",
                      (long long)q->burst, (long long)q->calls_per_second);
        if (q->memory_bytes > 0 && q->memory_bytes < pp->defaults.memory_bytes)
                pwarn(r, where,
                      "quotas.memoryBytes (%s) is below the container default (%s): a "
                      "container with default limits could never start",
                      human_bytes(q->memory_bytes, l1, sizeof(l1)),
                      human_bytes(pp->defaults.memory_bytes, l2, sizeof(l2)));
        if (q->nano_cpus > 0 && q->nano_cpus < pp->defaults.nano_cpus)
                pwarn(r, where,
                      "quotas.nanoCpus (%lld) is below the container default (%lld): a "
                      "container with default limits could never start",
                      (long long)q->nano_cpus, (long long)pp->defaults.nano_cpus);
}

static void warn_peer(const struct peer_policy *pp, const char *where, struct policy_report *r)
{
        if (pp->nuids == 0 && pp->ngids == 0 && pp->ntokens == 0)
                pwarn(r, where,
                      "lists no uids, gids or tokens: nobody can connect as this peer");
        for (size_t i = 0; i < pp->ncaps; i++)
                for (size_t j = 0; risky_caps[j] != NULL; j++)
                        if (strcmp(pp->caps[i], risky_caps[j]) == 0)
                                pwarn(r, where,
                                      "container.capabilities gives back %s, which undoes "
                                      "much of the containers' confinement",
                                      pp->caps[i]);
        for (size_t i = 0; i < pp->noperations; i++) {
                size_t k;
                for (k = 0; k < OPID__COUNT; k++)
                        if (fnmatch(pp->operations[i], op_descs[k].verb, 0) == 0)
                                break;
                if (k == OPID__COUNT)
                        pwarn(r, where, "operations[%zu] \"%s\" matches no operation (a typo?)",
                              i, pp->operations[i]);
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
                return perr(r, where, "must be an object such as {\"exitedHours\": 24}");
        if (json_object_size(v) > 1)
                return perr(r, where, "give exitedHours or exitedSeconds, not both");
        json_object_foreach(v, key, x)
        {
                locate(at, sizeof(at), where, key, -1);
                hours = strcmp(key, "exitedHours") == 0;
                if (!hours && strcmp(key, "exitedSeconds") != 0)
                        return unknown_key(r, at, key, known);
                if (get_int(x, at, 1, hours ? 24 * 366 : 24LL * 366 * 3600, &n, r) < 0)
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
                return perr(r, where, "must be an object such as {\"allow\": true}");
        json_object_foreach(v, key, x)
        {
                locate(at, sizeof(at), where, key, -1);
                if (strcmp(key, "allow") == 0)
                        rc |= get_bool(x, at, &b->allow, r);
                else if (strcmp(key, "allowAddUrl") == 0)
                        rc |= get_bool(x, at, &b->allow_add_url, r);
                else if (strcmp(key, "maxContextBytes") == 0)
                        rc |= get_bytes(x, at, 1024, 64LL << 30, &b->max_context_bytes, r);
                else if (strcmp(key, "timeoutSeconds") == 0)
                        rc |= get_int(x, at, 1, 24 * 3600, &b->timeout_s, r);
                else if (strcmp(key, "concurrent") == 0)
                        rc |= get_int(x, at, 1, 64, &b->concurrent, r);
                else if (strcmp(key, "pidsMax") == 0)
                        rc |= get_int(x, at, 8, 1 << 22, &b->pids_max, r);
                else if (strcmp(key, "memoryBytes") == 0)
                        rc |= get_bytes(x, at, 8 * MIB, 1LL << 40, &b->memory_bytes, r);
                else if (strcmp(key, "network") == 0) {
                        s = json_string_value(x);
                        why = s == NULL                ? "must be a network name"
                              : strcmp(s, "none") == 0 ? NULL
                                                       : network_ok(s);
                        if (why != NULL)
                                rc |= perr(r, at, "%s", why);
                        else
                                snprintf(b->network, sizeof(b->network), "%s", s);
                } else
                        rc |= unknown_key(r, at, key, known);
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

        locate(at, sizeof(at), where, key, -1);
        if (strcmp(key, "uids") == 0)
                return parse_ids(v, at, "uid", pp->uids, &pp->nuids, r);
        if (strcmp(key, "gids") == 0)
                return parse_ids(v, at, "gid", pp->gids, &pp->ngids, r);
        if (strcmp(key, "tokens") == 0)
                return parse_tokens(v, at, pp, r);
        if (strcmp(key, "admin") == 0)
                return get_bool(v, at, &pp->admin, r);
        if (strcmp(key, "operations") == 0) {
                in->have_ops = 1;
                return get_strings(v, at, POLICY_MAX_PATTERNS, "operation patterns", pattern_ok,
                                   pp->operations, &pp->noperations, r);
        }
        if (strcmp(key, "images") == 0) {
                in->have_images = 1;
                return get_strings(v, at, POLICY_MAX_PATTERNS, "image patterns", pattern_ok,
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
                        return perr(r, at, "%s", why);
                if (in->have_net)
                        return perr(r, at,
                                    "given here and as container.defaults.network: keep one");
                snprintf(in->net, sizeof(in->net), "%s", s);
                in->have_net = in->flat_net = 1;
                return 0;
        }
        for (i = 0; i < NLIMITS; i++)
                if (strcmp(key, limit_rows[i].key) == 0) {
                        const struct limit_row *lr = &limit_rows[i];
                        int rc = lr->bytes ? get_bytes(v, at, lr->lo, lr->hi, &in->flat.v[i], r)
                                           : get_int(v, at, lr->lo, lr->hi, &in->flat.v[i], r);
                        in->flat.set[i] = rc == 0;
                        return rc;
                }
        return unknown_key(r, at, key, known);
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
                rc = perr(r, where,
                          "a peer name is 1 to %d characters of a-z, 0-9, '-' and '_', "
                          "starting with a letter or digit",
                          POLICY_NAME_MAX);
        if (!json_is_object(obj))
                return perr(r, where, "must be an object of the peer's settings (found %s)",
                            shown(obj, b, sizeof(b)));
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
                return perr(r, where, "out of memory");
        if (!in.have_images &&
            copy_patterns((const char *const[]){"*", NULL}, pp->images, &pp->nimages) < 0)
                return perr(r, where, "out of memory");
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
                                                rc = perr(r, where,
                                                          "uid %u is also given to peer %s; "
                                                          "a uid must name one peer",
                                                          (unsigned)x->uids[i], y->name);
                        for (size_t i = 0; i < x->ngids; i++)
                                for (size_t j = 0; j < (b == a ? i : y->ngids); j++)
                                        if (x->gids[i] == y->gids[j])
                                                rc = perr(r, where,
                                                          "gid %u is also given to peer %s; "
                                                          "a gid must name one peer",
                                                          (unsigned)x->gids[i], y->name);
                        for (size_t i = 0; i < x->ntokens; i++)
                                for (size_t j = 0; j < (b == a ? i : y->ntokens); j++)
                                        if (memcmp(x->tokens[i], y->tokens[j], 32) == 0)
                                                rc = perr(r, where,
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
                perr(r, "", "the policy must be a JSON object with a \"peers\" object");
                return NULL;
        }
        if ((p = calloc(1, sizeof(*p))) == NULL) {
                perr(r, "", "out of memory");
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
                                perr(r, "ownerLabel",
                                     "must be a label key of a-z, 0-9, '.', '-' and '_', "
                                     "shorter than 100 characters (found %s)",
                                     shown(v, b, sizeof(b)));
                                continue;
                        }
                        snprintf(p->owner_label, sizeof(p->owner_label), "%s",
                                 json_string_value(v));
                } else {
                        unknown_key(r, key, key, known);
                }
        }
        if (!json_is_object(peers) || json_object_size(peers) == 0) {
                perr(r, "peers",
                     "must be an object naming at least one peer, such as "
                     "{\"alpha\": {\"uids\": [1001]}}");
        } else if ((p->peers = calloc(json_object_size(peers), sizeof(*p->peers))) == NULL) {
                perr(r, "", "out of memory");
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
                        perr(r, "", "line %d, column %d: %s", jerr.line, jerr.column,
                             jerr.text);
                else
                        perr(r, "", "%s", jerr.text);
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

static void free_strings(char **a, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(a[i]);
}

void policy_free(struct policy *p)
{
        if (p == NULL)
                return;
        for (size_t i = 0; i < p->npeers; i++) {
                struct peer_policy *pp = &p->peers[i];
                free_strings(pp->operations, pp->noperations);
                free_strings(pp->images, pp->nimages);
                free_strings(pp->networks, pp->nnetworks);
                free_strings(pp->caps, pp->ncaps);
                OPENSSL_cleanse(pp->tokens, sizeof(pp->tokens));
        }
        free(p->peers);
        free(p);
}

struct policy *policy_ref(struct policy *p)
{
        p->refs++;
        return p;
}

void policy_unref(struct policy *p)
{
        if (p != NULL && --p->refs == 0)
                policy_free(p);
}

/* --- queries --- */

const struct peer_policy *policy_by_uid(const struct policy *p, uid_t uid)
{
        for (size_t i = 0; i < p->npeers; i++)
                for (size_t j = 0; j < p->peers[i].nuids; j++)
                        if (p->peers[i].uids[j] == uid)
                                return &p->peers[i];
        return NULL;
}

const struct peer_policy *policy_by_cred(const struct policy *p, uid_t uid, gid_t gid)
{
        const struct peer_policy *pp = policy_by_uid(p, uid);

        if (pp != NULL)
                return pp;
        for (size_t i = 0; i < p->npeers; i++)
                for (size_t j = 0; j < p->peers[i].ngids; j++)
                        if (p->peers[i].gids[j] == gid)
                                return &p->peers[i];
        return NULL;
}

static int sha256(const void *data, size_t len, unsigned char out[32])
{
        unsigned int n = 0;

        return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 && n == 32 ? 0 : -1;
}

int policy_hash_token(const char *token, char *out, size_t outlen)
{
        unsigned char md[32];
        size_t i;

        if (outlen < 7 + 64 + 1 || sha256(token, strlen(token), md) < 0)
                return -1;
        /* The hex digits that follow end the string. */
        memcpy(out, "sha256:", 7); // NOLINT(bugprone-not-null-terminated-result)
        for (i = 0; i < 32; i++)
                snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
        OPENSSL_cleanse(md, sizeof(md));
        return 0;
}

/*
 * SECURITY: every stored digest is compared, in constant time, whatever
 * matched before, so the time taken says nothing about which peer (if any)
 * holds the token.
 */
const struct peer_policy *policy_by_token(const struct policy *p, const char *token, char *id)
{
        const struct peer_policy *found = NULL;
        unsigned char md[32];
        size_t i, j, k;

        if (token == NULL || token[0] == '\0' || sha256(token, strlen(token), md) < 0)
                return NULL;
        for (i = 0; i < p->npeers; i++)
                for (j = 0; j < p->peers[i].ntokens; j++)
                        if (CRYPTO_memcmp(md, p->peers[i].tokens[j], 32) == 0)
                                found = &p->peers[i];
        if (found != NULL && id != NULL) {
                for (k = 0; k < POLICY_TOKEN_ID_LEN / 2; k++)
                        snprintf(id + 2 * k, 3, "%02x", md[k]);
        }
        OPENSSL_cleanse(md, sizeof(md));
        return found;
}

const struct peer_policy *policy_by_name(const struct policy *p, const char *name)
{
        for (size_t i = 0; i < p->npeers; i++)
                if (strcmp(p->peers[i].name, name) == 0)
                        return &p->peers[i];
        return NULL;
}

int policy_allows(const struct peer_policy *pp, const char *op)
{
        for (size_t i = 0; i < pp->noperations; i++)
                if (fnmatch(pp->operations[i], op, 0) == 0) /* '*' spans '/' too */
                        return 1;
        return 0;
}

/* Has the last path component a tag, or the reference a digest? */
static int image_has_tag(const char *ref)
{
        const char *slash = strrchr(ref, '/');

        return strchr(ref, '@') != NULL || strchr(slash ? slash : ref, ':') != NULL;
}

int policy_image_allowed(const struct peer_policy *pp, const char *image, const char *tag)
{
        char ref[1024];
        int n;

        if (image == NULL)
                return 0;
        if (tag != NULL && tag[0] != '\0')
                n = snprintf(ref, sizeof(ref), "%s%c%s", image,
                             strncmp(tag, "sha256:", 7) == 0 ? '@' : ':', tag);
        else
                n = snprintf(ref, sizeof(ref), "%s%s", image,
                             image_has_tag(image) ? "" : ":latest");
        if (n < 0 || (size_t)n >= sizeof(ref))
                return 0;
        for (size_t i = 0; i < pp->nimages; i++)
                if (fnmatch(pp->images[i], ref, 0) == 0)
                        return 1;
        return 0;
}

int policy_image_own(const struct peer_policy *pp, const char *image)
{
        size_t n = strlen(pp->name);

        if (image == NULL)
                return 0;
        if (strncmp(image, "docker.io/", 10) == 0)
                image += 10;
        return strncmp(image, pp->name, n) == 0 && image[n] == '/';
}

int policy_network_allowed(const struct peer_policy *pp, const char *name)
{
        if (strcmp(name, "none") == 0)
                return 1;
        for (size_t i = 0; i < pp->nnetworks; i++)
                if (strcmp(pp->networks[i], name) == 0)
                        return 1;
        return 0;
}

/* A decimal id: digits only, at most 10 of them, below 2^32 - 1. */
static int numeric_id(const char *s, size_t n, unsigned long long *out)
{
        char buf[16];

        if (n == 0 || n > 10 || strspn(s, "0123456789") < n)
                return 0;
        memcpy(buf, s, n);
        buf[n] = '\0';
        *out = strtoull(buf, NULL, 10);
        return *out < 4294967295ULL;
}

int policy_check_user(const struct peer_policy *pp, const char *user, char *err, size_t errlen)
{
        const char *colon;
        unsigned long long uid, gid;
        size_t ulen;

        if (!pp->refuse_root)
                return 0;
        if (user == NULL || user[0] == '\0') {
                snprintf(err, errlen,
                         "this peer may not run as root, and the image's default user may be "
                         "root: give a numeric uid other than 0, such as \"1000\" or "
                         "\"1000:1000\"");
                return -1;
        }
        colon = strchr(user, ':');
        ulen = colon ? (size_t)(colon - user) : strlen(user);
        if (!numeric_id(user, ulen, &uid)) {
                snprintf(err, errlen,
                         "this peer must name its user by a numeric uid: a name is looked up "
                         "inside the image, where any name can be root");
                return -1;
        }
        if (uid == 0) {
                snprintf(err, errlen, "uid 0 is root, which this peer may not run as");
                return -1;
        }
        if (colon == NULL)
                return 0;
        if (!numeric_id(colon + 1, strlen(colon + 1), &gid)) {
                snprintf(err, errlen, "the group after ':' must be a numeric gid");
                return -1;
        }
        if (gid == 0) {
                snprintf(err, errlen, "gid 0 is root's group, which this peer may not run as");
                return -1;
        }
        return 0;
}

const char *policy_run_as(const struct peer_policy *pp, const char *user, char *out,
                          size_t outlen)
{
        char why[256];
        int n;

        if (!pp->refuse_root)
                return user;
        /* re-checked here, where the engine's input is made: never root */
        if (policy_check_user(pp, user, why, sizeof(why)) < 0)
                return NULL;
        if (strchr(user, ':') != NULL)
                return user;
        n = snprintf(out, outlen, "%s:%s", user, user);
        return n > 0 && (size_t)n < outlen ? out : NULL;
}

int policy_check_call(const struct peer_policy *pp, const char *op, const json_t *input,
                      char *err, size_t errlen)
{
        const char *image = json_string_value(json_object_get(input, "image"));
        const char *tag = json_string_value(json_object_get(input, "tag"));
        const char *user = json_string_value(json_object_get(input, "user"));
        int create = strcmp(op, "docker/container/create") == 0;
        char why[256];

        if ((create || strcmp(op, "docker/image/pull") == 0) &&
            !(create && policy_image_own(pp, image)) &&
            !policy_image_allowed(pp, image, create ? NULL : tag)) {
                snprintf(err, errlen,
                         "input.image: %.300s%s%.130s is not among the images peer %s may use",
                         image != NULL ? image : "", !create && tag != NULL ? ":" : "",
                         !create && tag != NULL ? tag : "", pp->name);
                return -1;
        }
        /*
         * An exec without a user would run as the container's, which may be
         * root (made before the switch was on, or by an admin): it must name one.
         */
        if ((create || strcmp(op, "docker/container/exec") == 0 ||
             strcmp(op, "docker/container/exec/create") == 0) &&
            policy_check_user(pp, user, why, sizeof(why)) < 0) {
                snprintf(err, errlen, "input.user: %s", why);
                return -1;
        }
        return 0;
}

static json_t *strings_json(char *const *a, size_t n)
{
        json_t *out = json_array();

        for (size_t i = 0; out != NULL && i < n; i++)
                json_array_append_new(out, json_string(a[i]));
        return out;
}

static json_t *limits_json(const struct policy_limits *l)
{
        return json_pack("{s:I,s:I,s:I}", "memoryBytes", (json_int_t)l->memory_bytes,
                         "nanoCpus", (json_int_t)l->nano_cpus, "pidsLimit",
                         (json_int_t)l->pids_limit);
}

static json_t *quota_json(int64_t v)
{
        return v > 0 ? json_integer(v) : json_null();
}

/* The workload settings whoami shows: what a peer may ask for beyond the limits. */
static void workload_json(const struct policy_workload *wl, json_t *container)
{
        json_t *addrs = json_array(), *ranges = json_array(), *roots = json_array();
        json_t *caps = json_array(), *rts = json_array(), *ul = json_object();
        char buf[POLICY_ROOT_MAX + 8];
        size_t i;

        for (i = 0; i < wl->nhost_addrs; i++)
                json_array_append_new(addrs, json_string(wl->host_addrs[i]));
        for (i = 0; i < wl->nranges; i++) {
                snprintf(buf, sizeof(buf), "%d-%d", wl->port_lo[i], wl->port_hi[i]);
                json_array_append_new(ranges, json_string(buf));
        }
        for (i = 0; i < wl->nbind_roots; i++) {
                snprintf(buf, sizeof(buf), "%s%s", wl->bind_roots[i],
                         wl->bind_rw[i] ? ":rw" : "");
                json_array_append_new(roots, json_string(buf));
        }
        for (i = 0; i < wl->nallowed_caps; i++)
                json_array_append_new(caps, json_string(wl->allowed_caps[i]));
        for (i = 0; i < wl->nruntimes; i++)
                json_array_append_new(rts, json_string(wl->runtimes[i]));
        for (i = 0; i < PU__N; i++)
                json_object_set_new(ul, policy_ulimit_names[i],
                                    json_integer(wl->ulimit_max[i]));
        json_object_set_new(
            container, "ports",
            json_pack("{s:o,s:o}", "hostAddresses", addrs, "hostPortRanges", ranges));
        json_object_set_new(container, "bindRoots", roots);
        json_object_set_new(container, "allowedCapabilities", caps);
        json_object_set_new(container, "runtimes", rts);
        json_object_set_new(container, "ulimits", ul);
        json_object_set_new(container, "allowSwap", json_boolean(wl->allow_swap));
        json_object_set_new(container, "healthcheck",
                            json_pack("{s:I,s:I,s:I,s:I}", "minIntervalMs",
                                      (json_int_t)wl->hc_min_interval_ms, "maxTimeoutMs",
                                      (json_int_t)wl->hc_max_timeout_ms, "maxRetries",
                                      (json_int_t)wl->hc_max_retries, "maxStartPeriodMs",
                                      (json_int_t)wl->hc_max_start_ms));
}

json_t *policy_peer_json(const struct peer_policy *pp)
{
        const struct policy_quotas *q = &pp->quotas;
        json_t *defaults = limits_json(&pp->defaults), *out;

        json_object_set_new(defaults, "network", json_string(pp->network));
        json_object_set_new(defaults, "readOnlyRootfs",
                            json_boolean(pp->read_only_default || pp->read_only_forced));
        out = json_pack(
            "{s:b,s:o,s:o,s:{s:o,s:o,s:o,s:o,s:o,s:b,s:b},s:{s:o,s:o,s:o,s:o,s:o,s:o,s:o}}",
            "admin", pp->admin, "operationPatterns",
            strings_json(pp->operations, pp->noperations), "images",
            strings_json(pp->images, pp->nimages), "container", "defaults", defaults,
            "ceilings", limits_json(&pp->ceilings), "networks",
            strings_json(pp->networks, pp->nnetworks), "capabilities",
            strings_json(pp->caps, pp->ncaps), "runtime",
            pp->runtime[0] ? json_string(pp->runtime) : json_null(), "forceReadOnlyRootfs",
            pp->read_only_forced, "refuseRoot", pp->refuse_root, "quotas", "containers",
            quota_json(q->containers), "memoryBytes", quota_json(q->memory_bytes), "nanoCpus",
            quota_json(q->nano_cpus), "streams", quota_json(q->streams), "callsPerSecond",
            quota_json(q->calls_per_second), "burst",
            q->calls_per_second > 0 ? json_integer(q->burst) : json_null(), "publishedPorts",
            quota_json(q->published_ports));
        if (out != NULL) {
                json_object_set_new(json_object_get(out, "quotas"), "images",
                                    quota_json(q->images));
                json_object_set_new(json_object_get(out, "quotas"), "imageBytes",
                                    quota_json(q->image_bytes));
                workload_json(&pp->wl, json_object_get(out, "container"));
                json_object_set_new(json_object_get(out, "container"),
                                    "allowPutWithReadOnlyRoot",
                                    json_boolean(pp->put_with_read_only));
        }
        return out;
}
