/*
 * sent.h - what of the peer's output has really been written, per call.
 *
 * A call's bytes are counted when they leave our buffer for the socket,
 * not when they are queued, and its MSG_CALL_END (whose bytes_out the
 * supervisor audits and accounts) is sent once every byte it queued has
 * been written: the audit never counts as sent what a peer did not get
 * (issue 10 item 1).  The output queue is a FIFO, so a ledger of spans
 * (call, bytes), merged while consecutive spans belong to one call, says
 * whose bytes each write carried, also when frames of several calls
 * interleave.
 */
#ifndef DG_WORKER_SENT_H
#define DG_WORKER_SENT_H

#include <stddef.h>
#include <stdint.h>

struct session;
struct sent;

struct sent *sent_new(void);
void sent_free(struct sent *t);

/* n bytes of call seq (0: no call, e.g. a refusal) were queued towards the peer. */
void sent_queued(struct session *s, uint64_t seq, size_t n);
/* n queued bytes were written to the socket: credits them, sends the call ends now due. */
void sent_written(struct session *s, size_t n);
/*
 * Call seq sent its terminal frame or chunk: its MSG_CALL_END goes to the
 * supervisor once its bytes are written (at once if they are).
 */
void sent_end(struct session *s, uint64_t seq, const char *result, uint64_t bytes_in);
/*
 * Sends every end still held, each with the bytes written so far: the
 * stream is going away.  (Calls run concurrently: a new MSG_CALL may
 * overtake the ends of earlier calls, which the supervisor allows.)
 */
void sent_flush(struct session *s);
/* Bytes queued and not written yet (all calls). */
uint64_t sent_unwritten(const struct session *s);

#endif
