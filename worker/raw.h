/*
 * raw.h - raw carriage (PROTOCOL.md section 3): relaying chunks between the
 * peer and an engine connection, both ways.
 *
 * Four stream kinds share the relay: "raw_exec" and "attach" (a hijacked
 * connection: stdin in, stdout/stderr out, exit code from the supervisor),
 * "archive_get" (the tar body out as stdout chunks) and "archive_put"
 * (stdin chunks in as the request body, each tar header checked by tar.c).
 *
 * After a raw call.requested every peer byte is a chunk.  Chunks that come
 * before the session is up (before call.responded) wait, bounded; if the
 * call fails they are dropped.  Back-pressure both ways: the engine is not
 * read while more than PEER_OUT_HIGH bytes wait for the peer, and the peer
 * is not read while more than RAW_QUEUE_HIGH bytes wait for the engine.
 */
#ifndef DG_WORKER_RAW_H
#define DG_WORKER_RAW_H

#include <stddef.h>

#include "errors.h"
#include "session.h"

#define RAW_QUEUE_HIGH (4u << 20) /* bytes queued for the engine: stop reading the peer */
#define RAW_QUEUE_LOW (1u << 20)  /* ... and start again below this */
#define RAW_CONTROL_MAX 4096      /* a control chunk from the peer, at most */

struct raw_in; /* the peer side of a raw call (session.h: s->rawin) */

/* peer.c: bytes from the peer while a raw call is in flight (not frames any more). */
void raw_peer_input(struct session *s, const unsigned char *p, size_t len);
/* call.c: the call fails after call.responded: the last chunk is a control error. */
struct call;
void raw_send_error(struct call *c, enum dg_err code, const char *message);
/* session.c */
void raw_session_free(struct session *s);

#endif
