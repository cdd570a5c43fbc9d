/*
 * test_dstream.c - Docker's multiplexed stream headers (worker/dstream.c):
 * a stream cut at every byte gives the same frames, sizes are big-endian
 * u32, empty frames and unknown types, and a stream that stops mid-frame.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dstream.h"

static size_t put_frame(unsigned char *buf, uint8_t type, const char *payload, uint32_t len)
{
        buf[0] = type;
        buf[1] = buf[2] = buf[3] = 0;
        buf[4] = (unsigned char)(len >> 24);
        buf[5] = (unsigned char)(len >> 16);
        buf[6] = (unsigned char)(len >> 8);
        buf[7] = (unsigned char)len;
        memcpy(buf + DSTREAM_HDR, payload, len);
        return DSTREAM_HDR + len;
}

/* What a reader made of a stream: types, and each frame's payload as a string. */
struct seen {
        int n;
        uint8_t type[8];
        char payload[8][64];
};

/* Reads in[0..len) in pieces of `step` bytes, as stream_logs.c and raw.c do. */
static void read_stream(struct dstream *d, struct seen *out, const unsigned char *in,
                        size_t len, size_t step)
{
        size_t off = 0;
        size_t got = 0;

        while (off < len) {
                size_t n = len - off < step ? len - off : step;
                const unsigned char *p = in + off;

                off += n;
                while (n > 0) {
                        if (dstream_in_header(d)) {
                                size_t used = dstream_header(d, p, n);

                                p += used;
                                n -= used;
                                if (dstream_in_header(d))
                                        break;
                                out->type[out->n] = d->type;
                                got = 0;
                                if (d->left == 0) {
                                        out->n++;
                                        dstream_next(d);
                                }
                                continue;
                        }
                        size_t take = n < d->left ? n : d->left;

                        memcpy(out->payload[out->n] + got, p, take);
                        got += take;
                        d->left -= (uint32_t)take;
                        p += take;
                        n -= take;
                        if (d->left == 0) {
                                out->n++;
                                dstream_next(d);
                        }
                }
        }
}

static void test_every_cut_gives_the_same_frames(void **state)
{
        unsigned char buf[256];
        size_t len = 0;

        len += put_frame(buf + len, DSTREAM_STDOUT, "hello\n", 6);
        len += put_frame(buf + len, DSTREAM_STDERR, "", 0);
        len += put_frame(buf + len, DSTREAM_STDERR, "oops", 4);
        len += put_frame(buf + len, DSTREAM_SYSTEMERR, "engine says no", 14);
        for (size_t step = 1; step <= len; step++) {
                struct dstream d;
                struct seen s;

                memset(&d, 0, sizeof(d));
                memset(&s, 0, sizeof(s));
                read_stream(&d, &s, buf, len, step);
                assert_int_equal(s.n, 4);
                assert_int_equal(s.type[0], DSTREAM_STDOUT);
                assert_string_equal(s.payload[0], "hello\n");
                assert_int_equal(s.type[1], DSTREAM_STDERR);
                assert_string_equal(s.payload[1], "");
                assert_int_equal(s.type[2], DSTREAM_STDERR);
                assert_string_equal(s.payload[2], "oops");
                assert_int_equal(s.type[3], DSTREAM_SYSTEMERR);
                assert_string_equal(s.payload[3], "engine says no");
                assert_false(dstream_mid(&d));
        }
}

/* The size is all four bytes, big-endian: up to 4 GiB - 1 announced. */
static void test_size_is_big_endian_u32(void **state)
{
        static const unsigned char hdr[DSTREAM_HDR] = {1, 0, 0, 0, 0xff, 0xfe, 0x01, 0x02};
        struct dstream d;

        memset(&d, 0, sizeof(d));
        assert_int_equal(dstream_header(&d, hdr, 3), 3);
        assert_true(dstream_in_header(&d));
        assert_true(dstream_mid(&d));
        /* Only the header's bytes are taken: the payload is the caller's. */
        assert_int_equal(dstream_header(&d, hdr + 3, 5), 5);
        assert_false(dstream_in_header(&d));
        assert_int_equal(d.type, DSTREAM_STDOUT);
        assert_int_equal(d.left, 0xfffe0102u);
        assert_true(dstream_mid(&d));
        assert_int_equal(dstream_header(&d, hdr, sizeof(hdr)), 0);
}

static void test_types(void **state)
{
        for (unsigned t = 0; t <= 3; t++)
                assert_true(dstream_type_known((uint8_t)t));
        assert_false(dstream_type_known(4));
        assert_false(dstream_type_known(255));
}

/* A stream that stops inside a header or a payload is reported as cut. */
static void test_stopped_mid_frame(void **state)
{
        unsigned char buf[64];
        size_t len = put_frame(buf, DSTREAM_STDOUT, "abcdef", 6);
        struct dstream d;
        struct seen s;

        memset(&d, 0, sizeof(d));
        memset(&s, 0, sizeof(s));
        read_stream(&d, &s, buf, len - 2, 5);
        assert_int_equal(s.n, 0);
        assert_true(dstream_mid(&d));
        assert_int_equal(d.left, 2);
        memset(&d, 0, sizeof(d));
        assert_false(dstream_mid(&d));
        dstream_header(&d, buf, 1);
        assert_true(dstream_mid(&d));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_every_cut_gives_the_same_frames),
            cmocka_unit_test(test_size_is_big_endian_u32),
            cmocka_unit_test(test_types),
            cmocka_unit_test(test_stopped_mid_frame),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
