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
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <time.h>

#include "msg.h"
#include "opencall.h"
#include "supervisor.h"

enum worker_state { W_SPAWNED, W_READY, W_SERVING, W_DYING };

struct outmsg {
        TAILQ_ENTRY(outmsg) link;
        char *buf;
        size_t len;
        int fd;          /* passed with the message, closed once sent; -1 if none */
        uint64_t ticket; /* held until the audit log is durable up to it; 0: not held */
};

struct call;
struct admit_peer;

struct zpend;

struct worker {
        TAILQ_ENTRY(worker) link;
        struct sv *sv;
        pid_t pid;           /* 0 while a zygote's reply has not named it */
        int forked;          /* forked by a zygote (zygote.h), not posix_spawn'd */
        struct zpend *zpend; /* its request, while the zygote's reply is awaited */
        int chan;            /* our end of the SEQPACKET pair; -1 once closed */
        enum worker_state state;
        struct event *ev_read, *ev_write, *ev_deadline;
        TAILQ_HEAD(, outmsg) outq;
        size_t outq_bytes;
        struct timespec started; /* for hand-off and lifetime accounting */

        /* identity of the peer it serves: the supervisor's own record */
        char peer[MSG_PEER_NAME_MAX + 1];
        uid_t peer_uid;
        gid_t peer_gid;
        int tcp;     /* a TCP stream: each call's token names the peer, bound at the first */
        int refused; /* handed off only to be refused: not one of the peer's streams */
        char token_id[16];        /* TCP: the short id of the token the stream is bound to */
        int docker;               /* the worker serves the Docker-API front: engine documents */
        struct admit_peer *admit; /* admission's count this stream is in (admit.c), or NULL */

        uint64_t last_seq;          /* highest call number seen */
        struct opencall_list calls; /* open: not yet ended by MSG_CALL_END (opencall.h) */
        uint32_t ncalls;

        /* The last call's operation and peer, for worker records (auditrec.c). */
        char open_op[MSG_OP_MAX + 1];
        char open_peer[MSG_PEER_NAME_MAX + 1]; /* who the broker served it as */
        char open_route[MSG_ROUTE_MAX + 1];    /* Docker front: the last call's route */
        int killed;                            /* we sent SIGKILL: its death is not a crash */
};

/*
 * The state table (pool_state.c): runs m if w's state permits it, in
 * order.  0, or -1 with why filled in: the caller kills w.
 */
int pool_state_dispatch(struct worker *w, struct msg *m, char *why, size_t whylen);
/* Moves w to state st, keeping the counts and the ready-first order. */
void pool_set_state(struct worker *w, enum worker_state st);

void pool_init(struct sv *sv);
/*
 * From zygote.c: w's zygote named its pid (-1: not a new child of ours, the
 * caller then drops w and the zygote), or could not fork it (w is dropped).
 */
int pool_forked(struct worker *w, pid_t pid);
void pool_fork_failed(struct worker *w);
/* Starts workers until ready + spawning reaches the configured pool size. */
void pool_fill(struct sv *sv);
/* An idle, sandboxed worker, or NULL when none is ready. */
struct worker *pool_take(struct sv *sv);
/*
 * Hands the peer's fd (always consumed) to w with the identity; w becomes
 * SERVING.  tcp: no identity yet (peer NULL), each call carries a token.
 * docker: the worker runs the Docker-Engine-API front (MSG_PEER.front).
 * refusal: NULL, or the error code the worker answers the first call with
 * before closing (a peer over its stream quota).
 */
int pool_hand_off(struct worker *w, int peer_fd, const char *peer, uid_t uid, gid_t gid,
                  int tcp, int docker, const char *refusal);
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
 * ones aside), except one: the one count behind the stream quota,
 * admission, usage, whoami, info and the admin metrics.
 */
int pool_streams(const struct sv *sv, const char *peer, const struct worker *except);

#endif
