/*
 * chan.h - messages to and from the supervisor on fd 3 (SOCK_SEQPACKET).
 *
 * Sends block (poll for writability on EAGAIN): messages are small and the
 * supervisor always reads.  The supervisor being gone (EPIPE, EOF) means
 * this worker has nothing left to do: it exits 0 quietly.
 */
#ifndef DG_WORKER_CHAN_H
#define DG_WORKER_CHAN_H

#include <stdint.h>

#include <jansson.h>

#include "msg.h"

/* Encodes and sends m (its fd, if any, is passed, not closed).  Fatal on error. */
void chan_send(int chan, const struct msg *m);
/*
 * Receives and decodes one message.  Returns 1 with m filled (caller clears),
 * 0 when none is ready (EAGAIN).  EOF exits 0; anything malformed is fatal.
 */
int chan_recv(int chan, struct msg *m);
/* Blocks until one message arrives (poll), then as chan_recv(). */
void chan_recv_wait(int chan, struct msg *m);

void chan_ready(int chan);
/* token: the call's auth.token on a TCP stream, else NULL; never judged here. */
void chan_call(int chan, uint64_t seq, const char *id, const char *op, int raw, json_t *input,
               const char *token);
/* The same, naming the Docker-API route the call serves (for the audit log). */
void chan_call_route(int chan, uint64_t seq, const char *id, const char *op, int raw,
                     json_t *input, const char *token, const char *route);
void chan_cancel(int chan, uint64_t seq);
void chan_call_end(int chan, uint64_t seq, const char *result, uint64_t bytes_in,
                   uint64_t bytes_out);

#endif
