/*
 * admin.c - the admin socket: /metrics and /ready over evhttp (admin.h).
 *
 * Metric names follow the Prometheus conventions: a dockgate_ prefix,
 * base units as suffixes (_seconds, _bytes), _total on counters only, and
 * labels whose values add up (no "all" next to its parts).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>

#include "account.h"
#include "admin.h"
#include "audit.h"
#include "evrelay.h"
#include "log.h"
#include "ops_impl.h"
#include "pool.h"
#include "sampler.h"
#include "zygote.h"

#define ADMIN_PING_MS 2000L
#define ADMIN_TIMEOUT_S 10

struct admin_ready {
        LIST_ENTRY(admin_ready) link;
        struct admin *a;
        struct evhttp_request *req;
        struct engine_req *ping;
};

struct admin {
        struct sv *sv;
        struct evhttp *http;
        char path[108];
        LIST_HEAD(, admin_ready) readies; /* /ready requests waiting for the engine */
};

/* --- the Prometheus text format --- */

static void admin_family(struct evbuffer *b, const char *name, const char *type,
                         const char *help)
{
        evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and newline escaped. */
static void admin_value(struct evbuffer *b, const char *v)
{
        for (; *v != '\0'; v++) {
                if (*v == '\\' || *v == '"')
                        evbuffer_add_printf(b, "\\%c", *v);
                else if (*v == '\n')
                        evbuffer_add(b, "\\n", 2);
                else
                        evbuffer_add(b, v, 1);
        }
}

/* name{peer="p"} value */
static void admin_peer_sample(struct evbuffer *b, const char *name, const char *peer,
                              const char *fmt_value)
{
        evbuffer_add_printf(b, "%s{peer=\"", name);
        admin_value(b, peer);
        evbuffer_add_printf(b, "\"} %s\n", fmt_value);
}

static void admin_u64(char *buf, size_t len, uint64_t v)
{
        snprintf(buf, len, "%llu", (unsigned long long)v);
}

static void admin_calls(struct evbuffer *b, const struct account *acct)
{
        const struct acct_peer *p;

        admin_family(b, "dockgate_calls_total", "counter",
                     "Calls that reached the broker, by peer, operation and result.");
        TAILQ_FOREACH(p, &acct->peers, link)
        {
                for (size_t i = 0; i < p->ncalls; i++) {
                        evbuffer_add_printf(b, "dockgate_calls_total{peer=\"");
                        admin_value(b, p->name);
                        evbuffer_add_printf(b, "\",operation=\"");
                        admin_value(b, p->calls[i].op);
                        evbuffer_add_printf(b, "\",result=\"");
                        admin_value(b, p->calls[i].result);
                        evbuffer_add_printf(b, "\"} %llu\n", (unsigned long long)p->calls[i].n);
                }
        }
}

/* One family with one sample per peer; value() formats a peer's number. */
static void admin_per_peer(struct evbuffer *b, const struct sv *sv, const char *name,
                           const char *type, const char *help,
                           void (*value)(const struct sv *, const struct acct_peer *, char *,
                                         size_t))
{
        const struct acct_peer *p;
        char v[64];

        admin_family(b, name, type, help);
        TAILQ_FOREACH(p, &sv->account->peers, link)
        {
                value(sv, p, v, sizeof(v));
                admin_peer_sample(b, name, p->name, v);
        }
}

static void v_in(const struct sv *sv, const struct acct_peer *p, char *b, size_t n)
{
        admin_u64(b, n, p->bytes_in);
}
static void v_out(const struct sv *sv, const struct acct_peer *p, char *b, size_t n)
{
        admin_u64(b, n, p->bytes_out);
}
static void v_streams(const struct sv *sv, const struct acct_peer *p, char *b, size_t n)
{
        snprintf(b, n, "%d", pool_streams(sv, p->name, NULL));
}
static void v_owned(const struct sv *sv, const struct acct_peer *p, char *b, size_t n)
{
        snprintf(b, n, "%d", p->owned);
}
static void v_running(const struct sv *sv, const struct acct_peer *p, char *b, size_t n)
{
        snprintf(b, n, "%d", p->running);
}
static void v_cpu(const struct sv *sv, const struct acct_peer *p, char *b, size_t n)
{
        snprintf(b, n, "%.9f", (double)p->cpu_ns / 1e9);
}
static void v_mem(const struct sv *sv, const struct acct_peer *p, char *b, size_t n)
{
        admin_u64(b, n, p->mem_now);
}
static void v_peak(const struct sv *sv, const struct acct_peer *p, char *b, size_t n)
{
        admin_u64(b, n, p->mem_peak);
}

static void admin_gauge(struct evbuffer *b, const char *name, const char *help, double v)
{
        admin_family(b, name, "gauge", help);
        evbuffer_add_printf(b, "%s %.17g\n", name, v);
}

static void admin_counter(struct evbuffer *b, const char *name, const char *help, double v)
{
        admin_family(b, name, "counter", help);
        evbuffer_add_printf(b, "%s %.17g\n", name, v);
}

static void admin_workers(struct evbuffer *b, const struct sv *sv)
{
        static const struct {
                enum worker_state st;
                const char *name;
        } states[] = {{W_SPAWNED, "spawned"},
                      {W_READY, "ready"},
                      {W_SERVING, "serving"},
                      {W_DYING, "dying"}};

        admin_family(b, "dockgate_workers", "gauge", "Worker processes by state.");
        for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
                evbuffer_add_printf(b, "dockgate_workers{state=\"%s\"} %d\n", states[i].name,
                                    pool_count(sv, states[i].st));
}

static void admin_audit(struct evbuffer *b, const struct sv *sv)
{
        struct audit_stats st;

        audit_stats(sv->audit, &st);
        admin_gauge(b, "dockgate_audit_enabled", "1 when an audit log is configured.",
                    sv->audit != NULL);
        admin_gauge(b, "dockgate_audit_writable",
                    "1 unless writes to the audit log fail (answers are then held).",
                    !st.failing);
        admin_gauge(b, "dockgate_audit_sequence", "Sequence number of the last audit record.",
                    (double)st.seq);
        admin_counter(b, "dockgate_audit_records_total",
                      "Audit records appended by this process.", (double)st.records);
        admin_counter(b, "dockgate_audit_written_bytes_total",
                      "Bytes written to the audit log by this process.", (double)st.bytes);
        admin_counter(b, "dockgate_audit_commits_total",
                      "Group commits: one write and one fdatasync for a batch of records.",
                      (double)st.batches);
        admin_counter(b, "dockgate_audit_fsync_seconds_total",
                      "Time spent in fdatasync of the audit log.", (double)st.fsync_ns / 1e9);
        admin_counter(b, "dockgate_audit_failures_total",
                      "Failed writes or syncs of the audit log.", (double)st.failures);
        admin_counter(b, "dockgate_audit_rotations_total", "Rotations of the audit log.",
                      (double)st.rotations);
}

static void admin_zygote(struct evbuffer *b, const struct sv *sv)
{
        struct zygote_stats st;

        zygote_stats(sv, &st);
        admin_counter(b, "dockgate_zygote_forks_total", "Workers forked by a zygote.",
                      (double)st.forks);
        admin_counter(b, "dockgate_zygote_spawn_fallbacks_total",
                      "Workers started with posix_spawn while the zygote is on but none could "
                      "fork (starting, lost, its control socket full).",
                      (double)st.spawned);
        admin_counter(b, "dockgate_zygote_starts_total", "Zygotes started.",
                      (double)st.started);
        admin_family(
            b, "dockgate_zygote_retirements_total", "counter",
            "Zygotes retired or killed, by reason: rotation (zygoteForks or "
            "zygoteSeconds), signal (a worker died by a signal we did not send), lost.");
        evbuffer_add_printf(b, "dockgate_zygote_retirements_total{reason=\"rotation\"} %llu\n",
                            st.rotated);
        evbuffer_add_printf(b, "dockgate_zygote_retirements_total{reason=\"signal\"} %llu\n",
                            st.signalled);
        evbuffer_add_printf(b, "dockgate_zygote_retirements_total{reason=\"lost\"} %llu\n",
                            st.lost);
}

static void admin_render(struct evbuffer *b, const struct sv *sv)
{
        admin_calls(b, sv->account);
        admin_per_peer(b, sv, "dockgate_received_bytes_total", "counter",
                       "Bytes received from the peer, frame headers included.", v_in);
        admin_per_peer(b, sv, "dockgate_sent_bytes_total", "counter",
                       "Bytes sent to the peer, frame headers included.", v_out);
        admin_per_peer(b, sv, "dockgate_live_streams", "gauge",
                       "Streams (connections) being served for the peer.", v_streams);
        admin_per_peer(b, sv, "dockgate_containers_owned", "gauge",
                       "Containers carrying the peer's owner label, at the last sample.",
                       v_owned);
        admin_per_peer(b, sv, "dockgate_containers_running", "gauge",
                       "The peer's running containers, at the last sample.", v_running);
        admin_per_peer(b, sv, "dockgate_container_cpu_seconds_total", "counter",
                       "CPU time used by the peer's containers, from the engine's stats.",
                       v_cpu);
        admin_per_peer(b, sv, "dockgate_container_memory_bytes", "gauge",
                       "Memory of the peer's running containers, page cache excluded.", v_mem);
        admin_per_peer(b, sv, "dockgate_container_memory_peak_bytes", "gauge",
                       "Highest dockgate_container_memory_bytes seen for the peer.", v_peak);
        admin_counter(b, "dockgate_accounting_samples_total",
                      "Completed sampling rounds of the engine.",
                      (double)sampler_rounds(sv->sampler));
        admin_gauge(b, "dockgate_engine_up", "1 when the engine answered the last sample.",
                    sampler_engine_up(sv->sampler));
        admin_gauge(b, "dockgate_engine_requests_in_flight",
                    "Control-plane requests to the engine in flight.",
                    engine_inflight(sv->engine));
        admin_workers(b, sv);
        admin_gauge(b, "dockgate_pool_size", "Idle, sandboxed workers the pool keeps ready.",
                    sv->cfg.pool_size);
        admin_gauge(b, "dockgate_pending_peers", "Accepted peers waiting for a worker.",
                    sv->npending);
        admin_gauge(b, "dockgate_event_relays",
                    "Non-admin event streams the supervisor filters (evrelay.h).",
                    evrelays_count(sv->evrelays));
        admin_audit(b, sv);
        admin_zygote(b, sv);
}

/* --- requests --- */

/* Root, ourselves, or an admin peer of the policy in force. */
static int admin_allowed(struct admin *a, struct evhttp_request *req)
{
        struct evhttp_connection *con = evhttp_request_get_connection(req);
        struct bufferevent *bev = con != NULL ? evhttp_connection_get_bufferevent(con) : NULL;
        struct ucred cred;
        socklen_t len = sizeof(cred);
        const struct peer_policy *pp;

        if (bev == NULL ||
            getsockopt(bufferevent_getfd(bev), SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
            len != sizeof(cred))
                return 0;
        if (cred.uid == 0 || cred.uid == geteuid())
                return 1;
        pp = policy_by_uid(a->sv->policy, cred.uid);
        return pp != NULL && pp->admin;
}

static void admin_text(struct evhttp_request *req, int code, const char *reason,
                       const char *text)
{
        struct evbuffer *b = evbuffer_new();

        if (b == NULL) {
                evhttp_send_error(req, HTTP_INTERNAL, NULL);
                return;
        }
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                          "text/plain; charset=utf-8");
        evbuffer_add_printf(b, "%s\n", text);
        evhttp_send_reply(req, code, reason, b);
        evbuffer_free(b);
}

static int admin_check(struct admin *a, struct evhttp_request *req)
{
        if (!admin_allowed(a, req)) {
                admin_text(req, 403, "Forbidden", "admin peers only");
                return -1;
        }
        return 0;
}

static void admin_metrics(struct evhttp_request *req, void *arg)
{
        struct admin *a = arg;
        struct evbuffer *b;

        if (admin_check(a, req) < 0)
                return;
        if ((b = evbuffer_new()) == NULL) {
                evhttp_send_error(req, HTTP_INTERNAL, NULL);
                return;
        }
        admin_render(b, a->sv);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                          "text/plain; version=0.0.4; charset=utf-8");
        evhttp_send_reply(req, HTTP_OK, "OK", b);
        evbuffer_free(b);
}

static void admin_ready_done(int status, json_t *body, const char *raw, size_t rawlen,
                             void *arg)
{
        struct admin_ready *r = arg;

        LIST_REMOVE(r, link);
        if (status == 200)
                admin_text(r->req, HTTP_OK, "OK", "ready");
        else
                admin_text(r->req, 503, "Service Unavailable",
                           status == 0    ? "not ready: the engine cannot be reached"
                           : status == -1 ? "not ready: the engine did not answer in time"
                                          : "not ready: the engine's /_ping failed");
        free(r);
}

static void admin_ready(struct evhttp_request *req, void *arg)
{
        struct admin *a = arg;
        struct sv *sv = a->sv;
        struct admin_ready *r;
        char why[128];

        if (admin_check(a, req) < 0)
                return;
        if (sv->shutting_down) {
                admin_text(req, 503, "Service Unavailable", "not ready: shutting down");
                return;
        }
        if (!audit_ok(sv->audit)) {
                admin_text(req, 503, "Service Unavailable",
                           "not ready: the audit log cannot be written");
                return;
        }
        if (sv->nready < sv->cfg.pool_size) {
                snprintf(why, sizeof(why), "not ready: %d of %d pooled workers ready",
                         sv->nready, sv->cfg.pool_size);
                admin_text(req, 503, "Service Unavailable", why);
                return;
        }
        if ((r = calloc(1, sizeof(*r))) == NULL) {
                evhttp_send_error(req, HTTP_INTERNAL, NULL);
                return;
        }
        r->a = a;
        r->req = req;
        /*
         * If the client leaves first, evhttp detaches req from its
         * connection and frees it when we answer; nothing dangles.
         */
        r->ping = engine_request(sv->engine, "GET", "/_ping", NULL, ADMIN_PING_MS,
                                 admin_ready_done, r);
        if (r->ping == NULL) {
                free(r);
                admin_text(req, 503, "Service Unavailable", "not ready: cannot ask the engine");
                return;
        }
        LIST_INSERT_HEAD(&a->readies, r, link);
}

static void admin_other(struct evhttp_request *req, void *arg)
{
        struct admin *a = arg;

        if (admin_check(a, req) < 0)
                return;
        admin_text(req, HTTP_NOTFOUND, "Not Found", "try /metrics or /ready");
}

/* A fresh unix socket at path, mode 0600 from the start (no window for others). */
static int admin_socket(const char *path)
{
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        struct stat st;
        mode_t old;
        int fd;

        if (strlen(path) >= sizeof(sun.sun_path)) {
                log_warnx("admin socket path too long: %s", path);
                return -1;
        }
        memcpy(sun.sun_path, path, strlen(path) + 1);
        if (lstat(path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode)) {
                        log_warnx("%s exists and is not a socket", path);
                        return -1;
                }
                unlink(path);
        }
        if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
                log_warn("admin socket");
                return -1;
        }
        old = umask(0177);
        if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
                umask(old);
                log_warn("bind %s", path);
                close(fd);
                return -1;
        }
        umask(old);
        if (chmod(path, 0600) < 0 || listen(fd, 16) < 0) {
                log_warn("admin socket %s", path);
                close(fd);
                unlink(path);
                return -1;
        }
        return fd;
}

struct admin *admin_open(struct sv *sv, const char *path)
{
        struct admin *a = calloc(1, sizeof(*a));
        int fd;

        if (a == NULL)
                return NULL;
        a->sv = sv;
        LIST_INIT(&a->readies);
        snprintf(a->path, sizeof(a->path), "%s", path);
        if ((a->http = evhttp_new(sv->base)) == NULL || (fd = admin_socket(path)) < 0) {
                if (a->http != NULL)
                        evhttp_free(a->http);
                free(a);
                return NULL;
        }
        evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
        evhttp_set_max_headers_size(a->http, 8192);
        evhttp_set_max_body_size(a->http, 0);
        evhttp_set_timeout(a->http, ADMIN_TIMEOUT_S);
        evhttp_set_cb(a->http, "/metrics", admin_metrics, a);
        evhttp_set_cb(a->http, "/ready", admin_ready, a);
        evhttp_set_gencb(a->http, admin_other, a);
        /* evhttp owns fd from here on (closed by evhttp_free). */
        if (evhttp_accept_socket(a->http, fd) < 0) {
                log_warnx("admin socket: evhttp cannot accept on %s", path);
                close(fd);
                unlink(path);
                evhttp_free(a->http);
                free(a);
                return NULL;
        }
        log_info("admin socket on %s (/metrics, /ready)", path);
        return a;
}

void admin_close(struct admin *a)
{
        struct admin_ready *r;

        if (a == NULL)
                return;
        while ((r = LIST_FIRST(&a->readies)) != NULL) {
                LIST_REMOVE(r, link);
                engine_cancel(r->ping);
                free(r);
        }
        evhttp_free(a->http); /* frees the requests still waiting */
        unlink(a->path);
        free(a);
}
