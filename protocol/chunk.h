/*
 * chunk.h - raw-carriage chunks: type u8, length u32 big-endian, payload.
 * Incremental decoder like frame.h.  Payload is delivered in pieces so that
 * a 1 MiB chunk never has to be buffered whole: callers get (type, bytes)
 * slices as they arrive, plus an end-of-chunk mark.
 */
#ifndef DG_CHUNK_H
#define DG_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#define CHUNK_HDR 5
#define CHUNK_MAX (1u << 20) /* 1 MiB */

enum chunk_type { CHUNK_STDIN = 0, CHUNK_STDOUT = 1, CHUNK_STDERR = 2, CHUNK_CONTROL = 3 };

enum chunk_status {
        CHUNK_PIECE = 0,  /* *piece and *piecelen hold payload bytes of the current chunk */
        CHUNK_END,        /* the current chunk is complete (also returned for length 0) */
        CHUNK_NEED_MORE,  /* input exhausted */
        CHUNK_ERR_TYPE,   /* unknown type byte */
        CHUNK_ERR_TOO_BIG /* length above CHUNK_MAX */
};

struct chunk_dec {
        unsigned char hdr[CHUNK_HDR];
        size_t hdr_have;
        uint8_t type;  /* type of the chunk in progress */
        uint32_t len;  /* its length */
        uint32_t left; /* payload bytes still to come */
        int in_payload;
        int failed;
};

void chunk_dec_init(struct chunk_dec *d);
/*
 * Consume input; *used is set to the bytes consumed.  On CHUNK_PIECE, *piece
 * points into `in` (no copy).  On CHUNK_END, d->type and d->len describe the
 * chunk just finished.  Errors are sticky.  After the last piece of a chunk
 * the next call returns CHUNK_END (consuming nothing, even with len 0), so
 * callers loop until CHUNK_NEED_MORE.
 */
enum chunk_status chunk_dec_feed(struct chunk_dec *d, const void *in, size_t len, size_t *used,
                                 const unsigned char **piece, size_t *piecelen);

void chunk_put_header(unsigned char hdr[CHUNK_HDR], enum chunk_type type, uint32_t len);

#endif
