/*
 * pool.h - the supervisor's workers: spawning, the idle pool, the channel to
 * each worker and the state table that says what a worker may send when.
 *
 * States: SPAWNED (exec'd, sandboxing itself) -> READY (in the pool, waiting
 * for a peer) -> SERVING (owns one peer stream) -> reaped.  A worker is never
 * reused for a second peer.  A message its state does not permit, or one
 * that does not decode, kills it (SIGKILL) and only it.
 */
#ifndef DG_POOL_H
#define DG_POOL_H

#include <event2/event.h>
#include <jansson.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#include "msg.h"
#include "supervisor.h"

enum worker_state { W_SPAWNED, W_READY, W_SERVING, W_DYING };

struct outmsg {
        TAILQ_ENTRY(outmsg) link;
        char *buf;
        size_t len;
        int fd; /* passed with the message, closed once sent; -1 if none */
        uint64_t ticket; /* held until the audit log is durable up to it; 0: not held */
};

struct call;

struct worker {
        TAILQ_ENTRY(worker) link;
        struct sv *sv;
        pid_t pid;
        int chan; /* our end of the SEQPACKET pair; -1 once closed */
        enum worker_state state;
        struct event *ev_read, *ev_write, *ev_deadline;
        TAILQ_HEAD(, outmsg) outq;
        size_t outq_bytes;
        struct timespec started; /* for hand-off and lifetime accounting */

        /* identity of the peer it serves: the supervisor's own record */
        char peer[MSG_PEER_NAME_MAX + 1];
        uid_t peer_uid;
        gid_t peer_gid;
        int tcp;       /* a TCP stream: each call's token names the peer, bound at the first */
        int refused;   /* handed off only to be refused: not one of the peer's streams */
        char token_id[16]; /* TCP: the short id of the token the stream is bound to */

        uint64_t last_seq;  /* highest call number seen */
        uint64_t open_seq;  /* call not yet ended by MSG_CALL_END, or 0 */
        struct call *call;  /* the broker's record while it owes an answer */

        /*
         * The open (or last) call as recorded at MSG_CALL, kept past the
         * broker's answer for its end record and accounting (auditrec.c).
         */
        char open_op[MSG_OP_MAX + 1];
        char open_id[128 + 1];
        char open_peer[MSG_PEER_NAME_MAX + 1]; /* who the broker served it as */
        char open_resource[256 + 1];
        struct timespec open_t0;
        int open_cancelled; /* MSG_CANCEL seen for it */
        int lost_call;      /* the channel closed while it was open */
        int killed;         /* we sent SIGKILL: its death is not a crash */
};

/*
 * What the pool calls above it (sv->calls, wired by main.c): the broker for
 * a worker's calls, the listener when a worker becomes ready.  The pool
 * checked the state and the sequence numbers first.
 */
struct pool_calls {
        /* MSG_CALL m (its input may be taken); -1: the worker must die. */
        int (*call)(struct worker *w, struct msg *m);
        /* The call w->call (if any) goes away: the peer aborted or the channel closed. */
        void (*cancel)(struct worker *w);
        /* MSG_CALL_END for the open call: -1 when the broker still owes a plain answer. */
        int (*call_end)(struct worker *w);
        /* MSG_STREAM_END and MSG_RESIZE of the kept stream seq; -1: the worker must die. */
        int (*stream_end)(struct worker *w, uint64_t seq);
        int (*resize)(struct worker *w, uint64_t seq, uint32_t rows, uint32_t cols);
        /* A worker became ready: peers waiting for one can have it. */
        void (*ready)(struct sv *sv);
};

/*
 * The state table (pool_state.c): runs m if w's state permits it, in
 * order.  0, or -1 with why filled in: the caller kills w.
 */
int pool_state_dispatch(struct worker *w, struct msg *m, char *why, size_t whylen);

/*
 * The audit records of workers (pool_audit.c).  pool_audit_end(): w's open
 * call ended, reported by the worker (MSG_CALL_END, with its byte counts)
 * or lost with the worker (reported 0).  pool_audit_worker(): a worker
 * event, "killed" (by us, detail says why), "sandbox-violation", "crash".
 */
void pool_audit_end(struct worker *w, const char *result, uint64_t bytes_in, uint64_t bytes_out,
                    int reported);
void pool_audit_worker(struct worker *w, const char *event, const char *detail);
/* For every record: a JSON string of s (null when empty; non-UTF-8 bytes as '?'), */
json_t *pool_audit_str(const char *s);
/* who (peer, uid or token id, worker pid), */
json_t *pool_audit_who(const struct worker *w, const char *peer);
/* and microseconds since t0 (0 when unset). */
int64_t pool_audit_since_us(const struct timespec *t0);

void pool_init(struct sv *sv);
/* Starts workers until ready + spawning reaches the configured pool size. */
void pool_fill(struct sv *sv);
/* An idle, sandboxed worker, or NULL when none is ready. */
struct worker *pool_take(struct sv *sv);
/*
 * Hands the peer's fd (always consumed) to w with the identity; w becomes
 * SERVING.  tcp: no identity yet (peer NULL), each call carries a token.
 * refusal: NULL, or the error code the worker answers the first call with
 * before closing (a peer over its stream quota).
 */
int pool_hand_off(struct worker *w, int peer_fd, const char *peer, uid_t uid, gid_t gid,
                  int tcp, const char *refusal);
/* Queues a message for w; takes ownership of fd (-1 for none).  -1 if w is gone. */
int pool_send(struct worker *w, const struct msg *m, int fd);
/*
 * The same, but the message (and every later one to w) waits until the
 * audit log is durable up to ticket (audit.h); 0 holds nothing.
 */
int pool_send_held(struct worker *w, const struct msg *m, int fd, uint64_t ticket);
/* The audit log became durable further: send what it held. */
void pool_release(void *sv);
/* Kills w (SIGKILL) for reason; its call is cancelled; it is reaped later. */
void pool_kill(struct worker *w, const char *reason);
/* SIGCHLD: reap every exited worker, log how it ended, refill the pool. */
void pool_reap(struct sv *sv);
/* Shutdown: close every channel, wait briefly, kill what remains. */
void pool_shutdown(struct sv *sv);
int pool_count(const struct sv *sv, enum worker_state st);
/*
 * The streams now served for peer (SERVING workers bound to it, refused
 * ones aside), except one: the one count behind the stream quota, usage,
 * whoami, info and the admin metrics.
 */
int pool_streams(const struct sv *sv, const char *peer, const struct worker *except);

#endif
