/*
 * account.c - per-peer accounting and its state file (account.h).
 *
 * The state file is ours, but it is still checked field by field on load:
 * a hand-edited or damaged file is refused with the key at fault rather
 * than silently resetting or inflating anyone's totals.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#include "audit.h"
#include "log.h"

#define ACCOUNT_VERSION 1
#define ACCOUNT_CALLS_MAX 4096 /* (operation, result) pairs per peer */
#define ACCOUNT_PEERS_MAX 100000
#define ACCOUNT_CTRS_MAX 1000000

static void account_now(char *buf, size_t len)
{
        time_t t = time(NULL);
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Peer names as the policy spells them; anything else from a label is ignored. */
static int account_name_ok(const char *s)
{
        size_t i;

        if (s == NULL || s[0] == '\0' || strlen(s) > MSG_PEER_NAME_MAX)
                return 0;
        for (i = 0; s[i] != '\0'; i++) {
                char ch = s[i];
                if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                      (i > 0 && (ch == '-' || ch == '_'))))
                        return 0;
        }
        return 1;
}

struct account *account_new(void)
{
        struct account *a = calloc(1, sizeof(*a));

        if (a == NULL)
                return NULL;
        TAILQ_INIT(&a->peers);
        TAILQ_INIT(&a->ctrs);
        account_now(a->since, sizeof(a->since));
        return a;
}

void account_free(struct account *a)
{
        struct acct_peer *p;
        struct acct_ctr *c;

        if (a == NULL)
                return;
        while ((p = TAILQ_FIRST(&a->peers)) != NULL) {
                TAILQ_REMOVE(&a->peers, p, link);
                free(p->calls);
                free(p);
        }
        while ((c = TAILQ_FIRST(&a->ctrs)) != NULL) {
                TAILQ_REMOVE(&a->ctrs, c, link);
                free(c);
        }
        if (a->ev_save != NULL)
                event_free(a->ev_save);
        free(a);
}

const struct acct_peer *account_peer(const struct account *a, const char *name)
{
        struct acct_peer *p;

        TAILQ_FOREACH(p, &a->peers, link)
        if (strcmp(p->name, name) == 0)
                return p;
        return NULL;
}

/* The peer's record, made on first use (kept sorted by name for stable output). */
static struct acct_peer *account_get_peer(struct account *a, const char *name)
{
        struct acct_peer *p, *at;

        if ((p = (struct acct_peer *)account_peer(a, name)) != NULL)
                return p;
        if (!account_name_ok(name) || (p = calloc(1, sizeof(*p))) == NULL)
                return NULL;
        snprintf(p->name, sizeof(p->name), "%s", name);
        TAILQ_FOREACH(at, &a->peers, link)
        if (strcmp(at->name, name) > 0)
                break;
        if (at != NULL)
                TAILQ_INSERT_BEFORE(at, p, link);
        else
                TAILQ_INSERT_TAIL(&a->peers, p, link);
        return p;
}

static struct acct_calls *account_get_calls(struct acct_peer *p, const char *op,
                                            const char *result)
{
        struct acct_calls *c;
        size_t i;

        for (i = 0; i < p->ncalls; i++)
                if (strcmp(p->calls[i].op, op) == 0 && strcmp(p->calls[i].result, result) == 0)
                        return &p->calls[i];
        if (strlen(op) > MSG_OP_MAX || strlen(result) >= sizeof(c->result) ||
            p->ncalls >= ACCOUNT_CALLS_MAX)
                return NULL;
        if (p->ncalls == p->capcalls) {
                size_t cap = p->capcalls ? p->capcalls * 2 : 16;
                if ((c = reallocarray(p->calls, cap, sizeof(*c))) == NULL)
                        return NULL;
                p->calls = c;
                p->capcalls = cap;
        }
        c = &p->calls[p->ncalls++];
        memset(c, 0, sizeof(*c));
        snprintf(c->op, sizeof(c->op), "%s", op);
        snprintf(c->result, sizeof(c->result), "%s", result);
        return c;
}

void account_call_end(struct account *a, const char *peer, const char *op, const char *result,
                      uint64_t bytes_in, uint64_t bytes_out)
{
        struct acct_peer *p;
        struct acct_calls *c;

        if (a == NULL || (p = account_get_peer(a, peer)) == NULL)
                return;
        if ((c = account_get_calls(p, op[0] ? op : "-", result)) != NULL)
                c->n++;
        p->bytes_in += bytes_in;
        p->bytes_out += bytes_out;
        a->dirty = 1;
}

static struct acct_ctr *account_ctr(struct account *a, const char *id)
{
        struct acct_ctr *c;

        TAILQ_FOREACH(c, &a->ctrs, link)
        if (strcmp(c->id, id) == 0)
                return c;
        return NULL;
}

void account_sample_begin(struct account *a)
{
        struct acct_ctr *c;

        TAILQ_FOREACH(c, &a->ctrs, link)
        c->seen = 0;
}

int account_sample_container(struct account *a, const char *id, const char *peer, int running)
{
        struct acct_ctr *c;

        /* A container ID is a SHA-256 in hex, as an audit hash is. */
        if (!auditfmt_is_hex(id) || !account_name_ok(peer) || account_get_peer(a, peer) == NULL)
                return 0;
        if ((c = account_ctr(a, id)) == NULL) {
                if ((c = calloc(1, sizeof(*c))) == NULL)
                        return 0;
                snprintf(c->id, sizeof(c->id), "%s", id);
                TAILQ_INSERT_TAIL(&a->ctrs, c, link);
        }
        snprintf(c->peer, sizeof(c->peer), "%s", peer);
        c->seen = 1;
        c->running = running;
        if (!running) {
                /* Its next start is a new cgroup: count that run from zero. */
                c->have_last = 0;
                c->mem = 0;
        }
        return 1;
}

void account_sample_stats(struct account *a, const char *id, uint64_t cpu_total_ns,
                          uint64_t mem)
{
        struct acct_ctr *c = account_ctr(a, id);
        struct acct_peer *p;
        uint64_t delta;

        /* Zero is what the engine reports for a container that just stopped. */
        if (c == NULL || !c->running || cpu_total_ns == 0)
                return;
        if (c->have_last && cpu_total_ns >= c->last_ns)
                delta = cpu_total_ns - c->last_ns;
        else
                delta = cpu_total_ns; /* first sight, or the counter restarted */
        c->last_ns = cpu_total_ns;
        c->have_last = 1;
        c->cpu_ns += delta;
        c->mem = mem;
        if ((p = account_get_peer(a, c->peer)) != NULL)
                p->cpu_ns += delta;
        a->dirty = 1;
}

void account_sample_end(struct account *a)
{
        struct acct_peer *p;
        struct acct_ctr *c, *next;

        TAILQ_FOREACH(p, &a->peers, link)
        {
                p->owned = p->running = 0;
                p->mem_now = 0;
        }
        for (c = TAILQ_FIRST(&a->ctrs); c != NULL; c = next) {
                next = TAILQ_NEXT(c, link);
                if (!c->seen) {
                        /* Removed: what it used stays counted in its peer's total. */
                        TAILQ_REMOVE(&a->ctrs, c, link);
                        free(c);
                        a->dirty = 1;
                        continue;
                }
                if ((p = account_get_peer(a, c->peer)) == NULL)
                        continue;
                p->owned++;
                if (c->running) {
                        p->running++;
                        p->mem_now += c->mem;
                }
        }
        TAILQ_FOREACH(p, &a->peers, link)
        if (p->mem_now > p->mem_peak) {
                p->mem_peak = p->mem_now;
                a->dirty = 1;
        }
        account_now(a->sampled_at, sizeof(a->sampled_at));
        a->samples++;
}

static json_t *account_calls_json(const struct acct_peer *p, uint64_t *total)
{
        json_t *by = json_object();
        size_t i;

        *total = 0;
        if (p == NULL || by == NULL)
                return by;
        for (i = 0; i < p->ncalls; i++) {
                json_t *op = json_object_get(by, p->calls[i].op);
                if (op == NULL) {
                        op = json_object();
                        json_object_set_new(by, p->calls[i].op, op);
                }
                json_object_set_new(op, p->calls[i].result,
                                    json_integer((json_int_t)p->calls[i].n));
                *total += p->calls[i].n;
        }
        return by;
}

json_t *account_usage(const struct account *a, const char *peer, int live_streams)
{
        const struct acct_peer *p = account_peer(a, peer);
        const struct acct_ctr *c;
        json_t *items = json_array(), *out;
        uint64_t total;
        json_t *by = account_calls_json(p, &total);

        TAILQ_FOREACH(c, &a->ctrs, link)
        {
                if (strcmp(c->peer, peer) != 0)
                        continue;
                json_array_append_new(items, json_pack("{s:s,s:b,s:f,s:I}", "id", c->id,
                                                       "running", c->running, "cpuSeconds",
                                                       (double)c->cpu_ns / 1e9, "memoryBytes",
                                                       (json_int_t)(c->running ? c->mem : 0)));
        }
        out = json_pack("{s:s,s:s,s:{s:I,s:o},s:I,s:I,s:i,s:{s:i,s:i,s:o},s:f,s:I,s:I,s:o}",
                        "peer", peer, "since", a->since, "calls", "total", (json_int_t)total,
                        "byOperation", by, "bytesReceived", (json_int_t)(p ? p->bytes_in : 0),
                        "bytesSent", (json_int_t)(p ? p->bytes_out : 0), "liveStreams",
                        live_streams, "containers", "owned", p ? p->owned : 0, "running",
                        p ? p->running : 0, "items", items, "cpuSeconds",
                        p ? (double)p->cpu_ns / 1e9 : 0.0, "memoryBytes",
                        (json_int_t)(p ? p->mem_now : 0), "memoryPeakBytes",
                        (json_int_t)(p ? p->mem_peak : 0), "sampledAt",
                        a->sampled_at[0] ? json_string(a->sampled_at) : json_null());
        return out;
}

/* --- the state file --- */

static json_t *account_state_json(const struct account *a, const char *audit_file, uint64_t seq,
                                  const char *hash)
{
        json_t *peers = json_object(), *ctrs = json_object(), *root;
        const struct acct_peer *p;
        const struct acct_ctr *c;
        uint64_t total;

        TAILQ_FOREACH(p, &a->peers, link)
        {
                json_object_set_new(
                    peers, p->name,
                    json_pack("{s:o,s:I,s:I,s:I,s:I}", "calls", account_calls_json(p, &total),
                              "bytesReceived", (json_int_t)p->bytes_in, "bytesSent",
                              (json_int_t)p->bytes_out, "cpuNanoseconds", (json_int_t)p->cpu_ns,
                              "memoryPeakBytes", (json_int_t)p->mem_peak));
        }
        TAILQ_FOREACH(c, &a->ctrs, link)
        {
                json_object_set_new(ctrs, c->id,
                                    json_pack("{s:s,s:I,s:b,s:I}", "peer", c->peer,
                                              "lastUsageNanoseconds", (json_int_t)c->last_ns,
                                              "haveLast", c->have_last, "cpuNanoseconds",
                                              (json_int_t)c->cpu_ns));
        }
        root = json_pack("{s:i,s:s,s:o,s:o}", "version", ACCOUNT_VERSION, "since", a->since,
                         "peers", peers, "containers", ctrs);
        if (root != NULL && audit_file != NULL && hash != NULL)
                json_object_set_new(root, "audit",
                                    json_pack("{s:s,s:I,s:s}", "path", audit_file, "seq",
                                              (json_int_t)seq, "hash", hash));
        return root;
}

/* Writes root as JSON and a newline to path, atomically. */
static int account_write_file(const char *path, const json_t *root)
{
        char tmp[PATH_MAX], dirbuf[PATH_MAX];
        int fd, dfd;

        if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
                return -1;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -1;
        /* Data on disk before the name points at it: a crash leaves old or new, whole. */
        if (json_dumpfd(root, fd, JSON_INDENT(1)) < 0 || write(fd, "\n", 1) != 1 ||
            fsync(fd) < 0) {
                close(fd);
                unlink(tmp);
                return -1;
        }
        if (close(fd) < 0 || rename(tmp, path) < 0) {
                unlink(tmp);
                return -1;
        }
        snprintf(dirbuf, sizeof(dirbuf), "%s", path);
        if ((dfd = open(dirname(dirbuf), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
                fsync(dfd);
                close(dfd);
        }
        return 0;
}

int account_save(struct account *a)
{
        json_t *root;
        int rc;

        if (a == NULL || a->state_path[0] == '\0')
                return 0;
        root = account_state_json(a, a->audit_file, audit_durable(a->audit),
                                  audit_durable_hash(a->audit));
        if (root == NULL) {
                log_warnx("accounting: cannot build the state");
                return -1;
        }
        rc = account_write_file(a->state_path, root);
        json_decref(root);
        if (rc < 0) {
                log_warn("accounting: cannot write %s", a->state_path);
                return -1;
        }
        a->dirty = 0;
        return 0;
}

static void account_save_cb(evutil_socket_t fd, short what, void *arg)
{
        struct account *a = arg;

        if (a->dirty)
                account_save(a);
}

int account_autosave(struct account *a, struct event_base *base, const char *path,
                     unsigned interval_s, const struct audit *audit, const char *audit_file)
{
        struct timeval tv = {(time_t)interval_s, 0};

        if (strlen(path) >= sizeof(a->state_path))
                return -1;
        snprintf(a->state_path, sizeof(a->state_path), "%s", path);
        a->audit = audit;
        a->audit_file = audit_file;
        if ((a->ev_save = event_new(base, -1, EV_PERSIST, account_save_cb, a)) == NULL)
                return -1;
        return event_add(a->ev_save, &tv);
}

/* --- loading --- */

#define LOAD_FAIL(...)                                                                         \
        do {                                                                                   \
                snprintf(err, errlen, __VA_ARGS__);                                            \
                return -1;                                                                     \
        } while (0)

static int account_u64(json_t *v, uint64_t *out)
{
        if (!json_is_integer(v) || json_integer_value(v) < 0)
                return -1;
        *out = (uint64_t)json_integer_value(v);
        return 0;
}

static int account_load_calls(struct acct_peer *p, json_t *calls, char *err, size_t errlen)
{
        const char *op, *res;
        json_t *byres, *n;

        if (!json_is_object(calls))
                LOAD_FAIL("peers.%s.calls: not an object", p->name);
        json_object_foreach(calls, op, byres)
        {
                if (!json_is_object(byres))
                        LOAD_FAIL("peers.%s.calls.%s: not an object", p->name, op);
                json_object_foreach(byres, res, n)
                {
                        struct acct_calls *c = account_get_calls(p, op, res);
                        uint64_t v;
                        if (c == NULL || account_u64(n, &v) < 0)
                                LOAD_FAIL("peers.%s.calls.%s.%s: not a count", p->name, op,
                                          res);
                        c->n = v;
                }
        }
        return 0;
}

static int account_load_peers(struct account *a, json_t *peers, char *err, size_t errlen)
{
        const char *name;
        json_t *v;

        if (!json_is_object(peers) || json_object_size(peers) > ACCOUNT_PEERS_MAX)
                LOAD_FAIL("peers: not an object");
        json_object_foreach(peers, name, v)
        {
                struct acct_peer *p = account_get_peer(a, name);
                if (p == NULL || !json_is_object(v) || json_object_size(v) != 5)
                        LOAD_FAIL("peers.%.64s: not a peer record", name);
                if (account_load_calls(p, json_object_get(v, "calls"), err, errlen) < 0)
                        return -1;
                if (account_u64(json_object_get(v, "bytesReceived"), &p->bytes_in) < 0 ||
                    account_u64(json_object_get(v, "bytesSent"), &p->bytes_out) < 0 ||
                    account_u64(json_object_get(v, "cpuNanoseconds"), &p->cpu_ns) < 0 ||
                    account_u64(json_object_get(v, "memoryPeakBytes"), &p->mem_peak) < 0)
                        LOAD_FAIL("peers.%s: a total is missing or not a count", name);
        }
        return 0;
}

static int account_load_ctrs(struct account *a, json_t *ctrs, char *err, size_t errlen)
{
        const char *id;
        json_t *v;

        if (!json_is_object(ctrs) || json_object_size(ctrs) > ACCOUNT_CTRS_MAX)
                LOAD_FAIL("containers: not an object");
        json_object_foreach(ctrs, id, v)
        {
                const char *peer = json_string_value(json_object_get(v, "peer"));
                json_t *have = json_object_get(v, "haveLast");
                struct acct_ctr *c;
                if (!auditfmt_is_hex(id) || !account_name_ok(peer) || !json_is_boolean(have) ||
                    json_object_size(v) != 4)
                        LOAD_FAIL("containers.%.64s: not a container record", id);
                if ((c = calloc(1, sizeof(*c))) == NULL)
                        LOAD_FAIL("out of memory");
                snprintf(c->id, sizeof(c->id), "%s", id);
                snprintf(c->peer, sizeof(c->peer), "%s", peer);
                c->have_last = json_is_true(have);
                c->running = 1; /* until the first sample says otherwise */
                TAILQ_INSERT_TAIL(&a->ctrs, c, link);
                if (account_u64(json_object_get(v, "lastUsageNanoseconds"), &c->last_ns) < 0 ||
                    account_u64(json_object_get(v, "cpuNanoseconds"), &c->cpu_ns) < 0)
                        LOAD_FAIL("containers.%s: a total is missing or not a count", id);
        }
        return 0;
}

static int account_load_audit(struct account *a, json_t *au, char *err, size_t errlen)
{
        const char *path = json_string_value(json_object_get(au, "path"));
        const char *hash = json_string_value(json_object_get(au, "hash"));

        if (au == NULL)
                return 0;
        if (path == NULL || strlen(path) >= sizeof(a->audit_path) || !auditfmt_is_hex(hash) ||
            account_u64(json_object_get(au, "seq"), &a->audit_seq) < 0)
                LOAD_FAIL("audit: not an audit position");
        snprintf(a->audit_path, sizeof(a->audit_path), "%s", path);
        snprintf(a->audit_hash, sizeof(a->audit_hash), "%s", hash);
        return 0;
}

int account_load(struct account *a, const char *path, char *err, size_t errlen)
{
        json_error_t jerr;
        json_t *root, *since;
        int rc = -1;
        char why[512];

        if (access(path, F_OK) < 0 && errno == ENOENT)
                return 0;
        if ((root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
                snprintf(err, errlen, "%s:%d: %s", path, jerr.line, jerr.text);
                return -1;
        }
        since = json_object_get(root, "since");
        if (!json_is_object(root) ||
            json_integer_value(json_object_get(root, "version")) != ACCOUNT_VERSION ||
            !json_is_string(since) || json_string_length(since) >= sizeof(a->since)) {
                snprintf(err, errlen, "%s: not a version %d accounting state", path,
                         ACCOUNT_VERSION);
                goto out;
        }
        snprintf(a->since, sizeof(a->since), "%s", json_string_value(since));
        if (account_load_peers(a, json_object_get(root, "peers"), why, sizeof(why)) < 0 ||
            account_load_ctrs(a, json_object_get(root, "containers"), why, sizeof(why)) < 0 ||
            account_load_audit(a, json_object_get(root, "audit"), why, sizeof(why)) < 0) {
                snprintf(err, errlen, "%s: %s", path, why);
                goto out;
        }
        rc = 0;
out:
        json_decref(root);
        return rc;
}
