/*
 * listener.h - the peers' unix socket: accept, identify by SO_PEERCRED,
 * and pass each connection to admission (admit.h).
 */
#ifndef DG_LISTENER_H
#define DG_LISTENER_H

#include "supervisor.h"

int listener_open(struct sv *sv);   /* -1 with a log line on failure */
void listener_close(struct sv *sv); /* stops accepting, unlinks the socket */

#endif
