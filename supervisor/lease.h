/*
 * lease.h - leases: nothing a peer creates outlives the coordinator that
 * asked for it (docs/operations.md, "Leases").
 *
 * A container, network or volume may be created with input "lease":
 *   {"session": true}      removed once the creating stream has been gone
 *                          for graceSeconds (default 30, at most 60);
 *   {"ttlSeconds": N}      removed N seconds after its creation;
 * or both (whichever comes first).  The lease is stamped as labels under
 * the reserved owner label, which peers cannot set or change:
 *   <owner>.lease          "1" (the marker the reaper lists by)
 *   <owner>.lease.session  the creating stream's session id
 *   <owner>.lease.grace    grace in seconds
 *   <owner>.lease.expires  UNIX time the TTL ends
 * so that a restarted gateway still reaps what expired while it was down:
 * a session id names the gateway instance (a random boot id), and a
 * session of another instance ended no later than this one started.
 *
 * The reaper ticks every leaseTickSeconds (config; default 5): it lists the
 * leased containers, networks and volumes and removes the expired ones
 * (containers with their anonymous volumes), then the exited containers
 * past their peer's retention (policy "retention", off by default).  Each
 * removal is audited ("reap": peer, kind, resource, lease, reason, result)
 * and counted in the peer's accounting.
 */
#ifndef DG_LEASE_H
#define DG_LEASE_H

#include <jansson.h>

struct sv;
struct call;
struct lease;

#define LEASE_GRACE_DEFAULT_S 30
#define LEASE_GRACE_MAX_S 60
#define LEASE_TTL_MAX_S (30LL * 86400) /* a month */

/* Starts the reaper's tick on sv's loop; NULL when out of memory. */
struct lease *lease_start(struct sv *sv, unsigned tick_s);
void lease_free(struct lease *l);

/*
 * Adds the lease labels of input "lease" (if any) to labels, for the
 * stream that carries c.  0, or -1 after answering the call.
 */
int lease_stamp(struct call *c, json_t *labels);

/* Resources reaped since the start (for tests and metrics). */
unsigned long lease_reaped(const struct lease *l);

#endif
