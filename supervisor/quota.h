/*
 * quota.h - per-peer quotas and shares of engine connections (DESIGN.md
 * invariants 5 and 6).  The call rate is rate.h's; the streams a peer has
 * open are counted by pool_streams().
 *
 * Usage is read from the engine every time it is checked (the peer's
 * containers, by owner label), never counted in the supervisor, so that a
 * restart of dockgated resets nothing.  What the supervisor does keep, in
 * one table per process (struct quota, in struct sv), is what the engine
 * cannot know yet:
 * - holds: the containers, memory and CPUs of creates and starts in
 *   flight, added to the engine's numbers so that concurrent calls of one
 *   peer cannot all pass the same check; a hold lives until its call is
 *   freed, and is not counted once the engine's list shows its container
 *   (by name for a create, live by ID for a start), so nothing counts twice.
 * Entries are keyed by peer name and survive policy reloads.
 *
 * The limits a container was created with are stamped on it as labels
 * under the owner label (<owner>.memory, <owner>.nanocpus), which peers
 * cannot set, so that one list request gives the live totals.
 */
#ifndef DG_QUOTA_H
#define DG_QUOTA_H

#include <jansson.h>
#include <stdint.h>

#include "engine.h"
#include "policy.h"

struct call;
struct sv;
struct worker;
struct quota;
struct quota_hold;

struct quota *quota_new(void);
void quota_free(struct quota *q);

/*
 * A peer's share of engine connections (engine.h), for a request with this
 * timeout: at most QUOTA_ENGINE_CONTROL control-plane requests of one peer
 * run at once (of the ENGINE_MAX_CONNS all peers share), and at most
 * QUOTA_ENGINE_HELD long-held ones (wait), on connections of their own;
 * the peer's further requests wait for its own to end (invariant 6).
 * NULL when out of memory.  The share lives as long as the quota table.
 */
#define QUOTA_ENGINE_CONTROL 16
#define QUOTA_ENGINE_HELD 128
struct engine_share *quota_engine_share(struct quota *q, const char *peer, long timeout_ms);

struct quota_usage {
        int64_t containers;   /* owned, in any state */
        int64_t live;         /* running, paused or restarting */
        int64_t paused;       /* of the live ones */
        int64_t memory_bytes; /* sum over the live ones */
        int64_t nano_cpus;
};

/*
 * Reads the caller's usage from the engine, then runs cb.  On an engine
 * failure the call is answered and cb never runs.
 */
typedef void (*quota_usage_cb)(struct call *c, const struct quota_usage *u);
void quota_usage(struct call *c, quota_usage_cb cb);

/*
 * Room for one more container with these limits (create), or for one more
 * live container (start, restart)?  On success a hold is taken for the
 * call and next runs; otherwise the call is answered QUOTA_EXCEEDED with
 * details {"quota", "limit", "used", "asked"}.
 */
void quota_check_create(struct call *c, const char *engine_name, int64_t memory,
                        int64_t nano_cpus, void (*next)(struct call *c));
void quota_check_start(struct call *c, const char *id, int64_t memory, int64_t nano_cpus,
                       void (*next)(struct call *c));

/*
 * The pure parts of a check, which the call-driven ones above are made of
 * (unit-tested in tests/unit/test_sv_quota.c).
 *
 * quota_count: the peer's usage in the engine's list of containers (only
 * those carrying owner_label=peer; a live one without stamped limits counts
 * the peer's defaults).
 *
 * quota_hold_new: a hold, not yet taken, on what one call adds in peer's
 * entry of q: a create, one container (ref: its engine-side name); a start,
 * memory and nano_cpus to the live totals (ref: the full ID).  NULL when out
 * of memory.  quota_take: does it fit the quotas q, with usage u read from
 * list plus the peer's other taken holds that list does not show yet?  Then
 * it is taken (counted by the next take) and 0; else -1 with o saying which
 * quota, its limit, the usage and what was asked.
 */
enum quota_hold_kind { QUOTA_HOLD_USAGE, QUOTA_HOLD_CREATE, QUOTA_HOLD_START };
struct quota_over {
        const char *quota; /* "containers", "memoryBytes", "nanoCpus" */
        int64_t limit, used, asked;
};
void quota_count(const json_t *list, const char *owner_label, const char *peer,
                 const struct policy_limits *dflt, struct quota_usage *u);
struct quota_hold *quota_hold_new(struct quota *q, const char *peer, enum quota_hold_kind kind,
                                  const char *ref, int64_t memory, int64_t nano_cpus);
int quota_take(struct quota_hold *h, const json_t *list, const struct quota_usage *u,
               const struct policy_quotas *q, struct quota_over *o);

/* Releases a hold (NULL is fine); called when the call's state is freed. */
void quota_release(struct quota_hold *h);

/* Stamps the limits of a new container on its labels (an object), under owner_label. */
void quota_stamp(const char *owner_label, json_t *labels, int64_t memory, int64_t nano_cpus);
/*
 * What quota_stamp() wrote under what ("memory", "nanocpus"): the value the
 * quota totals count for the container, dflt when it carries none.
 */
int64_t quota_stamped(const char *owner_label, const json_t *labels, const char *what,
                      int64_t dflt);

#endif
