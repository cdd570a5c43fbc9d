/*
 * call.h - the call state machine of one stream (PROTOCOL.md sections 1-2).
 *
 * Peer frames come in through call_frame(), supervisor messages through
 * call_msg().  A call is idle -> waiting (MSG_CALL sent) -> possibly
 * streaming (MSG_STREAM) -> ended by exactly one terminal frame, after which
 * the worker sends MSG_CALL_END and the stream goes back to idle (JSON
 * carriage) or closes (raw carriage).
 */
#ifndef DG_WORKER_CALL_H
#define DG_WORKER_CALL_H

#include <jansson.h>
#include <stddef.h>

#include "errors.h"
#include "msg.h"
#include "session.h"

/* One complete peer frame (payload json[0..len), wire bytes counted in nbytes). */
void call_frame(struct session *s, const char *json, size_t len, size_t nbytes);
/* A frame the decoder refused (length 0 or too big): PROTOCOL_ERROR, close. */
void call_protocol_error(struct session *s, const char *id, const char *message);
/* The peer closed its connection or it broke. */
void call_peer_gone(struct session *s);
/* One message from the supervisor (m is cleared by the caller). */
void call_msg(struct session *s, struct msg *m);

/*
 * For the call in flight (stream kinds use these):
 * call_respond() sends one call.responded (output borrowed); -1 when the
 * frame would be too big (nothing sent).  call_complete() and call_fail()
 * send the terminal frame, then MSG_CALL_END, and end the call.
 */
int call_respond(struct session *s, json_t *output);
void call_complete(struct session *s);
void call_fail(struct session *s, enum dg_err code, const char *message, json_t *details);
/*
 * Raw carriage, after call.responded: the last chunk (control exit or
 * error) is queued; end the call with result (MSG_CALL_END) and close.
 * call_fail() then sends a control error chunk instead of call.error.
 */
void call_finish_raw(struct session *s, enum dg_err result);

#endif
