/*
 * session.h - everything one worker knows about its one stream.
 *
 * A worker serves exactly one peer connection and exits, so there is one
 * struct session, owned by main().  All per-stream state lives here (never
 * in file-scope variables): the peer connection and its frame decoder, and
 * the calls in flight (call.h: each with its own engine stream, byte
 * counters and queue of frames).
 */
#ifndef DG_WORKER_SESSION_H
#define DG_WORKER_SESSION_H

#include <sys/queue.h>

#include <event2/event.h>
#include <stdint.h>

#include "envelope.h"
#include "frame.h"
#include "msg.h"

struct call;
struct raw_in;
struct dapi;
struct sent;
struct call_up;

TAILQ_HEAD(call_list, call);

/*
 * Calls whose late answers are dropped: the peer aborted them or they
 * ended while the supervisor might still answer (a kept stream).  More
 * than the calls a stream may have in flight, so none is forgotten early.
 */
#define SESSION_ENDED_RING 256

/*
 * How long a closing stream may go without progress (a byte written to the
 * peer, the peer taking bytes out of the kernel's queue, or a byte read
 * from it) before it is closed anyway.  Never a total: a slow reader that
 * reads gets everything, however long it takes.
 */
#define SESSION_FLUSH_SECS 10

/*
 * Back-pressure on the peer's queue (s->out): the engine streams stop
 * reading above HIGH queued bytes and resume below LOW (peer.c, stream.c,
 * raw.c).
 */
#define PEER_OUT_HIGH (4u << 20)
#define PEER_OUT_LOW (1u << 20)

struct session {
        struct event_base *base;
        int chan; /* fd 3: the supervisor */
        struct event *chan_ev;

        /* The peer connection. */
        int peer_fd;
        struct event *peer_rd, *peer_wr;
        struct evbuffer *out; /* frames queued towards the peer */
        struct frame_dec dec;
        struct event *timer; /* first-call or idle timeout, or flush deadline when closing */
        char peer_name[MSG_PEER_NAME_MAX + 1];
        int authenticated;
        uint32_t peer_uid, peer_gid; /* SO_PEERCRED, as the supervisor read it (unix) */
        int tcp;                     /* each call must carry auth.token, forwarded unjudged */
        char refusal[32]; /* "" or the error code the first call gets before closing */
        uint32_t max_frame;
        uint32_t idle_timeout; /* seconds; 0: none */
        uint32_t first_call;   /* seconds a stream may say nothing at first; 0: idle_timeout */
        /*
         * Progress on the peer connection: bytes written to it, or read from
         * it while closing.  Deadlines measure time without progress, never
         * total time, so that a slow reader that reads loses nothing.
         */
        uint64_t progress, progress_armed;
        uint32_t kq_armed; /* bytes in the kernel's send queue when the deadline was armed */
        struct sent *sent; /* what of the output was written, per call (sent.h) */
        int closing;       /* last frame queued: flush, close, exit */
        struct dapi *dapi; /* the Docker-API front (dapi.h), or NULL: native frames */
        int done;          /* the loop is being left */
        const struct call_up
            *up; /* what the calls reach above them (call.h), set by session.c */

        /* The calls (call.h). */
        uint32_t max_calls;     /* in flight at once (MSG_PEER); past it RATE_LIMITED */
        struct call_list calls; /* in flight, oldest first */
        unsigned ncalls;
        unsigned nopen;         /* started and not yet reported ended (MSG_CALL_END, sent.c) */
        struct call_list ready; /* calls with frames waiting in their own queue */
        struct call_list ended; /* ended: freed off the callback that ended them */
        struct event *reap;     /* frees the ended calls */
        struct call *raw;       /* the raw-carriage call owning the stream, or NULL */
        uint64_t seq;           /* of the last call started; calls are numbered from 1 */
        uint64_t dropped[SESSION_ENDED_RING]; /* see SESSION_ENDED_RING */
        unsigned ndropped;
        int draining;         /* no new calls: close once those in flight ended */
        struct raw_in *rawin; /* raw carriage: the peer's chunks (raw.c), once some came */
};

/* Takes ownership of the peer fd in m (MSG_PEER); fatal on failure. */
struct session *session_new(struct event_base *base, int chan, struct msg *peer);
void session_free(struct session *s);

/*
 * deadline.c: arms the idle timer (no call in flight) or disarms it (a call
 * started); while closing, the flush deadline (SESSION_FLUSH_SECS).
 */
void session_idle(struct session *s, int idle);
/* deadline.c: leaves the event loop; main() frees and exits 0. */
void session_finish(struct session *s);
/*
 * deadline.c: bytes written to the peer connection that the peer has not
 * taken yet (SO_MEMINFO), 0 if unknown.
 */
uint32_t session_kernel_queued(const struct session *s);

#endif
