/* test_b64.c - base64 vectors and strictness, and the UTF-8 validator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "b64.h"

static void test_rfc4648_vectors(void **state)
{
        static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
        static const char *const out[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                          "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
        unsigned char *dec;
        size_t i, n;
        char *enc;

        (void)state;
        for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
                enc = b64_encode(in[i], strlen(in[i]));
                assert_non_null(enc);
                assert_string_equal(enc, out[i]);
                free(enc);
                dec = b64_decode(out[i], strlen(out[i]), &n);
                assert_non_null(dec);
                assert_int_equal(n, strlen(in[i]));
                assert_memory_equal(dec, in[i], n);
                free(dec);
        }
}

static void test_round_trip_binary(void **state)
{
        unsigned char buf[300], *dec;
        size_t len, i, n;
        char *enc;

        (void)state;
        for (len = 0; len < sizeof(buf); len++) {
                for (i = 0; i < len; i++)
                        buf[i] = (unsigned char)(i * 37 + len);
                enc = b64_encode(buf, len);
                assert_non_null(enc);
                assert_int_equal(strlen(enc), (len + 2) / 3 * 4);
                dec = b64_decode(enc, strlen(enc), &n);
                assert_non_null(dec);
                assert_int_equal(n, len);
                assert_memory_equal(dec, buf, len);
                free(dec);
                free(enc);
        }
}

static void test_decode_rejects(void **state)
{
        static const char *const bad[] = {
            "Zg=",                           /* length not a multiple of 4 */
            "Zg",                            /* missing padding */
            "Zm9v!A==",                      /* not in the alphabet */
            "Zm9v YQ==",                     /* whitespace */
            "Z===",                          /* three pad characters */
            "====",      "=Zg=", "Zg==Zg==", /* padding in the middle */
            "Zh==",                          /* non-canonical: hidden bits set */
            "Zm9=",      "Zm-_",             /* url-safe alphabet is not ours */
        };
        size_t i, n = 99;

        (void)state;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_null(b64_decode(bad[i], strlen(bad[i]), &n));
                assert_int_equal(n, 0);
        }
}

struct u8case {
        const char *s;
        size_t len;
        int ok;
};

#define U8(lit, ok)                                                                            \
        {                                                                                      \
                lit, sizeof(lit) - 1, ok                                                       \
        }

static void test_utf8(void **state)
{
        static const struct u8case cases[] = {
            U8("", 1),
            U8("plain ascii", 1),
            U8("nul\0inside", 1),
            U8("\xc3\xa9", 1),         /* U+00E9 */
            U8("\xe2\x82\xac", 1),     /* U+20AC */
            U8("\xed\x9f\xbf", 1),     /* U+D7FF, last before surrogates */
            U8("\xee\x80\x80", 1),     /* U+E000, first after */
            U8("\xef\xbf\xbf", 1),     /* U+FFFF */
            U8("\xf0\x90\x80\x80", 1), /* U+10000 */
            U8("\xf4\x8f\xbf\xbf", 1), /* U+10FFFF */
            U8("\xc0\x80", 0),         /* overlong NUL */
            U8("\xc1\xbf", 0),         /* overlong */
            U8("\xe0\x80\x80", 0),     /* overlong */
            U8("\xe0\x9f\xbf", 0),     /* overlong */
            U8("\xf0\x80\x80\x80", 0), /* overlong */
            U8("\xf0\x8f\xbf\xbf", 0), /* overlong */
            U8("\xed\xa0\x80", 0),     /* U+D800 */
            U8("\xed\xbf\xbf", 0),     /* U+DFFF */
            U8("\xf4\x90\x80\x80", 0), /* U+110000 */
            U8("\xf5\x80\x80\x80", 0),
            U8("\xff", 0),
            U8("\xfe", 0),
            U8("\x80", 0), /* lone continuation */
            U8("a\xbf", 0),
            U8("\xc3", 0), /* truncated */
            U8("\xe2\x82", 0),
            U8("\xf0\x9f\x98", 0),
            U8("\xe2\x28\xa1", 0),         /* bad continuation */
            U8("\xc3\xa9\xc3", 0),         /* valid then truncated */
            U8("\xf8\x88\x80\x80\x80", 0), /* 5-byte form */
        };
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                if (utf8_valid(cases[i].s, cases[i].len) != cases[i].ok)
                        fail_msg("case %zu: expected %d", i, cases[i].ok);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_rfc4648_vectors),
            cmocka_unit_test(test_round_trip_binary),
            cmocka_unit_test(test_decode_rejects),
            cmocka_unit_test(test_utf8),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
