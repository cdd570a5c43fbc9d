/*
 * opencall.h - the calls open on one worker's stream, as the supervisor
 * records them, and the calls in flight per peer.
 *
 * A stream carries many calls at once, each named by the worker's seq.
 * The supervisor's record of each (operation, id, peer, resource, start
 * time) is taken at MSG_CALL, never from later messages, and outlives the
 * broker's answer: it is what the call's end record and accounting say
 * (auditrec.c).  It ends with the worker's MSG_CALL_END, or with the
 * worker's channel.
 *
 * Limits (invariant 6): a worker may not have more than maxCallsPerStream
 * calls open (its own check refuses more; one that sends more dies), and a
 * peer not more than maxCallsPerPeer over all its streams (the broker
 * answers RATE_LIMITED past it).
 */
#ifndef DG_OPENCALL_H
#define DG_OPENCALL_H

#include <stdint.h>
#include <sys/queue.h>
#include <time.h>

#include "msg.h"

struct call;
struct sv;
struct worker;

struct opencall {
        TAILQ_ENTRY(opencall) link;
        struct worker *w;
        uint64_t seq;
        struct call *call; /* the broker's record while it owes an answer, or NULL */
        char op[MSG_OP_MAX + 1];
        char id[128 + 1];
        char peer[MSG_PEER_NAME_MAX + 1]; /* who the broker served it as */
        char resource[256 + 1];
        struct timespec t0;
        int cancelled; /* MSG_CANCEL seen for it */
        int counted;   /* holds one of peer's in-flight slots */
};

TAILQ_HEAD(opencall_list, opencall);

/* A new record for seq on w (added to w's list). */
struct opencall *opencall_new(struct worker *w, uint64_t seq, const char *id, const char *op);
/* w's open call seq, or NULL. */
struct opencall *opencall_find(struct worker *w, uint64_t seq);
/* Drops the record (and its peer slot); the broker's call must be gone already. */
void opencall_free(struct opencall *oc);

/*
 * Takes one of peer's in-flight slots for oc: 0, or -1 when the peer has
 * max calls in flight already.
 */
int opencall_count(struct opencall *oc, const char *peer, uint32_t max);
/* Calls in flight for peer (tests, metrics). */
uint32_t opencall_peer_inflight(const struct sv *sv, const char *peer);
/* Frees the per-peer table (shutdown). */
void opencall_shutdown(struct sv *sv);

#endif
