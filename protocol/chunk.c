/*
 * chunk.c - incremental decoder and header writer for raw-carriage chunks.
 *
 * Nothing is buffered but the 5-byte header: payload bytes are handed back
 * as slices of the caller's input, so a chunk costs no memory here.
 */
#include <string.h>

#include "chunk.h"

void chunk_dec_init(struct chunk_dec *d)
{
        memset(d, 0, sizeof(*d));
}

/* Collects header bytes; returns CHUNK_PIECE when the header is complete and valid. */
static enum chunk_status chunk_header(struct chunk_dec *d, const unsigned char *p, size_t len,
                                      size_t *off)
{
        size_t n = CHUNK_HDR - d->hdr_have;

        if (n > len - *off)
                n = len - *off;
        memcpy(d->hdr + d->hdr_have, p + *off, n);
        d->hdr_have += n;
        *off += n;
        if (d->hdr_have < CHUNK_HDR)
                return CHUNK_NEED_MORE;
        d->hdr_have = 0;
        d->type = d->hdr[0];
        d->len = (uint32_t)d->hdr[1] << 24 | (uint32_t)d->hdr[2] << 16 |
                 (uint32_t)d->hdr[3] << 8 | (uint32_t)d->hdr[4];
        if (d->type > CHUNK_CONTROL)
                return CHUNK_ERR_TYPE;
        if (d->len > CHUNK_MAX)
                return CHUNK_ERR_TOO_BIG;
        d->left = d->len;
        d->in_payload = 1;
        return CHUNK_PIECE;
}

enum chunk_status chunk_dec_feed(struct chunk_dec *d, const void *in, size_t len, size_t *used,
                                 const unsigned char **piece, size_t *piecelen)
{
        const unsigned char *p = in;
        enum chunk_status st;
        size_t off = 0, n;

        *used = 0;
        *piece = NULL;
        *piecelen = 0;
        if (d->failed)
                return (enum chunk_status)d->failed;
        if (!d->in_payload) {
                if (len == 0)
                        return CHUNK_NEED_MORE;
                st = chunk_header(d, p, len, &off);
                *used = off;
                if (st == CHUNK_ERR_TYPE || st == CHUNK_ERR_TOO_BIG) {
                        d->failed = (int)st;
                        return st;
                }
                if (st == CHUNK_NEED_MORE)
                        return st;
        }
        /* An empty chunk, or the last piece was handed out: the chunk is done. */
        if (d->left == 0) {
                d->in_payload = 0;
                return CHUNK_END;
        }
        if (off == len)
                return CHUNK_NEED_MORE;
        n = len - off;
        if (n > d->left)
                n = d->left;
        *piece = p + off;
        *piecelen = n;
        d->left -= (uint32_t)n;
        *used = off + n;
        return CHUNK_PIECE;
}

void chunk_put_header(unsigned char hdr[CHUNK_HDR], enum chunk_type type, uint32_t len)
{
        hdr[0] = (unsigned char)type;
        hdr[1] = (unsigned char)(len >> 24);
        hdr[2] = (unsigned char)(len >> 16);
        hdr[3] = (unsigned char)(len >> 8);
        hdr[4] = (unsigned char)len;
}
