/*
 * pool_impl.h - what the pool's files share (pool.c, pool_spawn.c,
 * pool_chan.c, pool_outq.c, pool_reap.c); not for the layers above, which
 * use pool.h.
 */
#ifndef DG_POOL_IMPL_H
#define DG_POOL_IMPL_H

#include <event2/event.h>
#include <time.h>

#include "pool.h"

/* pool_spawn.c: a new worker, SPAWNED, its deadline armed; NULL when it cannot be made. */
struct worker *pool_spawn(struct sv *sv);
void pool_arm_deadline(struct worker *w, time_t seconds);
/* Signals w's process, if we know it (a zygote's worker has no pid until its reply). */
void pool_signal(struct worker *w, int sig);

/* pool.c: pool_fill(), soon (REFILL_DELAY_US). */
void pool_refill(struct sv *sv);

/* pool_chan.c: reading w's channel; closing it (its open calls end); w hung up. */
void pool_chan_read(evutil_socket_t fd, short what, void *arg);
void pool_chan_close(struct worker *w);
void pool_chan_eof(struct worker *w);

/* pool_outq.c: writing w's out-queue; dropping what it holds. */
void pool_chan_write(evutil_socket_t fd, short what, void *arg);
void pool_outq_clear(struct worker *w);

/* pool_reap.c: the worker of pid, or NULL; freeing a worker (channel and events). */
struct worker *pool_find_pid(struct sv *sv, pid_t pid);
void pool_worker_free(struct worker *w);

#endif
