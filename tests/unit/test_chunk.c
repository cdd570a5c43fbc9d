/* test_chunk.c - the raw-carriage chunk decoder: pieces, zero length, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chunk.h"
#include "xorshift.h"

static uint32_t rng_state = 88172645u;
static uint32_t rng(void)
{
        return xorshift32(&rng_state);
}

static void put_chunk(unsigned char *buf, size_t *off, int type, const void *p, uint32_t len)
{
        chunk_put_header(buf + *off, (enum chunk_type)type, len);
        if (len > 0)
                memcpy(buf + *off + CHUNK_HDR, p, len);
        *off += CHUNK_HDR + len;
}

/* What a decoder produced: chunk types, lengths and the concatenated payloads. */
struct seen {
        int n;
        int type[64];
        uint32_t len[64];
        unsigned char data[64][512];
        size_t have; /* bytes of the chunk in progress */
};

/* Feeds in[0..len) completely; returns the last non-piece/non-end status. */
static enum chunk_status drain(struct chunk_dec *d, const unsigned char *in, size_t len,
                               struct seen *s)
{
        const unsigned char *piece;
        size_t pos = 0, used, plen;
        enum chunk_status st;

        for (;;) {
                st = chunk_dec_feed(d, in + pos, len - pos, &used, &piece, &plen);
                assert_true(used <= len - pos);
                if (st == CHUNK_PIECE) {
                        /* zero copy: the piece is inside the input */
                        assert_true(piece >= in + pos && piece + plen <= in + pos + used);
                        assert_true(plen > 0);
                        assert_true(s->have + plen <= sizeof(s->data[0]));
                        memcpy(s->data[s->n] + s->have, piece, plen);
                        s->have += plen;
                } else if (st == CHUNK_END) {
                        assert_int_equal(s->have, d->len);
                        s->type[s->n] = d->type;
                        s->len[s->n] = d->len;
                        s->n++;
                        s->have = 0;
                } else {
                        pos += used;
                        return st;
                }
                pos += used;
        }
}

static void test_header_bytes(void **state)
{
        unsigned char h[CHUNK_HDR];

        (void)state;
        chunk_put_header(h, CHUNK_CONTROL, 0x0a0b0c0du);
        assert_int_equal(h[0], 3);
        assert_int_equal(h[1], 0x0a);
        assert_int_equal(h[4], 0x0d);
}

static void test_zero_length_ends_at_header(void **state)
{
        unsigned char buf[CHUNK_HDR + 8];
        const unsigned char *piece;
        struct chunk_dec d;
        size_t off = 0, used, plen;

        (void)state;
        put_chunk(buf, &off, CHUNK_STDIN, NULL, 0);
        put_chunk(buf, &off, CHUNK_STDOUT, "abc", 3);
        chunk_dec_init(&d);
        assert_int_equal(chunk_dec_feed(&d, buf, off, &used, &piece, &plen), CHUNK_END);
        assert_int_equal(used, CHUNK_HDR);
        assert_int_equal(d.type, CHUNK_STDIN);
        assert_int_equal(d.len, 0);
        assert_null(piece);
        /* the next chunk decodes normally */
        assert_int_equal(
            chunk_dec_feed(&d, buf + CHUNK_HDR, off - CHUNK_HDR, &used, &piece, &plen),
            CHUNK_PIECE);
        assert_int_equal(plen, 3);
        assert_memory_equal(piece, "abc", 3);
        assert_int_equal(chunk_dec_feed(&d, buf + off, 0, &used, &piece, &plen), CHUNK_END);
        assert_int_equal(d.type, CHUNK_STDOUT);
        assert_int_equal(chunk_dec_feed(&d, buf + off, 0, &used, &piece, &plen),
                         CHUNK_NEED_MORE);
}

static void test_byte_by_byte(void **state)
{
        static unsigned char buf[1024];
        static struct seen s;
        struct chunk_dec d;
        size_t off = 0, i;

        (void)state;
        put_chunk(buf, &off, CHUNK_STDOUT, "hello", 5);
        put_chunk(buf, &off, CHUNK_STDIN, NULL, 0);
        put_chunk(buf, &off, CHUNK_CONTROL, "{\"type\":\"abort\"}", 16);
        put_chunk(buf, &off, CHUNK_STDERR, "\0\1\2", 3);
        memset(&s, 0, sizeof(s));
        chunk_dec_init(&d);
        for (i = 0; i < off; i++)
                assert_int_equal(drain(&d, buf + i, 1, &s), CHUNK_NEED_MORE);
        assert_int_equal(s.n, 4);
        assert_int_equal(s.type[0], CHUNK_STDOUT);
        assert_memory_equal(s.data[0], "hello", 5);
        assert_int_equal(s.type[1], CHUNK_STDIN);
        assert_int_equal(s.len[1], 0);
        assert_int_equal(s.type[2], CHUNK_CONTROL);
        assert_memory_equal(s.data[2], "{\"type\":\"abort\"}", 16);
        assert_int_equal(s.type[3], CHUNK_STDERR);
        assert_memory_equal(s.data[3], "\0\1\2", 3);
}

static void test_random_splits(void **state)
{
        static unsigned char buf[16 * (512 + CHUNK_HDR)];
        static unsigned char payload[16][512];
        static struct seen s;
        uint32_t plen[16];
        int types[16], round, i;
        struct chunk_dec d;
        size_t off, pos, n, j;

        (void)state;
        for (round = 0; round < 300; round++) {
                off = 0;
                for (i = 0; i < 16; i++) {
                        types[i] = (int)(rng() % 4);
                        plen[i] = rng() % 5 == 0 ? 0 : rng() % 512;
                        for (j = 0; j < plen[i]; j++)
                                payload[i][j] = (unsigned char)rng();
                        put_chunk(buf, &off, types[i], payload[i], plen[i]);
                }
                memset(&s, 0, sizeof(s));
                chunk_dec_init(&d);
                for (pos = 0; pos < off; pos += n) {
                        n = 1 + rng() % 64;
                        if (n > off - pos)
                                n = off - pos;
                        assert_int_equal(drain(&d, buf + pos, n, &s), CHUNK_NEED_MORE);
                }
                assert_int_equal(s.n, 16);
                for (i = 0; i < 16; i++) {
                        assert_int_equal(s.type[i], types[i]);
                        assert_int_equal(s.len[i], plen[i]);
                        assert_memory_equal(s.data[i], payload[i], plen[i]);
                }
        }
}

static void test_bad_type_sticky(void **state)
{
        unsigned char buf[32];
        const unsigned char *piece;
        struct chunk_dec d;
        size_t off = 0, used, plen;

        (void)state;
        put_chunk(buf, &off, 4, "x", 1);
        chunk_dec_init(&d);
        assert_int_equal(chunk_dec_feed(&d, buf, off, &used, &piece, &plen), CHUNK_ERR_TYPE);
        assert_null(piece);
        off = 0;
        put_chunk(buf, &off, CHUNK_STDIN, "x", 1);
        assert_int_equal(chunk_dec_feed(&d, buf, off, &used, &piece, &plen), CHUNK_ERR_TYPE);
        assert_int_equal(used, 0);

        off = 0;
        put_chunk(buf, &off, 0xff, "x", 1);
        chunk_dec_init(&d);
        assert_int_equal(chunk_dec_feed(&d, buf, off, &used, &piece, &plen), CHUNK_ERR_TYPE);
}

static void test_length_limits(void **state)
{
        unsigned char hdr[CHUNK_HDR];
        unsigned char *big;
        const unsigned char *piece;
        struct chunk_dec d;
        size_t used, plen, total = 0;
        enum chunk_status st;

        (void)state;
        chunk_put_header(hdr, CHUNK_STDOUT, CHUNK_MAX + 1);
        chunk_dec_init(&d);
        assert_int_equal(chunk_dec_feed(&d, hdr, CHUNK_HDR, &used, &piece, &plen),
                         CHUNK_ERR_TOO_BIG);
        assert_int_equal(chunk_dec_feed(&d, hdr, CHUNK_HDR, &used, &piece, &plen),
                         CHUNK_ERR_TOO_BIG);

        chunk_put_header(hdr, CHUNK_STDOUT, 0xffffffffu);
        chunk_dec_init(&d);
        assert_int_equal(chunk_dec_feed(&d, hdr, CHUNK_HDR, &used, &piece, &plen),
                         CHUNK_ERR_TOO_BIG);

        /* exactly the maximum is fine, and comes back as one piece when fed at once */
        big = malloc(CHUNK_HDR + CHUNK_MAX);
        assert_non_null(big);
        chunk_put_header(big, CHUNK_STDIN, CHUNK_MAX);
        memset(big + CHUNK_HDR, 0x5a, CHUNK_MAX);
        chunk_dec_init(&d);
        st = chunk_dec_feed(&d, big, CHUNK_HDR + CHUNK_MAX, &used, &piece, &plen);
        assert_int_equal(st, CHUNK_PIECE);
        assert_int_equal(plen, CHUNK_MAX);
        assert_int_equal(used, CHUNK_HDR + CHUNK_MAX);
        total += plen;
        assert_int_equal(chunk_dec_feed(&d, big, 0, &used, &piece, &plen), CHUNK_END);
        assert_int_equal(d.len, CHUNK_MAX);
        assert_int_equal(total, CHUNK_MAX);
        free(big);
}

static void test_header_split_then_payload(void **state)
{
        unsigned char buf[16];
        const unsigned char *piece;
        struct chunk_dec d;
        size_t off = 0, used, plen;

        (void)state;
        put_chunk(buf, &off, CHUNK_STDERR, "abcdef", 6);
        chunk_dec_init(&d);
        assert_int_equal(chunk_dec_feed(&d, NULL, 0, &used, &piece, &plen), CHUNK_NEED_MORE);
        assert_int_equal(used, 0);
        assert_int_equal(chunk_dec_feed(&d, buf, 3, &used, &piece, &plen), CHUNK_NEED_MORE);
        assert_int_equal(used, 3);
        /* rest of the header only: header complete, but no payload yet */
        assert_int_equal(chunk_dec_feed(&d, buf + 3, 2, &used, &piece, &plen), CHUNK_NEED_MORE);
        assert_int_equal(used, 2);
        assert_int_equal(chunk_dec_feed(&d, buf + 5, 2, &used, &piece, &plen), CHUNK_PIECE);
        assert_memory_equal(piece, "ab", 2);
        assert_int_equal(chunk_dec_feed(&d, buf + 7, 4, &used, &piece, &plen), CHUNK_PIECE);
        assert_int_equal(plen, 4);
        assert_int_equal(chunk_dec_feed(&d, buf + 11, 0, &used, &piece, &plen), CHUNK_END);
        assert_int_equal(d.type, CHUNK_STDERR);
        assert_int_equal(d.len, 6);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_header_bytes),
            cmocka_unit_test(test_zero_length_ends_at_header),
            cmocka_unit_test(test_byte_by_byte),
            cmocka_unit_test(test_random_splits),
            cmocka_unit_test(test_bad_type_sticky),
            cmocka_unit_test(test_length_limits),
            cmocka_unit_test(test_header_split_then_payload),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
