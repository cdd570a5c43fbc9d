/*
 * stream.h - relaying one engine response (a data-plane call, MSG_STREAM).
 *
 * The supervisor opened the engine connection and wrote the whole request
 * (with Connection: close); the worker only reads the response.  How the
 * response becomes peer frames depends on the stream kind: one row per kind
 * in stream.c's table, each kind in its own file (stream_logs.c, ...).
 *
 * Each call in flight has its own stream.  Back-pressure: while more than
 * CALL_OUT_HIGH bytes wait in the call's own queue (call.h), or, for raw
 * carriage, PEER_OUT_HIGH in the peer's, the engine fd is not read; reading
 * resumes below the LOW marks.
 */
#ifndef DG_WORKER_STREAM_H
#define DG_WORKER_STREAM_H

#include <event2/event.h>
#include <jansson.h>
#include <stddef.h>

#include "http.h"
#include "msg.h"
#include "session.h"

struct stream;
struct call;

/*
 * One stream kind.  start() checks the supervisor's opts and returns the
 * kind's state (NULL with err filled: the call fails INTERNAL).  head, body
 * and done follow the HTTP response; each returns 0 to go on or -1 to stop,
 * which it must do once it has ended the call (call_complete/call_fail).
 * done may be NULL: the call then completes when the message does.  A
 * done that returns 0 without ending the call waits for the supervisor:
 * the engine is no longer read, and msg() gets the MSG_RESULT or MSG_FAIL
 * that follows the kind's MSG_STREAM_END (exec's exit code).  started, if
 * set, runs once the stream is in place (c->stream set); it may end the
 * call.
 */
struct stream_kind {
        const char *name;
        void *(*start)(struct stream *st, const json_t *opts, char *err, size_t errlen);
        int (*head)(struct stream *st, int status);
        int (*body)(struct stream *st, const char *buf, size_t len);
        int (*done)(struct stream *st);
        void (*free)(void *state);
        void (*started)(struct stream *st);
        void (*msg)(struct stream *st, struct msg *m);
};

struct stream {
        struct session *s;
        struct call *c; /* the call it relays for */
        int fd;         /* the engine connection */
        struct event *rd;
        struct http_read http;
        const struct stream_kind *kind;
        void *state; /* the kind's */
        int paused;  /* back-pressure: not reading fd */
        int busy;    /* inside the HTTP reader: freeing is deferred */
        int dead;    /* the call ended: free once no longer busy */
};

extern const struct stream_kind stream_logs_kind;
extern const struct stream_kind stream_exec_kind;     /* stream_exec.c */
extern const struct stream_kind raw_exec_kind;        /* raw.c, and the three below */
extern const struct stream_kind raw_attach_kind;      /* "attach" */
extern const struct stream_kind raw_archive_get_kind; /* "archive_get" */
extern const struct stream_kind raw_archive_put_kind; /* "archive_put" */
extern const struct stream_kind raw_build_kind;       /* "build" */

/*
 * stream_logs.c's records for other kinds whose output reads like logs
 * (stream_exec.c): the same demultiplexing, text/base64 records and error
 * mapping.  flush sends what is held at the end of the body; like the
 * other two it returns -1 once it has ended the call (an engine error).
 */
struct logs;
struct logs *stream_logs_new(struct stream *st, int tty);
int stream_logs_head_of(struct logs *l, int status);
int stream_logs_feed(struct logs *l, const char *buf, size_t len);
int stream_logs_flush(struct logs *l);
void stream_logs_free(void *state);

/*
 * The engine refused the request (status not 2xx; body[0..len) is its
 * answer, perhaps cut short): ends the call with the engine's message,
 * mapped to a code as the supervisor maps engine answers.  For every kind;
 * in stream_logs.c so that the engine-reader fuzz harness links it.
 */
void stream_logs_engine_error(struct stream *st, int status, const char *body, size_t len);
/* The kind's output ended: MSG_STREAM_END asks the supervisor for the exit code. */
void stream_send_end(struct stream *st);

/* Starts relaying m's fd (taken from m) for call c. */
void stream_start(struct call *c, struct msg *m);
/* MSG_RESULT or MSG_FAIL for a streaming call: the kind's msg(), or fatal. */
void stream_msg(struct call *c, struct msg *m);
/* Drops c->stream, closing the engine connection (deferred inside callbacks). */
void stream_drop(struct call *c);
/* Back-pressure, driven by peer.c; no-ops without a stream. */
void stream_pause(struct call *c);
void stream_resume(struct call *c);

#endif
