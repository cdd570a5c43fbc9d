/*
 * listener.h - the peers' unix socket: accept, identify by SO_PEERCRED,
 * hand to a pooled worker (or queue briefly when none is ready).
 */
#ifndef DG_LISTENER_H
#define DG_LISTENER_H

#include "supervisor.h"

int listener_open(struct sv *sv);   /* -1 with a log line on failure */
void listener_close(struct sv *sv); /* stops accepting, unlinks the socket */
/* A worker became ready: serve the oldest waiting peer, if any. */
void listener_drain(struct sv *sv);

#endif
