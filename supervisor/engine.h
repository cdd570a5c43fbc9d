/*
 * engine.h - the supervisor's only door to the Docker Engine.
 *
 * Control plane: engine_request() runs one HTTP request over the engine's
 * unix socket with libcurl's multi interface driven by the supervisor's
 * libevent loop, and calls back once with the status and parsed JSON body.
 * Data plane: engine_dial() opens a fresh connection and writes a complete
 * request carrying "Connection: close" (SECURITY: invariant 2: the engine
 * never reads a second request on such a connection), then returns the fd,
 * ready to be passed to a worker.
 */
#ifndef DG_ENGINE_H
#define DG_ENGINE_H

#include <event2/event.h>
#include <jansson.h>
#include <stddef.h>
#include <sys/queue.h>

#define ENGINE_API "/v1.41"

struct engine;         /* one per supervisor */
struct engine_req;     /* one request in flight */
struct engine_profile; /* what kind of engine answers (profile.h) */

/*
 * status: the HTTP status, or 0 when the engine could not be reached (the
 * connection failed or broke), or -1 on timeout.
 * body: the parsed JSON body (borrowed, valid during the callback), or NULL
 * when empty or not JSON.  raw/rawlen: the body bytes as received (borrowed).
 */
typedef void (*engine_cb)(int status, json_t *body, const char *raw, size_t rawlen, void *arg);

/*
 * An owner's share of engine connections (a peer's: quota.c keeps one per
 * peer).  At most limit of its requests run at once; the others wait, in
 * order, for one of its own to end, so that one peer's calls never take
 * every connection from the others.
 */
struct engine_share {
        int active, limit;
        TAILQ_HEAD(, engine_req) waiting;
};
void engine_share_init(struct engine_share *sh, int limit);
/* A request with this timeout is long-held (engine_request_as). */
int engine_is_long(long timeout_ms);

struct engine *engine_new(struct event_base *base, const char *socket_path);
void engine_free(struct engine *e); /* cancels requests in flight without calling back */

/*
 * Starts method on ENGINE_API + path ("/containers/json?all=1").  body is
 * sent as application/json when not NULL (borrowed).  timeout_ms 0 means the
 * default (30 s).  Returns a handle usable with engine_cancel(), or NULL when
 * the request could not even be started (cb is not called then).
 */
struct engine_req *engine_request(struct engine *e, const char *method, const char *path,
                                  json_t *body, long timeout_ms, engine_cb cb, void *arg);
/*
 * The same, counted in share (may be NULL).  Requests with a timeout above
 * the default (wait: up to an hour) are long-held: they run on connections
 * of their own, never on the control plane's ENGINE_MAX_CONNS.
 */
struct engine_req *engine_request_as(struct engine *e, struct engine_share *share,
                                     const char *method, const char *path, json_t *body,
                                     long timeout_ms, engine_cb cb, void *arg);
/*
 * engine_request(), but the callback's body is a JSON object of the answer's
 * headers that name the engine and its API ("Api-Version",
 * "Libpod-Api-Version", "Server"; those present), not the answer's body.
 * For engine detection (detect.c), which reads /_ping's headers.
 */
struct engine_req *engine_request_headers(struct engine *e, const char *method,
                                          const char *path, long timeout_ms, engine_cb cb,
                                          void *arg);
/* Cancels a request in flight; its callback will not be called. */
void engine_cancel(struct engine_req *r);

/*
 * Connects to the engine (blocking connect on the unix socket; it is local)
 * and writes "method ENGINE_API+path HTTP/1.1", Host, Connection: close,
 * optional extra header lines (each ending in \r\n, may be NULL), an optional
 * JSON body with its Content-Length, all of it, before returning the fd
 * (non-blocking, close-on-exec).  Returns -1 with errno set on failure.
 */
int engine_dial(struct engine *e, const char *method, const char *path,
                const char *extra_headers, json_t *body);

/*
 * Path helpers for callers: engine_path() formats into buf, engine_escape()
 * URL-escapes one query value or path segment into buf.  Both return -1
 * when the result does not fit.
 */
int engine_path(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int engine_escape(char *buf, size_t len, const char *s);

/* Number of requests in flight (for tests and metrics). */
int engine_inflight(const struct engine *e);

/*
 * Reachability: cb(1, arg) when a request gets an answer after the engine
 * was unreachable or before any answer (start, reconnect), cb(0, arg) when a
 * request or dial finds it unreachable after it answered.  Called after the
 * request's own callback.  One hook; detect.c's (re-)detection uses it.
 */
typedef void (*engine_reach_cb)(int up, void *arg);
void engine_on_reach(struct engine *e, engine_reach_cb cb, void *arg);

/* The engine's profile (profile.h), kept here so every caller of the engine finds it. */
void engine_set_profile(struct engine *e, struct engine_profile *p);
struct engine_profile *engine_profile(const struct engine *e);
/* The engine socket's path, for log lines. */
const char *engine_socket_path(const struct engine *e);

#endif
