/*
 * evrelay.h - a non-admin peer's engine events, filtered by the supervisor.
 *
 * Engine 20.10 puts labels in the attributes of container events only: a
 * label filter written into the engine's request would drop every network
 * and volume event, and no engine filter can say "the networks carrying
 * this label".  So for a non-admin peer the supervisor reads the engine's
 * event stream itself and passes on, to the worker, only the events about
 * the peer's own objects:
 *
 * - a container event when its actor's attributes carry the owner label
 *   with the peer's name (what the engine's label filter would check);
 * - a network or volume event when the actor is in the relay's owned set:
 *   filled at the start from the engine's list of the peer's networks and
 *   volumes (owner label filter), kept current from the stream itself (an
 *   actor not yet known is looked up once, GET /networks/ID or
 *   /volumes/NAME, and its labels decide; a destroy takes it out).  Events
 *   wait, in order, behind a lookup.
 *
 * Every other event is dropped.  The worker gets one end of a socketpair
 * and reads an HTTP response from it exactly as from an engine connection
 * ("200", chunked, one JSON document per line, the engine's bytes).
 */
#ifndef DG_SV_EVRELAY_H
#define DG_SV_EVRELAY_H

#include <event2/event.h>

#include "engine.h"

struct evrelays; /* every relay running (sv->evrelays) */

struct evrelays *evrelays_new(struct event_base *base, struct engine *e);
void evrelays_free(struct evrelays *set); /* ends every relay */

/*
 * Dials the engine with path ("/events?filters=..." without the owner
 * label) and starts relaying the events of peer's own objects, owner_label
 * being the policy's.  Returns the worker's end (non-blocking, close-on-
 * exec: the caller's to pass on, as an engine_dial() fd), or -1 with errno
 * set.  peer NULL relays every event (an admin's stream).  until >= 0 drops
 * the events after it: for an engine that is asked for its events up to
 * now because it cannot be given the window's end (profile.h).
 */
int evrelay_start(struct evrelays *set, const char *path, const char *peer,
                  const char *owner_label, long long until);

/* Relays running (tests, metrics). */
int evrelays_count(const struct evrelays *set);

#endif
