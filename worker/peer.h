/*
 * peer.h - the peer connection: reading frames, queueing frames to send.
 *
 * Output is queued in an evbuffer and written when the socket is writable
 * (the write event is armed only while bytes are queued).  Each call's
 * frames reach that queue directly while it is short (PEER_FILL), else
 * through the call's own queue, taken round-robin (call.h).  The amounts
 * queued drive back-pressure on the calls' engine streams (stream.h).
 */
#ifndef DG_WORKER_PEER_H
#define DG_WORKER_PEER_H

#include <stddef.h>

#include "session.h"

/* Back-pressure: PEER_OUT_HIGH and PEER_OUT_LOW (session.h). */
/* Calls' frames are moved to the peer's queue while it holds less than this. */
#define PEER_FILL (64u << 10)
/* What one call may move at a turn of the round-robin. */
#define PEER_QUANTUM (16u << 10)

struct call;

/* Starts reading the peer (fd already owned by s).  Fatal on failure. */
void peer_start(struct session *s);
void peer_stop(struct session *s);
/*
 * Queues one frame of c holding json[0..len) (malloc'd, taken) and counts
 * it against c.  Returns 0, or -1 when len is above FRAME_MAX_SERVER.
 */
int peer_send(struct call *c, char *json, size_t len);
/* The same for a frame that belongs to no call (an error for a refused one). */
int peer_send_frame(struct session *s, char *json, size_t len);
/* Bytes queued towards the peer (the peer's queue only). */
size_t peer_queued(const struct session *s);
/* Moves every call's queued frames to the peer's queue, in order (before closing). */
void peer_flush_calls(struct session *s);
/* Reads no more from the peer (the stream is draining its calls). */
void peer_stop_reading(struct session *s);
/*
 * Stops taking frames; once the queue is written the connection is shut
 * down for writing, and the session ends when the peer closes or a
 * deadline passes.
 */
void peer_close(struct session *s);

#endif
