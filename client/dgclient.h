/*
 * dgclient.h - a small blocking client for the dockgate wire protocol
 * (PROTOCOL.md): connect, send calls, read JSON frames one at a time, and
 * read and write raw-carriage chunks.
 *
 * The library never prints and never exits: every function returns a
 * dgc_status and, on failure, leaves a message in dgc_errmsg().  One handle
 * is one stream; calls on it are sequential, as the protocol requires.
 */
#ifndef DG_DGCLIENT_H
#define DG_DGCLIENT_H

#include <jansson.h>
#include <signal.h>
#include <stddef.h>

#include "chunk.h"
#include "envelope.h"

enum dgc_status {
        DGC_OK = 0,
        DGC_EOF,        /* the server closed the stream between frames/chunks */
        DGC_INTR,       /* a signal interrupted the wait; the stream is intact, call again */
        DGC_ERR_SYS,    /* a system call failed (connect, read, write, memory) */
        DGC_ERR_CLOSED, /* the stream ended inside a frame or chunk, or was reset */
        DGC_ERR_PROTO,  /* the server sent something that is not the protocol */
        DGC_ERR_USAGE   /* a bad argument: address, id, oversized chunk... */
};

/* Server frame types (PROTOCOL.md section 2). */
enum dgc_ftype {
        DGC_F_RESPONDED = 1, /* payload.output */
        DGC_F_COMPLETED,     /* terminal: success */
        DGC_F_ERROR,         /* terminal: payload.code, payload.message */
        DGC_F_ABORTED        /* terminal: acknowledges call.aborted */
};

struct dgc_frame {
        enum dgc_ftype type;
        const char *id;  /* borrowed from json */
        json_t *json;    /* the whole envelope (owned) */
        json_t *payload; /* borrowed from json; always an object */
        char *raw;       /* the frame's bytes as received, NUL-terminated (owned) */
        size_t rawlen;
};

struct dgc_chunk {
        enum chunk_type type; /* CHUNK_STDOUT, CHUNK_STDERR or CHUNK_CONTROL */
        unsigned char *data;  /* owned; NUL-terminated for convenience; NULL when len is 0 */
        size_t len;
};

struct dgc;

/*
 * Opens a stream.  addr is a unix socket path, optionally written
 * "unix:PATH".  Returns NULL with err filled in on failure.
 */
struct dgc *dgc_connect(const char *addr, char *err, size_t errlen);
void dgc_close(struct dgc *c);
/* The message for the last failure on c. */
const char *dgc_errmsg(const struct dgc *c);

/*
 * When set, each blocking wait for input runs under this signal mask
 * (ppoll), so a caller can keep a signal blocked and still be woken by it:
 * reads then return DGC_INTR.  The mask is copied.  NULL turns it off.
 */
void dgc_set_waitmask(struct dgc *c, const sigset_t *mask);

/* Sends call.requested.  input may be NULL (sent as {}); it is borrowed. */
enum dgc_status dgc_call(struct dgc *c, const char *id, const char *op, json_t *input,
                         enum carriage carriage);
/* Sends call.aborted for the call in flight. */
enum dgc_status dgc_abort(struct dgc *c, const char *id);

/*
 * Reads the next frame (blocking).  The envelope is checked: an object with
 * string "type" and "id", object "payload", a known type, and for
 * call.responded an "output", for call.error string "code" and "message".
 * On DGC_OK, f is filled in; release it with dgc_frame_clear().
 */
enum dgc_status dgc_read_frame(struct dgc *c, struct dgc_frame *f);
void dgc_frame_clear(struct dgc_frame *f);

/*
 * The stream's descriptor, to poll it beside other input (raw sessions);
 * and the bytes already read from it but not decoded yet, which a poll
 * would not report: decode those first.
 */
int dgc_fd(const struct dgc *c);
size_t dgc_buffered(const struct dgc *c);

/* Raw carriage: valid only after a raw call's call.responded. */
enum dgc_status dgc_send_chunk(struct dgc *c, enum chunk_type type, const void *buf,
                               size_t len);
/* Sends a control chunk holding obj (borrowed) as compact JSON. */
enum dgc_status dgc_send_control(struct dgc *c, json_t *obj);
/* Reads one whole chunk (at most CHUNK_MAX bytes); release with dgc_chunk_clear(). */
enum dgc_status dgc_read_chunk(struct dgc *c, struct dgc_chunk *ch);
void dgc_chunk_clear(struct dgc_chunk *ch);

#endif
