/*
 * evil.h - test-only misbehaviour, compiled in with -DDG_EVIL only
 * (build/bin/dockgate-worker-evil, never installed).  The tests use it to
 * prove that the sandbox kills a compromised worker and that the engine
 * never reads bytes a worker writes on a passed connection.
 */
#ifndef DG_WORKER_EVIL_H
#define DG_WORKER_EVIL_H

#ifdef DG_EVIL
#include "envelope.h"
#include "session.h"

/* 1 when env was a "test/violate/<name>" call and has been handled. */
int evil_call(struct session *s, const struct envelope *env);
/* Writes a pipelined second request on the engine connection. */
void evil_stream(int fd);
#endif

#endif
