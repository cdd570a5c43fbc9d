/*
 * spawn.h - starting dockgate-worker (posix_spawn).
 */
#ifndef DG_SPAWN_H
#define DG_SPAWN_H

#include <sys/types.h>

#include "supervisor.h"

/*
 * Starts the worker program with chan as its fd 3; zygote: in its fork-server
 * mode, chan then its control socket.  The pid, or -1 with errno set.
 */
pid_t spawn_worker(struct sv *sv, int chan, int zygote);

#endif
