/* test_frame.c - the JSON frame decoder: splits, limits, sticky errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frame.h"
#include "xorshift.h"

/* Appends one frame holding payload to buf at *off. */
static void put_frame(unsigned char *buf, size_t *off, const void *payload, uint32_t len)
{
        frame_put_header(buf + *off, len);
        memcpy(buf + *off + FRAME_HDR, payload, len);
        *off += FRAME_HDR + len;
}

static uint32_t rng_state = 2463534242u;
static uint32_t rng(void)
{
        return xorshift32(&rng_state);
}

static void test_header_bytes(void **state)
{
        unsigned char h[FRAME_HDR];

        (void)state;
        frame_put_header(h, 0x01020304u);
        assert_int_equal(h[0], 1);
        assert_int_equal(h[1], 2);
        assert_int_equal(h[2], 3);
        assert_int_equal(h[3], 4);
}

static void test_one_frame(void **state)
{
        unsigned char buf[64];
        struct frame_dec d;
        size_t off = 0, used;
        char *out;
        size_t outlen;

        (void)state;
        put_frame(buf, &off, "{\"a\":1}", 7);
        frame_dec_init(&d, 1024);
        assert_true(frame_dec_idle(&d));
        assert_int_equal(frame_dec_feed(&d, buf, off, &used, &out, &outlen), FRAME_OK);
        assert_int_equal(used, off);
        assert_int_equal(outlen, 7);
        assert_memory_equal(out, "{\"a\":1}", 7);
        assert_int_equal(out[7], '\0');
        assert_true(frame_dec_idle(&d));
        free(out);
        /* Nothing more: need more, and nothing returned. */
        assert_int_equal(frame_dec_feed(&d, buf, 0, &used, &out, &outlen), FRAME_NEED_MORE);
        assert_null(out);
        assert_int_equal(used, 0);
        frame_dec_free(&d);
}

static void test_several_in_one_buffer(void **state)
{
        unsigned char buf[128];
        const char *p[3] = {"[1]", "{\"x\":\"yy\"}", "7"};
        struct frame_dec d;
        size_t off = 0, pos = 0, used, outlen;
        char *out;
        int i;

        (void)state;
        for (i = 0; i < 3; i++)
                put_frame(buf, &off, p[i], (uint32_t)strlen(p[i]));
        frame_dec_init(&d, 1024);
        for (i = 0; i < 3; i++) {
                assert_int_equal(frame_dec_feed(&d, buf + pos, off - pos, &used, &out, &outlen),
                                 FRAME_OK);
                pos += used;
                assert_int_equal(outlen, strlen(p[i]));
                assert_memory_equal(out, p[i], outlen);
                free(out);
        }
        assert_int_equal(pos, off);
        assert_int_equal(frame_dec_feed(&d, buf + pos, 0, &used, &out, &outlen),
                         FRAME_NEED_MORE);
        frame_dec_free(&d);
}

static void test_byte_by_byte(void **state)
{
        unsigned char buf[256];
        const char *p[3] = {"{}", "{\"type\":\"call.requested\"}", "x"};
        struct frame_dec d;
        size_t off = 0, i, used, outlen;
        char *out;
        int got = 0;

        (void)state;
        for (i = 0; i < 3; i++)
                put_frame(buf, &off, p[i], (uint32_t)strlen(p[i]));
        frame_dec_init(&d, 1024);
        for (i = 0; i < off; i++) {
                enum frame_status st = frame_dec_feed(&d, buf + i, 1, &used, &out, &outlen);

                assert_int_equal(used, 1);
                if (st == FRAME_OK) {
                        assert_true(got < 3);
                        assert_int_equal(outlen, strlen(p[got]));
                        assert_memory_equal(out, p[got], outlen);
                        free(out);
                        got++;
                        assert_true(frame_dec_idle(&d));
                } else {
                        assert_int_equal(st, FRAME_NEED_MORE);
                        assert_false(frame_dec_idle(&d));
                }
        }
        assert_int_equal(got, 3);
        frame_dec_free(&d);
}

static void test_random_splits(void **state)
{
        enum { NFRAMES = 6, MAXP = 300 };
        unsigned char buf[NFRAMES * (MAXP + FRAME_HDR)];
        unsigned char payload[NFRAMES][MAXP];
        uint32_t plen[NFRAMES];
        struct frame_dec d;
        size_t off, pos, n, used, outlen, j;
        char *out;
        int round, i, got;

        (void)state;
        for (round = 0; round < 500; round++) {
                off = 0;
                for (i = 0; i < NFRAMES; i++) {
                        plen[i] = 1 + rng() % MAXP;
                        for (j = 0; j < plen[i]; j++)
                                payload[i][j] = (unsigned char)rng();
                        put_frame(buf, &off, payload[i], plen[i]);
                }
                frame_dec_init(&d, MAXP);
                pos = 0;
                got = 0;
                while (pos < off) {
                        size_t base;

                        n = 1 + rng() % 40;
                        if (n > off - pos)
                                n = off - pos;
                        base = pos;
                        /* feed this slice until it is consumed, collecting frames */
                        while (pos < base + n) {
                                enum frame_status st = frame_dec_feed(
                                    &d, buf + pos, base + n - pos, &used, &out, &outlen);

                                pos += used;
                                if (st == FRAME_OK) {
                                        assert_true(got < NFRAMES);
                                        assert_int_equal(outlen, plen[got]);
                                        assert_memory_equal(out, payload[got], outlen);
                                        free(out);
                                        got++;
                                } else {
                                        assert_int_equal(st, FRAME_NEED_MORE);
                                        assert_int_equal(pos, base + n);
                                }
                        }
                }
                assert_int_equal(got, NFRAMES);
                assert_true(frame_dec_idle(&d));
                frame_dec_free(&d);
        }
}

static void test_zero_length_sticky(void **state)
{
        unsigned char buf[16];
        struct frame_dec d;
        size_t off = 0, used, outlen;
        char *out;

        (void)state;
        frame_put_header(buf, 0);
        off = FRAME_HDR;
        put_frame(buf, &off, "{}", 2); /* a valid frame after it must not be served */
        frame_dec_init(&d, 1024);
        assert_int_equal(frame_dec_feed(&d, buf, off, &used, &out, &outlen), FRAME_ERR_EMPTY);
        assert_int_equal(used, FRAME_HDR);
        assert_null(out);
        assert_int_equal(frame_dec_feed(&d, buf + used, off - used, &used, &out, &outlen),
                         FRAME_ERR_EMPTY);
        assert_int_equal(used, 0);
        assert_null(out);
        frame_dec_free(&d);
}

static void test_too_big_before_alloc(void **state)
{
        unsigned char hdr[FRAME_HDR];
        struct frame_dec d;
        size_t used, outlen;
        char *out;

        (void)state;
        frame_dec_init(&d, 100);
        frame_put_header(hdr, 101);
        /* The header alone is enough to fail: no payload, no buffer. */
        assert_int_equal(frame_dec_feed(&d, hdr, FRAME_HDR, &used, &out, &outlen),
                         FRAME_ERR_TOO_BIG);
        assert_null(d.buf);
        assert_null(out);
        assert_int_equal(frame_dec_feed(&d, "x", 1, &used, &out, &outlen), FRAME_ERR_TOO_BIG);
        assert_int_equal(used, 0);
        frame_dec_free(&d);

        frame_dec_init(&d, FRAME_MAX_PEER_DEFAULT);
        frame_put_header(hdr, 0xffffffffu);
        assert_int_equal(frame_dec_feed(&d, hdr, FRAME_HDR, &used, &out, &outlen),
                         FRAME_ERR_TOO_BIG);
        assert_null(d.buf);
        frame_dec_free(&d);

        frame_dec_init(&d, FRAME_MAX_PEER_DEFAULT);
        frame_put_header(hdr, FRAME_MAX_PEER_DEFAULT + 1);
        assert_int_equal(frame_dec_feed(&d, hdr, FRAME_HDR, &used, &out, &outlen),
                         FRAME_ERR_TOO_BIG);
        frame_dec_free(&d);
}

static void test_exactly_max(void **state)
{
        size_t total = FRAME_HDR + FRAME_MAX_PEER_DEFAULT, off = 0, used, outlen;
        unsigned char *buf = malloc(total);
        unsigned char *payload = malloc(FRAME_MAX_PEER_DEFAULT);
        struct frame_dec d;
        char *out;

        (void)state;
        assert_non_null(buf);
        assert_non_null(payload);
        memset(payload, 'a', FRAME_MAX_PEER_DEFAULT);
        put_frame(buf, &off, payload, FRAME_MAX_PEER_DEFAULT);
        frame_dec_init(&d, FRAME_MAX_PEER_DEFAULT);
        /* in two halves */
        assert_int_equal(frame_dec_feed(&d, buf, total / 2, &used, &out, &outlen),
                         FRAME_NEED_MORE);
        assert_int_equal(used, total / 2);
        assert_int_equal(frame_dec_feed(&d, buf + used, total - used, &used, &out, &outlen),
                         FRAME_OK);
        assert_int_equal(outlen, FRAME_MAX_PEER_DEFAULT);
        assert_memory_equal(out, payload, outlen);
        free(out);
        frame_dec_free(&d);
        free(payload);
        free(buf);
}

static void test_free_mid_frame(void **state)
{
        unsigned char buf[32];
        struct frame_dec d;
        size_t off = 0, used, outlen;
        char *out;

        (void)state;
        put_frame(buf, &off, "0123456789", 10);
        frame_dec_init(&d, 64);
        assert_int_equal(frame_dec_feed(&d, NULL, 0, &used, &out, &outlen), FRAME_NEED_MORE);
        assert_int_equal(frame_dec_feed(&d, buf, 7, &used, &out, &outlen), FRAME_NEED_MORE);
        assert_false(frame_dec_idle(&d));
        frame_dec_free(&d); /* the sanitizer build proves the partial buffer is freed */
        assert_null(d.buf);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_header_bytes),
            cmocka_unit_test(test_one_frame),
            cmocka_unit_test(test_several_in_one_buffer),
            cmocka_unit_test(test_byte_by_byte),
            cmocka_unit_test(test_random_splits),
            cmocka_unit_test(test_zero_length_sticky),
            cmocka_unit_test(test_too_big_before_alloc),
            cmocka_unit_test(test_exactly_max),
            cmocka_unit_test(test_free_mid_frame),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
