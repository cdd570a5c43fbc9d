/*
 * engine.c - the supervisor's only door to the Docker Engine (engine.h).
 *
 * Control plane: libcurl's multi interface over the engine's unix socket,
 * driven by the supervisor's libevent loop (one struct event per curl socket,
 * one evtimer for curl's timeout).  Connections are reused between requests;
 * their number is capped so that a burst of calls cannot exhaust the
 * engine's or our descriptors.
 *
 * Data plane: engine_dial() writes one complete request on a fresh
 * connection and hands the fd back for a worker.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "engine.h"
#include "jparse.h"
#include "log.h"
#include "profile.h"

#define ENGINE_TIMEOUT_MS 30000L
#define ENGINE_CONNECT_TIMEOUT_MS 5000L
#define ENGINE_MAX_CONNS 64L        /* connections to the engine, in use or idle */
#define ENGINE_IDLE_CONNS 16L       /* idle connections kept for reuse */
#define ENGINE_SPARE_MAX 16         /* easy handles kept for reuse */
#define ENGINE_BODY_MAX (32u << 20) /* largest engine answer we buffer */
#define ENGINE_DIAL_TIMEOUT_S 5     /* connect and write of a data-plane request */

/*
 * An answer larger than ENGINE_BODY_MAX is not buffered: the request fails
 * with this synthetic status and a {"message"} body, which call_fail_engine()
 * turns into DOCKER_ERROR (the engine answered, we refused to hold it).
 */
#define ENGINE_STATUS_TOO_LARGE 502

struct engine_multi;

struct engine_req {
        LIST_ENTRY(engine_req) entry;
        TAILQ_ENTRY(engine_req) wait; /* in share->waiting until it may start */
        struct engine *e;
        struct engine_multi *m;     /* control or long-held */
        struct engine_share *share; /* its owner's share, or NULL */
        int started;                /* added to m->multi (counted in share->active) */
        CURL *easy;
        struct curl_slist *headers;
        char *out; /* serialized request body, or NULL */
        char *buf; /* response body */
        size_t len, cap;
        int too_large;
        json_t *headers_seen; /* engine_request_headers(): the naming headers, else NULL */
        engine_cb cb;
        void *arg;
};

/*
 * One curl multi handle with its libevent glue.  There are two: the control
 * plane's, whose connections are capped (ENGINE_MAX_CONNS) and reused, and
 * the long-held requests' (wait, anything with a timeout above the
 * default), so that requests which hold a connection for minutes or hours
 * never take the control plane's places (issue 10 item 5).
 */
struct engine_multi {
        struct engine *e;
        CURLM *multi;
        struct event *timer;
};

struct engine {
        struct event_base *base;
        struct engine_multi control, held;
        char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
        LIST_HEAD(, engine_req) reqs;
        int inflight;
        int up; /* -1 before the first answer, 0 unreachable, 1 answering */
        engine_reach_cb reach_cb;
        void *reach_arg;
        struct engine_profile *profile;
        /*
         * Easy handles of finished requests, reset and kept for the next:
         * creating one per request was a tenth of a ping's instructions in
         * the supervisor (issue 14).  Engine connections live in the multi
         * handles' pools either way.
         */
        CURL *spare[ENGINE_SPARE_MAX];
        int nspare;
};

static void engine_check_done(struct engine_multi *m);

static CURL *engine_easy_get(struct engine *e)
{
        return e->nspare > 0 ? e->spare[--e->nspare] : curl_easy_init();
}

/* A handle back: reset to curl's defaults (no option of its last request stays). */
static void engine_easy_put(struct engine *e, CURL *h)
{
        if (e->nspare < ENGINE_SPARE_MAX) {
                curl_easy_reset(h);
                e->spare[e->nspare++] = h;
        } else {
                curl_easy_cleanup(h);
        }
}

/* --- libevent <-> libcurl glue --- */

static void engine_on_socket(evutil_socket_t fd, short what, void *arg)
{
        struct engine_multi *m = arg;
        int flags = 0, running;

        if (what & EV_READ)
                flags |= CURL_CSELECT_IN;
        if (what & EV_WRITE)
                flags |= CURL_CSELECT_OUT;
        curl_multi_socket_action(m->multi, fd, flags, &running);
        engine_check_done(m);
}

static void engine_on_timer(evutil_socket_t fd, short what, void *arg)
{
        struct engine_multi *m = arg;
        int running;

        curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        engine_check_done(m);
}

/* CURLMOPT_SOCKETFUNCTION: keep one persistent event per curl socket. */
static int engine_sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
        struct engine_multi *m = userp;
        struct engine *e = m->e;
        struct event *ev = socketp;
        short kind = EV_PERSIST;

        if (what == CURL_POLL_REMOVE) {
                if (ev != NULL)
                        event_free(ev);
                curl_multi_assign(m->multi, s, NULL);
                return 0;
        }
        if (what & CURL_POLL_IN)
                kind |= EV_READ;
        if (what & CURL_POLL_OUT)
                kind |= EV_WRITE;
        if (ev != NULL) {
                event_del(ev);
                if (event_assign(ev, e->base, s, kind, engine_on_socket, m) == -1)
                        return -1;
        } else {
                ev = event_new(e->base, s, kind, engine_on_socket, m);
                if (ev == NULL)
                        return -1;
                curl_multi_assign(m->multi, s, ev);
        }
        return event_add(ev, NULL);
}

/* CURLMOPT_TIMERFUNCTION: one timer; -1 removes it. */
static int engine_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
        struct engine_multi *m = userp;
        struct timeval tv;

        if (timeout_ms < 0)
                return evtimer_del(m->timer);
        tv.tv_sec = timeout_ms / 1000;
        tv.tv_usec = (timeout_ms % 1000) * 1000;
        return evtimer_add(m->timer, &tv);
}

/* --- requests --- */

static size_t engine_write_cb(char *data, size_t size, size_t n, void *arg)
{
        struct engine_req *r = arg;
        size_t add = size * n, ncap;
        char *nbuf;

        if (add > ENGINE_BODY_MAX - r->len) {
                r->too_large = 1;
                return 0; /* CURLE_WRITE_ERROR ends the transfer */
        }
        if (r->len + add + 1 > r->cap) {
                ncap = r->cap ? r->cap : 4096;
                while (ncap < r->len + add + 1)
                        ncap *= 2;
                if ((nbuf = realloc(r->buf, ncap)) == NULL)
                        return 0;
                r->buf = nbuf;
                r->cap = ncap;
        }
        memcpy(r->buf + r->len, data, add);
        r->len += add;
        r->buf[r->len] = '\0';
        return add;
}

static void engine_share_next(struct engine_share *sh);

static void engine_req_free(struct engine_req *r)
{
        struct engine_share *sh = r->share;

        if (r->easy != NULL) {
                if (r->started)
                        curl_multi_remove_handle(r->m->multi, r->easy);
                engine_easy_put(r->e, r->easy);
        }
        if (sh != NULL) {
                if (r->started)
                        sh->active--;
                else
                        TAILQ_REMOVE(&sh->waiting, r, wait);
        }
        LIST_REMOVE(r, entry);
        r->e->inflight--;
        curl_slist_free_all(r->headers);
        json_decref(r->headers_seen);
        free(r->out);
        free(r->buf);
        free(r);
        if (sh != NULL)
                engine_share_next(sh);
}

static int engine_start(struct engine_req *r)
{
        if (curl_multi_add_handle(r->m->multi, r->easy) != CURLM_OK)
                return -1;
        r->started = 1;
        if (r->share != NULL)
                r->share->active++;
        return 0;
}

/* The owner's next waiting request, if its share has room again. */
static void engine_share_next(struct engine_share *sh)
{
        struct engine_req *r;

        while (sh->active < sh->limit && (r = TAILQ_FIRST(&sh->waiting)) != NULL) {
                TAILQ_REMOVE(&sh->waiting, r, wait);
                if (engine_start(r) == 0)
                        continue;
                /* Cannot start: it fails as unreachable, like a broken connection. */
                r->share = NULL;
                r->cb(0, NULL, "", 0, r->arg);
                engine_req_free(r);
        }
}

int engine_is_long(long timeout_ms)
{
        return timeout_ms > ENGINE_TIMEOUT_MS;
}

void engine_share_init(struct engine_share *sh, int limit)
{
        sh->active = 0;
        sh->limit = limit;
        TAILQ_INIT(&sh->waiting);
}

/* Maps curl's outcome to engine.h's status: HTTP code, 0 unreachable, -1 timeout. */
static int engine_status(struct engine_req *r, CURLcode rc)
{
        long code = 0;

        if (rc == CURLE_OPERATION_TIMEDOUT)
                return -1;
        if (rc == CURLE_WRITE_ERROR && r->too_large)
                return ENGINE_STATUS_TOO_LARGE;
        if (rc != CURLE_OK)
                return 0;
        if (curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK ||
            code < 100 || code > 599)
                return 0;
        return (int)code;
}

/* CURLOPT_HEADERFUNCTION for engine_request_headers(): keeps the naming headers. */
static size_t engine_header_cb(char *data, size_t size, size_t n, void *arg)
{
        static const char *const names[] = {"Api-Version", "Libpod-Api-Version", "Server"};
        struct engine_req *r = arg;
        size_t len = size * n, i, nl, vl;
        const char *v;

        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                nl = strlen(names[i]);
                if (len <= nl || data[nl] != ':' || strncasecmp(data, names[i], nl) != 0)
                        continue;
                for (v = data + nl + 1; v < data + len && (*v == ' ' || *v == '\t'); v++)
                        ;
                for (vl = (size_t)(data + len - v);
                     vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' ');
                     vl--)
                        ;
                if (vl <= 128)
                        json_object_set_new(r->headers_seen, names[i], json_stringn(v, vl));
        }
        return len;
}

/* Tells the reachability hook about a change (see engine_on_reach()). */
static void engine_reached(struct engine *e, int up)
{
        int was = e->up;

        if (up)
                e->up = 1;
        else if (e->up == 1)
                e->up = 0;
        else
                return; /* unreachable from the start: nothing changed */
        if (e->reach_cb != NULL && was != e->up)
                e->reach_cb(up, e->reach_arg);
}

static void engine_finish(struct engine_req *r, CURLcode rc)
{
        int status = engine_status(r, rc);
        json_t *body = NULL;
        const char *raw = r->buf ? r->buf : "";
        size_t rawlen = r->len;
        struct engine *e = r->e;

        if (r->headers_seen != NULL && status > 0) {
                body = json_incref(r->headers_seen);
        } else if (status == ENGINE_STATUS_TOO_LARGE) {
                body = json_pack("{s:s}", "message", "engine answer too large");
                raw = "";
                rawlen = 0;
        } else if (status > 0 && rawlen > 0) {
                body = jparse(raw, rawlen, JPARSE_DECODE_ANY); /* json_loadb's values, faster */
        }
        if (rc != CURLE_OK && status != ENGINE_STATUS_TOO_LARGE)
                log_debug("engine: request failed: %s", curl_easy_strerror(rc));
        /* Every caller sees the status dockerd would have answered (profile.h). */
        if (status >= 400 && status != ENGINE_STATUS_TOO_LARGE)
                status = profile_status(e->profile, status, body);
        r->cb(status, body, raw, rawlen, r->arg);
        json_decref(body);
        engine_req_free(r);
        /* A timeout says nothing about reachability; no answer at all does. */
        if (status != -1)
                engine_reached(e, status != 0);
}

/*
 * Runs the callbacks of finished transfers.  A callback may start or cancel
 * other requests; curl_multi_remove_handle() drops a cancelled request's
 * queued message, so the loop never sees a freed handle.
 */
static void engine_check_done(struct engine_multi *em)
{
        CURLMsg *m;
        struct engine_req *r;
        int left;

        while ((m = curl_multi_info_read(em->multi, &left)) != NULL) {
                if (m->msg != CURLMSG_DONE)
                        continue;
                r = NULL;
                curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
                if (r == NULL)
                        continue;
                engine_finish(r, m->data.result);
        }
}

/*
 * SECURITY: a path is supervisor-built from checked or escaped values, but
 * it must never carry bytes that could end the request line (only printable
 * ASCII without space), nor a "." or ".." segment, which curl or the engine's
 * router would fold into a path naming another resource
 * ("/images/../containers/X/json").
 */
static int engine_path_ok(const char *path)
{
        const char *p, *seg;
        size_t n;

        if (path[0] != '/')
                return 0;
        for (p = path; *p != '\0'; p++)
                if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
                        return 0;
        for (seg = path + 1;; seg += n + 1) {
                n = strcspn(seg, "/?#");
                if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
                        return 0;
                if (seg[n] != '/')
                        break;
        }
        return 1;
}

static int engine_method_ok(const char *method)
{
        size_t i;

        for (i = 0; method[i] != '\0'; i++)
                if (method[i] < 'A' || method[i] > 'Z' || i >= 15)
                        return 0;
        return i > 0;
}

static int engine_req_setup(struct engine_req *r, const char *method, const char *url,
                            long timeout_ms)
{
        CURL *h = r->easy;
        int ok = 1, posting = r->out != NULL || strcmp(method, "POST") == 0;

        ok &= curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, r->e->socket_path) == CURLE_OK;
        ok &= curl_easy_setopt(h, CURLOPT_URL, url) == CURLE_OK;
        ok &= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http") == CURLE_OK;
        /* Send the path exactly as built; never let curl rewrite it. */
        ok &= curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L) == CURLE_OK;
        /* The environment's proxy settings must never redirect the engine door. */
        ok &= curl_easy_setopt(h, CURLOPT_PROXY, "") == CURLE_OK;
        ok &= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
        ok &= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms) == CURLE_OK;
        ok &= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ENGINE_CONNECT_TIMEOUT_MS) ==
              CURLE_OK;
        ok &= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, engine_write_cb) == CURLE_OK;
        ok &= curl_easy_setopt(h, CURLOPT_WRITEDATA, r) == CURLE_OK;
        ok &= curl_easy_setopt(h, CURLOPT_PRIVATE, r) == CURLE_OK;
        if (posting) {
                /* POST without a body still sends Content-Length: 0. */
                ok &= curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->out ? r->out : "") == CURLE_OK;
                ok &= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                                       (curl_off_t)(r->out ? strlen(r->out) : 0)) == CURLE_OK;
        }
        /* Name the method unless it is the one curl sends anyway. */
        if (strcmp(method, "HEAD") == 0)
                ok &= curl_easy_setopt(h, CURLOPT_NOBODY, 1L) == CURLE_OK;
        else if (strcmp(method, posting ? "POST" : "GET") != 0)
                ok &= curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method) == CURLE_OK;
        ok &= curl_easy_setopt(h, CURLOPT_HTTPHEADER, r->headers) == CURLE_OK;
        return ok ? 0 : -1;
}

static struct engine_req *engine_request_full(struct engine *e, struct engine_share *share,
                                              const char *method, const char *path,
                                              json_t *body, long timeout_ms, int want_headers,
                                              engine_cb cb, void *arg);

struct engine_req *engine_request(struct engine *e, const char *method, const char *path,
                                  json_t *body, long timeout_ms, engine_cb cb, void *arg)
{
        return engine_request_as(e, NULL, method, path, body, timeout_ms, cb, arg);
}

struct engine_req *engine_request_as(struct engine *e, struct engine_share *share,
                                     const char *method, const char *path, json_t *body,
                                     long timeout_ms, engine_cb cb, void *arg)
{
        return engine_request_full(e, share, method, path, body, timeout_ms, 0, cb, arg);
}

struct engine_req *engine_request_headers(struct engine *e, const char *method,
                                          const char *path, long timeout_ms, engine_cb cb,
                                          void *arg)
{
        return engine_request_full(e, NULL, method, path, NULL, timeout_ms, 1, cb, arg);
}

static struct engine_req *engine_request_full(struct engine *e, struct engine_share *share,
                                              const char *method, const char *path,
                                              json_t *body, long timeout_ms, int want_headers,
                                              engine_cb cb, void *arg)
{
        struct engine_req *r;
        struct curl_slist *h;
        char url[8192];
        int n;

        if (!engine_method_ok(method) || !engine_path_ok(path)) {
                log_warnx("engine: refusing request %s with a bad method or path", method);
                return NULL;
        }
        n = snprintf(url, sizeof(url), "http://docker%s%s", ENGINE_API, path);
        if (n < 0 || (size_t)n >= sizeof(url))
                return NULL;
        if ((r = calloc(1, sizeof(*r))) == NULL)
                return NULL;
        r->e = e;
        r->cb = cb;
        r->arg = arg;
        if (timeout_ms <= 0)
                timeout_ms = ENGINE_TIMEOUT_MS;
        /* Long-held requests never take a control-plane connection. */
        r->m = engine_is_long(timeout_ms) ? &e->held : &e->control;
        LIST_INSERT_HEAD(&e->reqs, r, entry);
        e->inflight++;
        if (body != NULL && (r->out = json_dumps(body, JSON_COMPACT)) == NULL)
                goto fail;
        /* curl would add "Expect: 100-continue" to large bodies: one round trip for nothing. */
        if ((h = curl_slist_append(NULL, "Expect:")) == NULL)
                goto fail;
        r->headers = h;
        if (r->out != NULL &&
            (h = curl_slist_append(r->headers, "Content-Type: application/json")) == NULL)
                goto fail;
        if ((r->easy = engine_easy_get(e)) == NULL)
                goto fail;
        if (engine_req_setup(r, method, url, timeout_ms))
                goto fail;
        if (want_headers &&
            ((r->headers_seen = json_object()) == NULL ||
             curl_easy_setopt(r->easy, CURLOPT_HEADERFUNCTION, engine_header_cb) != CURLE_OK ||
             curl_easy_setopt(r->easy, CURLOPT_HEADERDATA, r) != CURLE_OK))
                goto fail;
        /* Beyond its owner's share, a request waits for one of the owner's own to end. */
        r->share = share;
        if (share != NULL && share->active >= share->limit) {
                TAILQ_INSERT_TAIL(&share->waiting, r, wait);
                return r;
        }
        if (engine_start(r) == -1) {
                r->share = NULL;
                curl_easy_cleanup(r->easy);
                r->easy = NULL;
                goto fail;
        }
        return r;
fail:
        engine_req_free(r);
        return NULL;
}

void engine_cancel(struct engine_req *r)
{
        if (r != NULL)
                engine_req_free(r);
}

int engine_inflight(const struct engine *e)
{
        return e->inflight;
}

void engine_on_reach(struct engine *e, engine_reach_cb cb, void *arg)
{
        e->reach_cb = cb;
        e->reach_arg = arg;
}

void engine_set_profile(struct engine *e, struct engine_profile *p)
{
        e->profile = p;
}

struct engine_profile *engine_profile(const struct engine *e)
{
        return e->profile;
}

const char *engine_socket_path(const struct engine *e)
{
        return e->socket_path;
}

static int engine_multi_init(struct engine *e, struct engine_multi *m, long max_conns,
                             long idle_conns)
{
        m->e = e;
        if ((m->timer = evtimer_new(e->base, engine_on_timer, m)) == NULL)
                return -1;
        if ((m->multi = curl_multi_init()) == NULL)
                return -1;
        curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, engine_sock_cb);
        curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
        curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, engine_timer_cb);
        curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
        if (max_conns > 0)
                curl_multi_setopt(m->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max_conns);
        curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, idle_conns);
        return 0;
}

static void engine_multi_free(struct engine_multi *m)
{
        /* Closes cached connections; the socket callback frees their events. */
        if (m->multi != NULL)
                curl_multi_cleanup(m->multi);
        if (m->timer != NULL)
                event_free(m->timer);
}

struct engine *engine_new(struct event_base *base, const char *socket_path)
{
        struct engine *e;

        if (strlen(socket_path) >= sizeof(e->socket_path)) {
                log_warnx("engine: socket path too long: %s", socket_path);
                return NULL;
        }
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return NULL;
        if ((e = calloc(1, sizeof(*e))) == NULL)
                goto fail;
        e->base = base;
        e->up = -1;
        LIST_INIT(&e->reqs);
        snprintf(e->socket_path, sizeof(e->socket_path), "%s", socket_path);
        /*
         * Long-held requests: no cap of their own (each owner's share bounds
         * them), and none kept idle: a connection that waited an hour is
         * not worth keeping.
         */
        if (engine_multi_init(e, &e->control, ENGINE_MAX_CONNS, ENGINE_IDLE_CONNS) < 0 ||
            engine_multi_init(e, &e->held, 0, 1) < 0)
                goto fail;
        return e;
fail:
        if (e != NULL) {
                engine_multi_free(&e->control);
                engine_multi_free(&e->held);
        }
        free(e);
        curl_global_cleanup();
        return NULL;
}

void engine_free(struct engine *e)
{
        if (e == NULL)
                return;
        while (!LIST_EMPTY(&e->reqs))
                engine_req_free(LIST_FIRST(&e->reqs));
        engine_multi_free(&e->control);
        engine_multi_free(&e->held);
        while (e->nspare > 0)
                curl_easy_cleanup(e->spare[--e->nspare]);
        free(e);
        curl_global_cleanup();
}

/* --- data plane --- */

/*
 * SECURITY: extra header lines are supervisor-built; still, an empty line
 * would end the header block early and make what follows a body, so refuse
 * anything but well-formed "Name: value\r\n" lines.
 */
static int engine_headers_ok(const char *h)
{
        const unsigned char *p = (const unsigned char *)h;
        int linelen = 0;

        for (; *p != '\0'; p++) {
                if (*p == '\r') {
                        if (p[1] != '\n' || linelen == 0)
                                return 0;
                        p++;
                        linelen = 0;
                        continue;
                }
                if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
                        return 0;
                linelen++;
        }
        return linelen == 0;
}

static int engine_write_all(int fd, const char *buf, size_t len)
{
        ssize_t n;

        while (len > 0) {
                n = send(fd, buf, len, MSG_NOSIGNAL);
                if (n == -1 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -1;
                buf += n;
                len -= (size_t)n;
        }
        return 0;
}

/*
 * SECURITY (DESIGN.md invariant 2): every connection handed to a worker
 * carries "Connection: close", which makes the engine read exactly one
 * request on it; the request is written here, completely, before the fd
 * leaves the supervisor.  Whatever the worker writes afterwards is never
 * parsed as a request (only as stdin of an upgraded stream).
 */
int engine_dial(struct engine *e, const char *method, const char *path,
                const char *extra_headers, json_t *body)
{
        struct sockaddr_un sun;
        struct timeval tv = {ENGINE_DIAL_TIMEOUT_S, 0};
        char *out = NULL, *req = NULL;
        size_t reqlen;
        int fd = -1, flags, saved;
        FILE *f;

        if (extra_headers == NULL)
                extra_headers = "";
        if (!engine_method_ok(method) || !engine_path_ok(path) ||
            !engine_headers_ok(extra_headers)) {
                errno = EINVAL;
                return -1;
        }
        if (body != NULL && (out = json_dumps(body, JSON_COMPACT)) == NULL) {
                errno = ENOMEM;
                return -1;
        }
        if ((f = open_memstream(&req, &reqlen)) == NULL)
                goto fail;
        fprintf(f, "%s %s%s HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n%s", method,
                ENGINE_API, path, extra_headers);
        if (out != NULL)
                fprintf(f, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                        strlen(out));
        fprintf(f, "\r\n%s", out ? out : "");
        if (fclose(f) != 0)
                goto fail;

        memset(&sun, 0, sizeof(sun));
        sun.sun_family = AF_UNIX;
        memcpy(sun.sun_path, e->socket_path, sizeof(sun.sun_path));
        if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
                goto fail;
        /* Bounds both a full listen backlog and a stuck engine: the loop must not hang. */
        if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
                goto fail;
        if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
                saved = errno;
                engine_reached(e, 0);
                errno = saved;
                goto fail;
        }
        if (engine_write_all(fd, req, reqlen) == -1)
                goto fail;
        if ((flags = fcntl(fd, F_GETFL)) == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
                goto fail;
        free(req);
        free(out);
        return fd;
fail:
        saved = errno;
        if (fd != -1)
                close(fd);
        free(req);
        free(out);
        errno = saved ? saved : EIO;
        return -1;
}

/* --- helpers for callers building paths --- */

int engine_path(char *buf, size_t len, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, len, fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= len)
                return -1;
        return 0;
}

int engine_escape(char *buf, size_t len, const char *s)
{
        char *esc;
        size_t n;

        /* The handle argument is unused since curl 7.82. */
        if ((esc = curl_easy_escape(NULL, s, 0)) == NULL)
                return -1;
        n = strlen(esc);
        if (n >= len) {
                curl_free(esc);
                return -1;
        }
        memcpy(buf, esc, n + 1);
        curl_free(esc);
        return 0;
}
