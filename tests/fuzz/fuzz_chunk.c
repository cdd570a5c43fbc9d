/*
 * fuzz_chunk.c - the raw-carriage chunk decoder (protocol/chunk.c).
 *
 * Input: bytes 0..7 seed the sizes of the pieces, the rest is the stream.
 * Decoded whole and in pieces, the stream must give the same chunks (type,
 * length, payload) and the same final status; every piece must lie inside
 * the input it was cut from and never run past its chunk's length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"

#define FUZZ_CHUNKS_MAX 4096

struct result {
        size_t nchunks;
        uint8_t types[FUZZ_CHUNKS_MAX];
        uint32_t lens[FUZZ_CHUNKS_MAX];
        uint64_t sums[FUZZ_CHUNKS_MAX];
        enum chunk_status last;
        size_t consumed;
};

static size_t fuzz_next(uint64_t *s)
{
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        return (size_t)(*s % 41);
}

static void fuzz_decode(const uint8_t *data, size_t size, uint64_t seed, struct result *r)
{
        struct chunk_dec d;
        uint64_t sum = 1469598103934665603ull;
        uint32_t got = 0;
        size_t off = 0, piece = size, pos = 0, used, plen;
        const unsigned char *p;
        enum chunk_status st;
        int guard = 0;

        memset(r, 0, sizeof(*r));
        chunk_dec_init(&d);
        r->last = CHUNK_NEED_MORE;
        if (seed != 0)
                piece = fuzz_next(&seed);
        for (;;) {
                /* Feed data[off .. off+piece), possibly over several calls. */
                if (piece > size - off)
                        piece = size - off;
                st = chunk_dec_feed(&d, data + off + pos, piece - pos, &used, &p, &plen);
                if (used > piece - pos)
                        abort();
                r->last = st;
                if (st == CHUNK_PIECE) {
                        if (p < data + off + pos || p + plen > data + off + piece ||
                            plen == 0 || got + plen > d.len || d.type > CHUNK_CONTROL)
                                abort();
                        for (size_t i = 0; i < plen; i++)
                                sum = (sum ^ p[i]) * 1099511628211ull;
                        got += (uint32_t)plen;
                } else if (st == CHUNK_END) {
                        /* Only an empty chunk's END consumes (its header). */
                        if (got != d.len || d.len > CHUNK_MAX || (used != 0 && d.len != 0))
                                abort();
                        if (r->nchunks < FUZZ_CHUNKS_MAX) {
                                r->types[r->nchunks] = d.type;
                                r->lens[r->nchunks] = d.len;
                                r->sums[r->nchunks] = sum;
                        }
                        r->nchunks++;
                        sum = 1469598103934665603ull;
                        got = 0;
                } else if (st != CHUNK_NEED_MORE) {
                        pos += used;
                        break; /* an error */
                }
                pos += used;
                if (st == CHUNK_NEED_MORE) {
                        if (pos != piece)
                                abort();
                        off += piece;
                        pos = 0;
                        if (off == size)
                                break;
                        piece = seed != 0 ? fuzz_next(&seed) : size - off;
                }
                /* A call that neither consumed nor finished a chunk must not repeat. */
                if (used == 0 && st != CHUNK_END && st != CHUNK_NEED_MORE && ++guard > 2)
                        abort();
        }
        r->consumed = off + pos;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct result whole, pieces;
        uint64_t seed = 0;

        if (size < 8)
                return 0;
        memcpy(&seed, data, 8);
        seed |= 1;
        data += 8;
        size -= 8;

        fuzz_decode(data, size, 0, &whole);
        fuzz_decode(data, size, seed, &pieces);
        if (whole.nchunks != pieces.nchunks || whole.last != pieces.last ||
            whole.consumed != pieces.consumed)
                abort();
        for (size_t i = 0; i < whole.nchunks && i < FUZZ_CHUNKS_MAX; i++)
                if (whole.types[i] != pieces.types[i] || whole.lens[i] != pieces.lens[i] ||
                    whole.sums[i] != pieces.sums[i])
                        abort();
        return 0;
}
