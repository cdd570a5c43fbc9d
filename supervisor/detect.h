/*
 * detect.h - engine detection: which engine answers on the engine socket.
 *
 * GET /_ping (its headers: Podman adds Libpod-Api-Version) then GET
 * /version (its Components: dockerd names one "Engine", Podman one "Podman
 * Engine") fill the engine's profile (profile.h).  detect_run() runs at
 * start; detect_new() hooks the engine's reachability (engine_on_reach()) so
 * that it runs again whenever the engine answers after it was unreachable.
 * Every outcome is logged: which engine, its version and API version.
 */
#ifndef DG_DETECT_H
#define DG_DETECT_H

#include "profile.h"

struct engine;

/* Makes e's profile (unknown until detected) and hooks it to e. */
struct engine_profile *detect_new(struct engine *e);
/* Unhooks and frees it; before engine_free(). */
void detect_free(struct engine_profile *p);
/* Starts a detection unless one is in flight. */
void detect_run(struct engine_profile *p);

#endif
