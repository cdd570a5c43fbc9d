/*
 * account.h - per-peer accounting (DESIGN.md "Accounting and audit").
 *
 * Calls by operation and result and the bytes of each call come from the
 * worker's MSG_CALL_END (pool.c); containers owned, their CPU time and
 * memory come from the engine, sampled in the background (sampler.c).
 * Totals are kept across restarts in a small JSON state file, replaced
 * atomically (write, fsync, rename) every few seconds and at shutdown; a
 * crash loses at most the time since the last save.
 *
 * CPU time is the sum, per container, of the growth of the engine's
 * cpu_stats.cpu_usage.total_usage between samples, so a total grows only
 * while a container is busy.  A container seen for the first time counts
 * all its usage so far (its owner used it); one that disappears keeps what
 * was counted.
 */
#ifndef DG_ACCOUNT_H
#define DG_ACCOUNT_H

#include <event2/event.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>

#include "msg.h"

struct audit;

struct acct_calls {
        char op[MSG_OP_MAX + 1];
        char result[32];
        uint64_t n;
};

struct acct_peer {
        TAILQ_ENTRY(acct_peer) link;
        char name[MSG_PEER_NAME_MAX + 1];
        struct acct_calls *calls;
        size_t ncalls, capcalls;
        uint64_t bytes_in, bytes_out; /* peer bytes, frame headers included */
        uint64_t cpu_ns;              /* container CPU time, all time */
        uint64_t mem_peak;            /* highest mem_now ever seen */
        /* from the last sample (not kept across restarts) */
        uint64_t mem_now; /* memory of its running containers, page cache excluded */
        int owned, running;
};

struct acct_ctr {
        TAILQ_ENTRY(acct_ctr) link;
        char id[65];
        char peer[MSG_PEER_NAME_MAX + 1];
        uint64_t last_ns; /* the engine's total_usage at the last sample */
        int have_last;    /* 0: the next sample counts from zero */
        int running;
        int seen;        /* listed in the sample under way */
        uint64_t cpu_ns; /* counted for this container */
        uint64_t mem;
};

TAILQ_HEAD(acct_peers, acct_peer);
TAILQ_HEAD(acct_ctrs, acct_ctr);

struct account {
        struct acct_peers peers;
        struct acct_ctrs ctrs;
        char since[40];      /* when accounting began (RFC 3339), kept across restarts */
        char sampled_at[40]; /* "" before the first sample */
        uint64_t samples;
        int dirty;
        /* what the state file said about the audit log when loaded */
        char audit_path[4096];
        uint64_t audit_seq;
        char audit_hash[65];
        /* periodic save */
        struct event *ev_save;
        char state_path[4096];
        const struct audit *audit;
        const char *audit_file;
};

struct account *account_new(void);
void account_free(struct account *a);

/*
 * Loads the state file (a missing one is a fresh start).  -1 with err on a
 * file that is not a valid state: refusing is better than resetting bills.
 */
int account_load(struct account *a, const char *path, char *err, size_t errlen);
/* Writes the state atomically now.  0, or -1 (logged). */
int account_save(struct account *a);
/*
 * Saves to path every interval_s seconds when something changed.  The
 * audit log's durable position goes with each save (audit_file names it).
 */
int account_autosave(struct account *a, struct event_base *base, const char *path,
                     unsigned interval_s, const struct audit *audit, const char *audit_file);

/* A call ended (MSG_CALL_END, or lost with its worker). */
void account_call_end(struct account *a, const char *peer, const char *op, const char *result,
                      uint64_t bytes_in, uint64_t bytes_out);

/*
 * One sampling round: begin, every listed container, stats of the running
 * ones, end.  account_sample_container returns 1 when it tracks the
 * container (a valid ID and owner), 0 when it ignores it.
 */
void account_sample_begin(struct account *a);
int account_sample_container(struct account *a, const char *id, const char *peer, int running);
void account_sample_stats(struct account *a, const char *id, uint64_t cpu_total_ns,
                          uint64_t mem);
void account_sample_end(struct account *a);

/* NULL when the peer has no record yet. */
const struct acct_peer *account_peer(const struct account *a, const char *name);
/* gateway/usage's output for peer (a record of zeros when there is none). */
json_t *account_usage(const struct account *a, const char *peer, int live_streams);

#endif
