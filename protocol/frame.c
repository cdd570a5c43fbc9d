/*
 * frame.c - incremental decoder and header writer for JSON frames.
 *
 * SECURITY: the length is checked against d->max before the payload buffer
 * is allocated, so a peer can make us hold at most max + 1 bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "frame.h"

void frame_dec_init(struct frame_dec *d, uint32_t max)
{
        memset(d, 0, sizeof(*d));
        d->max = max;
}

void frame_dec_free(struct frame_dec *d)
{
        free(d->buf);
        d->buf = NULL;
        d->have = 0;
        d->hdr_have = 0;
        d->want = 0;
}

static uint32_t frame_get_be32(const unsigned char *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
               (uint32_t)p[3];
}

/* The header just became complete: check the length, then allocate. */
static enum frame_status frame_start(struct frame_dec *d)
{
        d->want = frame_get_be32(d->hdr);
        if (d->want == 0)
                return FRAME_ERR_EMPTY;
        if (d->want > d->max)
                return FRAME_ERR_TOO_BIG;
        if ((d->buf = malloc((size_t)d->want + 1)) == NULL)
                return FRAME_ERR_NOMEM;
        d->have = 0;
        return FRAME_OK;
}

enum frame_status frame_dec_feed(struct frame_dec *d, const void *in, size_t len, size_t *used,
                                 char **out, size_t *outlen)
{
        const unsigned char *p = in;
        enum frame_status st;
        size_t off = 0, n;

        *used = 0;
        *out = NULL;
        *outlen = 0;
        if (d->failed)
                return (enum frame_status)d->failed;
        while (off < len) {
                if (d->hdr_have < FRAME_HDR) {
                        n = FRAME_HDR - d->hdr_have;
                        if (n > len - off)
                                n = len - off;
                        memcpy(d->hdr + d->hdr_have, p + off, n);
                        d->hdr_have += n;
                        off += n;
                        if (d->hdr_have < FRAME_HDR)
                                break;
                        if ((st = frame_start(d)) != FRAME_OK) {
                                d->failed = (int)st;
                                *used = off;
                                return st;
                        }
                }
                n = d->want - d->have;
                if (n > len - off)
                        n = len - off;
                memcpy(d->buf + d->have, p + off, n);
                d->have += n;
                off += n;
                if (d->have == d->want) {
                        d->buf[d->want] = '\0';
                        *out = (char *)d->buf;
                        *outlen = d->want;
                        d->buf = NULL;
                        d->have = 0;
                        d->hdr_have = 0;
                        d->want = 0;
                        *used = off;
                        return FRAME_OK;
                }
        }
        *used = off;
        return FRAME_NEED_MORE;
}

int frame_dec_idle(const struct frame_dec *d)
{
        return d->hdr_have == 0 && d->buf == NULL;
}

void frame_put_header(unsigned char hdr[FRAME_HDR], uint32_t len)
{
        hdr[0] = (unsigned char)(len >> 24);
        hdr[1] = (unsigned char)(len >> 16);
        hdr[2] = (unsigned char)(len >> 8);
        hdr[3] = (unsigned char)len;
}
