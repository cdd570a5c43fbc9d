/*
 * stream.h - relaying one engine response (a data-plane call, MSG_STREAM).
 *
 * The supervisor opened the engine connection and wrote the whole request
 * (with Connection: close); the worker only reads the response.  How the
 * response becomes peer frames depends on the stream kind: one row per kind
 * in stream.c's table, each kind in its own file (stream_logs.c, ...).
 *
 * Back-pressure: while more than PEER_OUT_HIGH bytes are queued towards the
 * peer the engine fd is not read; reading resumes below PEER_OUT_LOW.
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

/*
 * One stream kind.  start() checks the supervisor's opts and returns the
 * kind's state (NULL with err filled: the call fails INTERNAL).  head, body
 * and done follow the HTTP response; each returns 0 to go on or -1 to stop,
 * which it must do once it has ended the call (call_complete/call_fail).
 * done may be NULL: the call then completes when the message does.
 */
struct stream_kind {
        const char *name;
        void *(*start)(struct stream *st, const json_t *opts, char *err, size_t errlen);
        int (*head)(struct stream *st, int status);
        int (*body)(struct stream *st, const char *buf, size_t len);
        int (*done)(struct stream *st);
        void (*free)(void *state);
};

struct stream {
        struct session *s;
        int fd; /* the engine connection */
        struct event *rd;
        struct http_read http;
        const struct stream_kind *kind;
        void *state; /* the kind's */
        int paused;  /* back-pressure: not reading fd */
        int busy;    /* inside the HTTP reader: freeing is deferred */
        int dead;    /* the call ended: free once no longer busy */
};

extern const struct stream_kind stream_logs_kind;

/* Starts relaying m's fd (taken from m) for the call in flight. */
void stream_start(struct session *s, struct msg *m);
/* Drops s->stream, closing the engine connection (deferred inside callbacks). */
void stream_drop(struct session *s);
/* Back-pressure, driven by peer.c; no-ops without a stream. */
void stream_pause(struct session *s);
void stream_resume(struct session *s);

#endif
