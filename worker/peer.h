/*
 * peer.h - the peer connection: reading frames, queueing frames to send.
 *
 * Output is queued in an evbuffer and written when the socket is writable
 * (the write event is armed only while bytes are queued).  The amount queued
 * drives back-pressure on the engine stream (stream.h).
 */
#ifndef DG_WORKER_PEER_H
#define DG_WORKER_PEER_H

#include <stddef.h>

#include "session.h"

/* Back-pressure: stop reading the engine above HIGH queued bytes, resume below LOW. */
#define PEER_OUT_HIGH (4u << 20)
#define PEER_OUT_LOW (1u << 20)

/* Starts reading the peer (fd already owned by s).  Fatal on failure. */
void peer_start(struct session *s);
void peer_stop(struct session *s);
/*
 * Queues one frame holding json[0..len) (malloc'd, taken) and counts it against the call in
 * flight.  Returns 0, or -1 when len is above FRAME_MAX_SERVER.
 */
int peer_send(struct session *s, char *json, size_t len);
/* Bytes queued towards the peer. */
size_t peer_queued(const struct session *s);
/*
 * Stops taking frames; once the queue is written the connection is shut
 * down for writing, and the session ends when the peer closes or a
 * deadline passes.
 */
void peer_close(struct session *s);

#endif
