/*
 * session.h - everything one worker knows about its one stream.
 *
 * A worker serves exactly one peer connection and exits, so there is one
 * struct session, owned by main().  All per-stream state lives here (never
 * in file-scope variables): the peer connection and its frame decoder, the
 * call in flight, the engine stream relaying it, and the byte counters.
 */
#ifndef DG_WORKER_SESSION_H
#define DG_WORKER_SESSION_H

#include <event2/event.h>
#include <stdint.h>

#include "envelope.h"
#include "frame.h"
#include "msg.h"

struct stream;
struct raw_in;
struct sent;

enum call_state {
        CALL_IDLE = 0,  /* no call in flight: the peer may send the next one */
        CALL_WAITING,   /* MSG_CALL sent, the supervisor has not answered yet */
        CALL_STREAMING, /* relaying an engine response (MSG_STREAM) */
};

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
        int tcp;               /* each call must carry auth.token, forwarded unjudged */
        char refusal[32];      /* "" or the error code the first call gets before closing */
        uint32_t max_frame;
        uint32_t idle_timeout; /* seconds; 0: none */
        uint32_t first_call;   /* seconds a stream may say nothing at first; 0: idle_timeout */
        /*
         * Progress on the peer connection: bytes written to it, or read from
         * it while closing.  Deadlines measure time without progress, never
         * total time, so that a slow reader that reads loses nothing.
         */
        uint64_t progress, progress_armed;
        uint32_t kq_armed;  /* bytes in the kernel's send queue when the deadline was armed */
        struct sent *sent;  /* what of the output was written, per call (sent.h) */
        int closing;           /* last frame queued: flush, close, exit */
        int done;              /* the loop is being left */

        /* The call in flight (or the last one). */
        enum call_state state;
        uint64_t seq;         /* of the call in flight; calls are numbered from 1 */
        uint64_t aborted_seq; /* the last call the peer aborted (0: none) */
        char id[ENV_ID_MAX + 1];
        char op[MSG_OP_MAX + 1];
        int raw;                      /* raw carriage: the stream closes after the call */
        uint64_t bytes_in; /* peer bytes of this call, frame headers included */
        struct stream *stream;        /* engine stream of a data-plane call, or NULL */
        struct raw_in *rawin; /* raw carriage: the peer's chunks (raw.c), once some came */
        int raw_started;      /* raw carriage: call.responded sent, chunks only from now */
};

/* Takes ownership of the peer fd in m (MSG_PEER); fatal on failure. */
struct session *session_new(struct event_base *base, int chan, struct msg *peer);
void session_free(struct session *s);

/* Arms the idle timer (no call in flight) or disarms it (a call started). */
void session_idle(struct session *s, int idle);
/* Leaves the event loop; main() frees and exits 0. */
void session_finish(struct session *s);

#endif
