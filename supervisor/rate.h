/*
 * rate.h - the per-peer call rate limit (DESIGN.md invariant 6): a token
 * bucket per peer name, refilled at calls_per_second up to burst.  One table
 * per process (sv->rate), keyed by peer name, surviving policy reloads.
 */
#ifndef DG_RATE_H
#define DG_RATE_H

#include "policy.h"

struct rate;

struct rate *rate_new(void);
void rate_free(struct rate *r);
/*
 * Takes one call from pp's bucket.  0 when the call may go on; -1 when the
 * peer is over its rate, with *retry_ms the wait until it may call again.
 */
int rate_take(struct rate *r, const struct peer_policy *pp, long *retry_ms);

#endif
