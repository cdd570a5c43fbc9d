/*
 * dapi.h - the Docker-Engine-API front of a worker (MSG_PEER.front "docker").
 *
 * One peer connection speaks HTTP/1.1 as the Docker Engine does, so that the
 * docker CLI and the SDKs work through the gate unchanged.  Requests are
 * served one at a time, in order, on a kept connection (one connection is
 * one worker); each is matched against the route table (dapi_routes.c),
 * translated into the SAME typed broker request (MSG_CALL with the native
 * operation id and input) as the native front, and the broker's answer is
 * rendered the way the engine would have answered.  Data-plane answers
 * (logs, attach...) are relayed from the engine connection the supervisor
 * dialled and wrote (dapi_relay.c).  The broker never sees HTTP.
 *
 * Files: dapi_conn.c (this connection: I/O, sequencing, deadlines),
 * dapi_req.c (reading a request), dapi_path.c (canonical paths, queries),
 * dapi_routes.c (the route table and its translations), dapi_create.c
 * (strict create bodies), dapi_render.c (writing responses), dapi_relay.c
 * (engine streams and hijacked connections), dapi_filters.c (the filters
 * query parameter), dapi_objects.c (networks, volumes, images).
 */
#ifndef DG_WORKER_DAPI_H
#define DG_WORKER_DAPI_H

#include <event2/buffer.h>
#include <event2/event.h>
#include <jansson.h>
#include <stdint.h>

#include "dapi_path.h"
#include "dapi_req.h"
#include "errors.h"
#include "msg.h"
#include "session.h"

#define DAPI_OUT_HIGH (4u << 20) /* stop reading the engine above this much queued */
#define DAPI_OUT_LOW (1u << 20)
#define DAPI_IN_MAX (1u << 20) /* peer bytes held while a request is served */
#define DAPI_STALL_SECS 30     /* a request that makes no progress for this long: 408 */
#define DAPI_CAPTURE_MAX 512   /* a path parameter: an ID, a name, an image reference */

struct dapi;
struct drelay;

/* How a route's answer is carried when the broker hands over an engine stream. */
enum droute_relay {
        DRELAY_NONE = 0, /* control plane: MSG_RESULT rendered by out() */
        DRELAY_CHUNKED,  /* the engine's body, re-chunked (logs, stats, events, pull) */
        DRELAY_HIJACK,   /* attach, exec start: the connection becomes a byte pipe */
        DRELAY_EVENTS,   /* chunked, each event line presented (dapi_events.c) */
        DRELAY_ARCHIVE, /* a tar, chunked, with the engine's path stat header; HEAD: the head */
        DRELAY_PUT,   /* the peer's body (a tar, checked: tar.h) as the engine's chunked body */
        DRELAY_BUILD, /* a build: the context as PUT's body, held for the supervisor's approval
                         of its images, then the engine's progress rendered (dapi_build.c) */
};

struct droute {
        const char *method;       /* "GET", ... */
        const char *pattern;      /* "/containers/{id}/start": at most one {capture} */
        const char *op;           /* the native operation id; NULL: answered by the worker */
        int raw;                  /* the call's carriage is raw (attach, exec start) */
        const char *const *query; /* the query keys accepted (NULL-terminated) */
        /* Builds the native input; -1 after answering the request (an error). */
        int (*in)(struct dapi *d, json_t *input);
        /* Renders the broker's MSG_RESULT output (borrowed). */
        void (*out)(struct dapi *d, const json_t *output);
        enum droute_relay relay;
        const char *ctype; /* the content type of a relayed body */
        int body;          /* the route reads a JSON body; others must send none */
        /*
         * The engine sends this route's status line at once and its body
         * later (wait): the container is first looked up (an inspect call,
         * so that a missing one is still a 404), then the head goes out,
         * then the call itself; its answer, or failure, is the body.
         */
        int early;
};

enum dapi_state {
        DA_IDLE = 0,  /* reading the next request */
        DA_WAITING,   /* MSG_CALL sent */
        DA_STREAMING, /* relaying an engine response */
        DA_HIJACKED,  /* a byte pipe between the peer and the engine */
        DA_CLOSING,   /* last response queued: flush and close */
};

struct dapi {
        struct session *s;
        int fd;
        struct event *rd, *wr, *timer;
        struct evbuffer *in, *out;
        struct dreq_reader reader;
        enum dapi_state state;
        int peer_eof;  /* the peer half-closed */
        int rd_paused; /* not reading the peer: d->in is full */
        int closed_wr; /* FIN sent */

        /* The request being served. */
        uint64_t seq;     /* of its MSG_CALL, when it made one (calls are numbered from 1) */
        int in_call;      /* a MSG_CALL is open: MSG_CALL_END is owed */
        int probing;      /* an early route's lookup call is the one open */
        json_t *held;     /* an early route's input, sent once the lookup succeeded */
        int chunked_open; /* a chunked head went out: the answer is its body */
        const struct droute *route;
        char route_name[MSG_ROUTE_MAX + 1];
        struct dpath path;
        char capture[DAPI_CAPTURE_MAX + 1];
        json_t *body;      /* the request body as JSON, or NULL */
        int head_only;     /* HEAD: no body in the answer */
        int upgrade;       /* Connection: Upgrade, Upgrade: tcp (the 101 form of a hijack) */
        int close_after;   /* the peer asked for Connection: close */
        int json_carriage; /* this request's call is JSON though its route is raw (detach) */
        int quiet;         /* POST /build?q=1: the progress shows only the image ID */
        uint64_t bytes_in, bytes_out;
        struct drelay *relay;
};

/* session.c's side. */
struct dapi *dapi_new(struct session *s); /* takes s->peer_fd */
void dapi_msg(struct dapi *d, struct msg *m);
void dapi_free(struct dapi *d);

/* dapi_conn.c, for the others */
void dapi_send(struct dapi *d, const void *p, size_t n); /* queues bytes to the peer */
/* The answer to the request is complete: MSG_CALL_END (result), then the next one. */
void dapi_finish(struct dapi *d, const char *result);
/* The answer is complete and the connection closes after it is written. */
void dapi_finish_close(struct dapi *d, const char *result);
/* Back-pressure between the engine relay and the peer. */
void dapi_peer_pause(struct dapi *d);
void dapi_peer_resume(struct dapi *d);

/* dapi_render.c */
void dapi_reply(struct dapi *d, int status, const char *ctype, const char *body, size_t len,
                const char *headers);
void dapi_reply_json(struct dapi *d, int status, const json_t *doc);
void dapi_reply_empty(struct dapi *d, int status); /* 204, 304, or 200 with no body */
/* {"message": ...} with status; the request ends (and the connection, when close is set). */
void dapi_reply_error(struct dapi *d, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A broker failure rendered as the engine words it (code -> status). */
void dapi_reply_fail(struct dapi *d, enum dg_err code, const char *text, const json_t *details);
int dapi_status_of(enum dg_err code, const json_t *details);
/* Start of a streamed answer: status line and headers, chunked body. */
void dapi_reply_chunked(struct dapi *d, int status, const char *ctype);
/* The same with more header lines (each ending in CRLF). */
void dapi_reply_chunked_with(struct dapi *d, int status, const char *ctype,
                             const char *headers);
void dapi_chunk(struct dapi *d, const void *p, size_t n); /* n == 0: the last chunk */
/* The hijack answer: 101 UPGRADED when the peer asked to upgrade, else 200 (docker-py). */
void dapi_reply_hijack(struct dapi *d, const char *ctype);

/* dapi_routes.c */
/* The row for method and path, with the capture filled; NULL: *status says 404 or 405. */
const struct droute *droute_find(const char *method, const char *path, char *capture,
                                 size_t caplen, int *status);
/* Query value helpers for translations: absent keys give the default. */
int dq_bool(struct dapi *d, const char *key, int def, int *out); /* -1 after a 400 */
int dq_int(struct dapi *d, const char *key, long long lo, long long hi, int *set,
           long long *out);
const char *dq_str(struct dapi *d, const char *key);

/* dapi_filters.c: the filters query parameter, limited to keys, as input "filters". */
int dq_filters(struct dapi *d, json_t *input, const char *const *keys); /* -1 after a 400 */

/* dapi_events.c: the engine's event lines, names as the peer sees them. */
struct devents;
struct devents *devents_new(const json_t *opts); /* NULL: bad options */
int devents_feed(struct devents *e, struct dapi *d, const char *buf, size_t len); /* -1: bad */
void devents_free(struct devents *e);

/* dapi_build.c: POST /build (docker build), its query, context and progress. */
int dbuild_in(struct dapi *d, json_t *input);              /* the route's translation */
int dbuild_refuse_buildkit(struct dapi *d, json_t *input); /* POST /session, /grpc */
struct dbuild;
/* From the supervisor's build options (worker/build.h); NULL: not its shape (err). */
struct dbuild *dbuild_new(const json_t *opts, int quiet,
                          void (*emit)(void *arg, const unsigned char *p, size_t n), void *arg,
                          char *err, size_t errlen);
void dbuild_free(struct dbuild *b);
/* Context bytes: checked (tar.h, the size cap) and emitted; -1: refused (dbuild_error). */
int dbuild_context(struct dbuild *b, const unsigned char *p, size_t n);
/* The context ended: 0 with *images a new {ref, line} array, or -1 (dbuild_error). */
int dbuild_context_end(struct dbuild *b, json_t **images);
/* Why the context was refused, and its status (403 policy, 400 malformed). */
const char *dbuild_error(const struct dbuild *b, int *status, const char **code);
/* The engine's progress, rendered to d as the engine's JSON lines; -1: malformed. */
int dbuild_progress(struct dbuild *b, struct dapi *d, const char *buf, size_t len);
/* The progress ended: 1 when the engine reported the build failed (an error record). */
int dbuild_progress_end(struct dbuild *b, struct dapi *d);
/* The supervisor's {imageId, tags}: the ID line of a quiet build. */
void dbuild_result(struct dbuild *b, struct dapi *d, const json_t *output);
/* A failure after the progress began: an error record, as the engine ends a failed build. */
void dbuild_fail_record(struct dapi *d, const char *message);

/* dapi_relay.c */
void drelay_start(struct dapi *d, struct msg *m); /* takes m->fd */
/*
 * Peer bytes for the engine (hijacked; peer EOF half-closes the engine side),
 * or the body of a PUT being streamed (DRELAY_PUT).
 */
void drelay_peer_input(struct dapi *d);
void drelay_free(struct drelay *r);
/* A build's supervisor messages while it streams (approval, the image, a failure). */
void drelay_build_msg(struct dapi *d, struct msg *m);
/* The peer's queue went below DAPI_OUT_LOW: read the engine again. */
void drelay_resume(struct dapi *d);

#endif
