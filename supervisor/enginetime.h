/*
 * enginetime.h - times as the engine reads them in filters (`until`) and
 * writes them in its lists (`Created`).
 *
 * A filter's time is what the docker CLI passes through unchanged: a Go
 * duration before now ("24h", "1h30m", "90s"), UNIX seconds ("1700000000",
 * "1700000000.5"), or an RFC 3339 date-time or date ("2026-12-02T13:40:00Z",
 * "2026-12-02T13:40:00+01:00", "2026-12-02"; without a zone: UTC).
 */
#ifndef DG_ENGINETIME_H
#define DG_ENGINETIME_H

#include <jansson.h>
#include <time.h>

/* s as UNIX seconds into *out (durations count back from now); 0, or -1 when malformed. */
int enginetime_parse(const char *s, time_t now, double *out);
/* A list element's "Created": UNIX seconds (containers) or RFC 3339 (networks); -1 if neither.
 */
int enginetime_created(const json_t *v, double *out);

#endif
