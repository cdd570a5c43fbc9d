/*
 * zygote.h - the supervisor's side of the fork server (config "zygote").
 *
 * One zygote at a time serves: dockgate-worker --zygote, started with
 * posix_spawn, demoted like a worker, its seccomp filter compiled once.  A
 * new worker is then one request on the zygote's control socket carrying
 * the worker's channel (protocol/zygote_msg.h), instead of a posix_spawn that
 * stalls our event loop until the exec.  The zygote clones the worker with
 * CLONE_PARENT, so the worker is our child: pool_reap() reaps it and
 * pool_kill() kills it as it does any worker.  Its pid comes back in the
 * reply (pool_forked()), checked to be a new child of ours.
 *
 * Bounded sharing (docs/SECURITY.md, "Zygote"): a zygote is retired after
 * zygoteForks forks or zygoteSeconds seconds, and at once when one of the
 * workers dies by a signal we did not send.  While there is no ready
 * zygote (starting, dead, retired), zygote_fork() says no and the pool
 * spawns with posix_spawn, so no stream waits for a zygote.
 */
#ifndef DG_SV_ZYGOTE_H
#define DG_SV_ZYGOTE_H

#include <sys/types.h>

#include "supervisor.h"

struct worker;

/* Starts the first zygote when the config asks for one. */
void zygote_init(struct sv *sv);
/*
 * Asks the ready zygote for a worker on chan (its end, which the caller
 * still closes).  0: asked, w->pid comes with pool_forked() or the worker
 * goes with pool_fork_failed(); -1: no zygote can, spawn it another way.
 */
int zygote_fork(struct sv *sv, struct worker *w, int chan);
/* w is going away before its pid came: its reply is dropped (its child killed). */
void zygote_forget(struct worker *w);
/* pid was reaped: 1 if it was a zygote (then handled), 0 if not ours. */
int zygote_reaped(struct sv *sv, pid_t pid, int status);
/* A worker forked by a zygote died by signal sig that we did not send. */
void zygote_signalled(struct sv *sv, pid_t pid, int sig);
void zygote_shutdown(struct sv *sv);

/* Counters since start, for /metrics (admin.c); all 0 with the zygote off. */
struct zygote_stats {
        unsigned long long forks;     /* workers a zygote forked (pid accepted) */
        unsigned long long started;   /* zygotes started (posix_spawn'd) */
        unsigned long long rotated;   /* retired at zygoteForks or zygoteSeconds */
        unsigned long long signalled; /* retired because a worker died by a signal */
        unsigned long long lost;      /* killed: died, bad reply, could not fork, no hello */
        unsigned long long spawned;   /* workers posix_spawn'd while no zygote could */
};
void zygote_stats(const struct sv *sv, struct zygote_stats *st);

#endif
