/*
 * call.h - the calls of one stream (PROTOCOL.md sections 1-2, and
 * docs/protocol.md "Many calls on one stream").
 *
 * Peer frames come in through call_frame(), supervisor messages through
 * call_msg().  Each call.requested with a new id starts a call that runs
 * beside the others in flight (up to s->max_calls; past it RATE_LIMITED):
 * waiting (MSG_CALL sent) -> possibly streaming (MSG_STREAM, its own
 * engine stream) -> ended by exactly one terminal frame, after which the
 * worker sends MSG_CALL_END for its seq.  A raw-carriage call owns the
 * whole stream: it starts only when no other call is in flight, and the
 * stream closes after it.
 *
 * Fairness: a call's frames go straight to the peer's queue while that is
 * short; otherwise into the call's own queue, from which peer.c takes them
 * round-robin, a quantum per call, so that a busy subscription delays a
 * ping behind it by at most one quantum.  A call's engine stream is paused
 * while its own queue is long (CALL_OUT_HIGH), not the others'.
 */
#ifndef DG_WORKER_CALL_H
#define DG_WORKER_CALL_H

#include <sys/queue.h>

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "msg.h"
#include "session.h"

struct stream;
struct evbuffer;

/* A call's own queue: its stream pauses above HIGH and resumes below LOW. */
#define CALL_OUT_HIGH (1u << 20)
#define CALL_OUT_LOW (256u << 10)

enum call_state {
        CALL_WAITING = 1, /* MSG_CALL sent, the supervisor has not answered yet */
        CALL_STREAMING,   /* relaying an engine response (MSG_STREAM) */
        CALL_ENDED,       /* terminal frame queued, MSG_CALL_END sent */
};

struct call {
        TAILQ_ENTRY(call) link;  /* s->calls while in flight, then s->ended */
        TAILQ_ENTRY(call) qlink; /* s->ready while frames wait in out */
        struct session *s;
        enum call_state state;
        int queued; /* on s->ready */
        uint64_t seq;
        char id[ENV_ID_MAX + 1];
        char op[MSG_OP_MAX + 1];
        int raw;                      /* raw carriage: the stream closes after the call */
        int raw_started;              /* raw: call.responded sent, chunks only from now */
        uint64_t bytes_in, bytes_out; /* peer bytes of this call, frame headers included */
        struct stream *stream;        /* engine stream of a data-plane call, or NULL */
        struct evbuffer *out;         /* this call's frames not yet in the peer's queue */
        int end_pending;              /* ended; MSG_CALL_END not handed to sent.c yet */
        char end_result[32];
};

/* One complete peer frame (payload json[0..len), wire bytes counted in nbytes). */
/*
 * What the calls reach above them, given by session.c (s->up): the peer
 * connection (peer.c) and the engine streams (stream.c, raw.c).  call.c
 * includes neither.
 */
struct call_up {
        int (*send)(struct call *c, char *json, size_t len);          /* peer_send */
        int (*send_frame)(struct session *s, char *json, size_t len); /* peer_send_frame */
        void (*flush_calls)(struct session *s);                       /* peer_flush_calls */
        void (*stop_reading)(struct session *s);                      /* peer_stop_reading */
        void (*close)(struct session *s);                             /* peer_close */
        void (*stream_start)(struct call *c, struct msg *m);          /* stream.h */
        void (*stream_msg)(struct call *c, struct msg *m);
        void (*stream_drop)(struct call *c);
        /* A raw call's error after call.responded: a control chunk (raw.h). */
        void (*raw_error)(struct call *c, enum dg_err code, const char *message);
};

void call_frame(struct session *s, const char *json, size_t len, size_t nbytes);
/*
 * A frame the decoder refused (length 0 or too big), or an envelope that
 * breaks the protocol: every call in flight stops, the frames already
 * produced are delivered, then PROTOCOL_ERROR, then the stream closes.
 */
void call_protocol_error(struct session *s, const char *id, const char *message);
/* The peer closed its connection or it broke: every call in flight is cancelled. */
void call_peer_gone(struct session *s);
/* One message from the supervisor (m is cleared by the caller). */
void call_msg(struct session *s, struct msg *m);
/* The call of that seq in flight, or NULL. */
struct call *call_find(struct session *s, uint64_t seq);
/* Frees what the session still holds of its calls (at exit). */
void call_free_all(struct session *s);

/*
 * For a call in flight (stream kinds use these):
 * call_respond() sends one call.responded (output borrowed); -1 when the
 * frame would be too big (nothing sent).  call_complete() and call_fail()
 * send the terminal frame, then MSG_CALL_END, and end the call.
 */
int call_respond(struct call *c, json_t *output);
void call_complete(struct call *c);
void call_fail(struct call *c, enum dg_err code, const char *message, json_t *details);
/*
 * Raw carriage, after call.responded: the last chunk (control exit or
 * error) is queued; end the call with result (MSG_CALL_END) and close.
 * call_fail() then sends a control error chunk instead of call.error.
 */
void call_finish_raw(struct call *c, enum dg_err result);
/* peer.c: c's own queue is empty; an ended call's end is reported (sent.h). */
void call_queue_empty(struct call *c);
/* The peer aborted c: MSG_CANCEL, and any late answer for it is dropped. */
void call_cancel_sent(struct call *c);

#endif
