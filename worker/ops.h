/*
 * ops.h - the worker's gate on call.requested: is the operation known, does
 * it take this carriage, does the input follow its schema (protocol/schema.h).
 * A bad input never leaves the worker; the supervisor checks again anyway.
 */
#ifndef DG_WORKER_OPS_H
#define DG_WORKER_OPS_H

#include <stddef.h>

#include "envelope.h"

/* 0 when env may be sent to the supervisor; -1 with a peer-facing message in err. */
int ops_check(const struct envelope *env, char *err, size_t errlen);

#endif
