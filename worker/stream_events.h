/*
 * stream_events.h - kind "events": GET /events becomes one record per
 * engine event, in a stable camelCase shape:
 *   {"type", "action", "id", "time", "timeNano", "attributes"}
 * (a field the engine left out is null; attributes is an object of
 * strings).  Which events reach the worker at all is the supervisor's
 * filter, built into the request it wrote.  opts: {}.
 */
#ifndef DG_WORKER_STREAM_EVENTS_H
#define DG_WORKER_STREAM_EVENTS_H

#include "stream.h"

extern const struct stream_kind stream_events_kind;

#endif
