/*
 * admin.h - the admin socket: an HTTP endpoint (libevent's evhttp) on a
 * unix socket of mode 0600, for the operator's tools only.
 *
 *   GET /metrics  accounting and health in the Prometheus text format 0.0.4
 *   GET /ready    200 when the engine answers /_ping, the pool is full and
 *                 the audit log is writable; 503 with the reason otherwise
 *
 * SECURITY: what it shows spans every tenant.  The socket's mode keeps
 * others out, and each request's SO_PEERCRED is checked again: root, our
 * own uid, or the uid of an admin peer in the policy.
 */
#ifndef DG_ADMIN_H
#define DG_ADMIN_H

#include "supervisor.h"

/* NULL (logged) when the socket cannot be set up. */
struct admin *admin_open(struct sv *sv, const char *path);
void admin_close(struct admin *a);

#endif
