/*
 * dstream.c - Docker's multiplexed stream headers (dstream.h).
 */
#include <string.h>

#include "dstream.h"

int dstream_in_header(const struct dstream *d)
{
        return d->have < DSTREAM_HDR;
}

size_t dstream_header(struct dstream *d, const unsigned char *p, size_t len)
{
        size_t take = DSTREAM_HDR - d->have;

        if (d->have >= DSTREAM_HDR)
                return 0;
        if (take > len)
                take = len;
        memcpy(d->hdr + d->have, p, take);
        d->have += take;
        if (d->have == DSTREAM_HDR) {
                d->type = d->hdr[0];
                d->left = (uint32_t)d->hdr[4] << 24 | (uint32_t)d->hdr[5] << 16 |
                          (uint32_t)d->hdr[6] << 8 | (uint32_t)d->hdr[7];
        }
        return take;
}

void dstream_next(struct dstream *d)
{
        d->have = 0;
        d->left = 0;
}

int dstream_mid(const struct dstream *d)
{
        return (d->have > 0 && d->have < DSTREAM_HDR) || d->left > 0;
}

int dstream_type_known(uint8_t type)
{
        return type <= DSTREAM_SYSTEMERR;
}
