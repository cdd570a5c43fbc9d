/*
 * fuzz_frame.c - the JSON frame decoder (protocol/frame.c) fed in pieces.
 *
 * Input: byte 0 picks the decoder's maximum, bytes 1..8 seed the sizes of
 * the pieces, the rest is the stream.  The same stream is decoded once
 * whole and once in pieces: both must give the same frames and the same
 * end state, whatever the cut (a peer's read() boundaries are arbitrary).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

#define FUZZ_FRAMES_MAX 4096

struct result {
        size_t nframes;
        size_t lens[FUZZ_FRAMES_MAX];
        uint64_t sums[FUZZ_FRAMES_MAX];
        enum frame_status last;
        size_t consumed;
        int idle;
};

static uint64_t fuzz_sum(const char *p, size_t n)
{
        uint64_t h = 1469598103934665603ull;

        for (size_t i = 0; i < n; i++)
                h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
        return h;
}

/* A tiny xorshift: piece sizes from the seed, 1..64 bytes, sometimes 0. */
static size_t fuzz_next(uint64_t *s)
{
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        return (size_t)(*s % 65);
}

static void fuzz_decode(const uint8_t *data, size_t size, uint32_t max, uint64_t seed,
                        struct result *r)
{
        struct frame_dec d;
        size_t off = 0;

        memset(r, 0, sizeof(*r));
        frame_dec_init(&d, max);
        r->last = FRAME_NEED_MORE;
        while (off < size || (seed == 0 && off == 0)) {
                size_t piece = seed ? fuzz_next(&seed) : size - off;
                size_t used;
                char *out;
                size_t outlen;

                if (piece > size - off)
                        piece = size - off;
                r->last = frame_dec_feed(&d, data + off, piece, &used, &out, &outlen);
                if (used > piece)
                        abort();
                off += used;
                if (r->last == FRAME_OK) {
                        if (out == NULL || outlen == 0 || outlen > max || out[outlen] != '\0')
                                abort();
                        if (r->nframes < FUZZ_FRAMES_MAX) {
                                r->lens[r->nframes] = outlen;
                                r->sums[r->nframes] = fuzz_sum(out, outlen);
                        }
                        r->nframes++;
                        free(out);
                        continue;
                }
                if (out != NULL)
                        abort();
                if (r->last != FRAME_NEED_MORE) {
                        /* Errors are sticky. */
                        if (frame_dec_feed(&d, data, size, &used, &out, &outlen) != r->last ||
                            used != 0 || out != NULL)
                                abort();
                        break;
                }
                if (used != piece)
                        abort(); /* NEED_MORE consumes everything it was given */
                if (size == 0)
                        break;
        }
        r->consumed = off;
        r->idle = frame_dec_idle(&d);
        frame_dec_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct result whole, pieces;
        static const uint32_t maxes[] = {1, 2, 16, 300, 4096, FRAME_MAX_PEER_DEFAULT};
        uint64_t seed = 0;
        uint32_t max;

        if (size < 9)
                return 0;
        max = maxes[data[0] % (sizeof(maxes) / sizeof(maxes[0]))];
        memcpy(&seed, data + 1, 8);
        seed |= 1; /* never 0: 0 means "whole" */
        data += 9;
        size -= 9;

        fuzz_decode(data, size, max, 0, &whole);
        fuzz_decode(data, size, max, seed, &pieces);
        if (whole.nframes != pieces.nframes || whole.last != pieces.last ||
            whole.consumed != pieces.consumed || whole.idle != pieces.idle)
                abort();
        for (size_t i = 0; i < whole.nframes && i < FUZZ_FRAMES_MAX; i++)
                if (whole.lens[i] != pieces.lens[i] || whole.sums[i] != pieces.sums[i])
                        abort();
        return 0;
}
