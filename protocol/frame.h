/*
 * frame.h - JSON frames: u32 big-endian length, then that many bytes of JSON.
 *
 * The decoder is incremental: feed it whatever read() returned and pull out
 * complete frames.  Lengths are checked before anything is allocated.  It
 * never logs and never exits; it returns a status.
 */
#ifndef DG_FRAME_H
#define DG_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h" /* FRAME_MAX_PEER_DEFAULT, FRAME_MAX_SERVER */

#define FRAME_HDR 4

enum frame_status {
        FRAME_OK = 0,      /* a complete frame was returned */
        FRAME_NEED_MORE,   /* no complete frame buffered yet */
        FRAME_ERR_EMPTY,   /* length 0 */
        FRAME_ERR_TOO_BIG, /* length above the decoder's maximum */
        FRAME_ERR_NOMEM    /* the payload buffer could not be allocated */
};

struct frame_dec {
        uint32_t max; /* largest acceptable payload */
        unsigned char hdr[FRAME_HDR];
        size_t hdr_have;    /* header bytes collected */
        uint32_t want;      /* payload length of the frame in progress */
        unsigned char *buf; /* payload being collected (want + 1 bytes, NUL-terminated) */
        size_t have;
        int failed; /* sticky: after an error every call returns it again */
};

void frame_dec_init(struct frame_dec *d, uint32_t max);
void frame_dec_free(struct frame_dec *d);
/*
 * Consume up to len bytes of input.  *used is set to the number of bytes
 * consumed.  Returns FRAME_OK with *out and *outlen set to a malloc'd,
 * NUL-terminated payload (caller frees) as soon as one frame is complete
 * (bytes after it are left unconsumed: call again with the rest), or
 * FRAME_NEED_MORE when all input was consumed without completing a frame, or
 * an error (sticky).
 */
enum frame_status frame_dec_feed(struct frame_dec *d, const void *in, size_t len, size_t *used,
                                 char **out, size_t *outlen);
/* True when the decoder sits between frames (no partial frame buffered). */
int frame_dec_idle(const struct frame_dec *d);

/* Writes the 4-byte header for a payload of len bytes. */
void frame_put_header(unsigned char hdr[FRAME_HDR], uint32_t len);

#endif
