/*
 * pool_impl.h - what the pool's files (pool.c, pool_outq.c, pool_state.c,
 * pool_reap.c) share; nothing outside them includes it.
 */
#ifndef DG_POOL_IMPL_H
#define DG_POOL_IMPL_H

#include "pool.h"

#define OUTQ_MAX (64u << 20) /* bytes queued for one worker before it is killed */

/* Moves w to state st, keeping the counts and the ready-first order (pool_state.c). */
void pool_set_state(struct worker *w, enum worker_state st);
/* (Re)arms w's one deadline (pool.c). */
void pool_arm_deadline(struct worker *w, time_t seconds);
/* Drops a worker's channel; the process itself is reaped by pool_reap() (pool.c). */
void pool_chan_close(struct worker *w);
/* The worker hung up: give it a moment to exit on its own (pool.c). */
void pool_chan_eof(struct worker *w);
/* pool_fill(), soon (pool.c). */
void pool_refill(struct sv *sv);
/* The write event: sends what the audit log no longer holds (pool_outq.c). */
void pool_chan_write(evutil_socket_t fd, short what, void *arg);
/* Frees w's queued messages and the fds they carry (pool_outq.c). */
void pool_outq_drop(struct worker *w);
/* Closes, unlinks and frees w (pool_reap.c). */
void pool_worker_free(struct worker *w);

#endif
