/* test_mpjson.c - jansson <-> msgpack: faithful round trips, strict unpacking. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mpjson.h"

/* Packs v and unpacks it again; returns the new value or NULL. */
static json_t *round_trip(const json_t *v)
{
        msgpack_sbuffer sb;
        msgpack_packer pk;
        msgpack_unpacked u;
        size_t off = 0;
        json_t *r = NULL;

        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        if (mpjson_pack(&pk, v) == 0) {
                msgpack_unpacked_init(&u);
                assert_int_equal(msgpack_unpack_next(&u, sb.data, sb.size, &off),
                                 MSGPACK_UNPACK_SUCCESS);
                assert_int_equal(off, sb.size);
                r = mpjson_unpack(&u.data);
                msgpack_unpacked_destroy(&u);
        }
        msgpack_sbuffer_destroy(&sb);
        return r;
}

/* Unpacks raw msgpack bytes through mpjson. */
static json_t *unpack_bytes(const void *buf, size_t len)
{
        msgpack_unpacked u;
        size_t off = 0;
        json_t *r;

        msgpack_unpacked_init(&u);
        assert_int_equal(msgpack_unpack_next(&u, buf, len, &off), MSGPACK_UNPACK_SUCCESS);
        r = mpjson_unpack(&u.data);
        msgpack_unpacked_destroy(&u);
        return r;
}

static void test_round_trip_document(void **state)
{
        json_error_t e;
        json_t *v, *r;

        (void)state;
        v = json_loads("{\"a\":[1,-1,0,9223372036854775807,-9223372036854775808,1.5,-0.25],"
                       "\"b\":{\"t\":true,\"f\":false,\"n\":null,\"e\":{},\"ea\":[]},"
                       "\"s\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\",\"\":\"empty key\"}",
                       0, &e);
        assert_non_null(v);
        r = round_trip(v);
        assert_non_null(r);
        assert_true(json_equal(v, r));
        /* integers stay integers, reals stay reals */
        assert_true(json_is_integer(json_array_get(json_object_get(r, "a"), 3)));
        assert_true(json_is_real(json_array_get(json_object_get(r, "a"), 5)));
        json_decref(v);
        json_decref(r);
}

static void test_scalars_at_top(void **state)
{
        json_t *vals[] = {json_null(),      json_true(),     json_false(),
                          json_integer(-5), json_real(3.25), json_string("x")};
        size_t i;
        json_t *r;

        (void)state;
        for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
                r = round_trip(vals[i]);
                assert_non_null(r);
                assert_true(json_equal(vals[i], r));
                json_decref(r);
                json_decref(vals[i]);
        }
}

static void test_nul_in_strings_and_keys(void **state)
{
        json_t *v = json_object(), *r, *s;

        (void)state;
        json_object_set_new(v, "str", json_stringn("a\0b", 3));
        json_object_setn_new(v, "k\0ey", 4, json_true());
        r = round_trip(v);
        assert_non_null(r);
        s = json_object_get(r, "str");
        assert_int_equal(json_string_length(s), 3);
        assert_memory_equal(json_string_value(s), "a\0b", 3);
        assert_non_null(json_object_getn(r, "k\0ey", 4));
        assert_null(json_object_get(r, "k")); /* "k" is not the same key */
        assert_int_equal(json_object_size(r), 2);
        json_decref(v);
        json_decref(r);
}

/* Builds a value nested `depth` containers deep (arrays and objects alternating). */
static json_t *nested(int depth)
{
        json_t *v = json_integer(1), *c;
        int i;

        for (i = 0; i < depth; i++) {
                if (i % 2) {
                        c = json_array();
                        json_array_append_new(c, v);
                } else {
                        c = json_object();
                        json_object_set_new(c, "k", v);
                }
                v = c;
        }
        return v;
}

static void test_depth_limit(void **state)
{
        msgpack_sbuffer sb;
        msgpack_packer pk;
        json_t *v, *r;
        unsigned char buf[64];
        int i;

        (void)state;
        v = nested(MPJSON_MAX_DEPTH);
        r = round_trip(v);
        assert_non_null(r);
        assert_true(json_equal(v, r));
        json_decref(r);
        json_decref(v);

        /* one deeper is refused by the packer */
        v = nested(MPJSON_MAX_DEPTH + 1);
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        assert_int_equal(mpjson_pack(&pk, v), -1);
        msgpack_sbuffer_destroy(&sb);
        json_decref(v);

        /* and by the unpacker: MPJSON_MAX_DEPTH + 1 fixarrays of one element around nil */
        for (i = 0; i <= MPJSON_MAX_DEPTH; i++)
                buf[i] = 0x91;
        buf[MPJSON_MAX_DEPTH + 1] = 0xc0;
        assert_null(unpack_bytes(buf, MPJSON_MAX_DEPTH + 2));
        /* MPJSON_MAX_DEPTH of them is fine */
        r = unpack_bytes(buf + 1, MPJSON_MAX_DEPTH + 1);
        assert_non_null(r);
        json_decref(r);
}

static void test_unpack_rejects(void **state)
{
        static const unsigned char int_key[] = {0x81, 0x01, 0xc0}; /* {1: nil} */
        static const unsigned char dup_key[] = {0x82, 0xa1, 'a', 0x01, 0xa1, 'a', 0x02};
        static const unsigned char bad_utf8[] = {0xa2, 0xc3, 0x28};
        static const unsigned char bad_key_utf8[] = {0x81, 0xa1, 0xff, 0xc0};
        static const unsigned char bin[] = {0xc4, 0x01, 'x'};
        static const unsigned char ext[] = {0xd4, 0x01, 0x00};
        static const unsigned char f32[] = {0xca, 0x3f, 0x80, 0x00, 0x00};
        static const unsigned char big_u64[] = {0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0};
        static const unsigned char nan64[] = {0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0};
        static const unsigned char inf64[] = {0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0};
        static const unsigned char nested_bad[] = {0x91, 0x81, 0xa1, 'k', 0xc4, 0x00};
        static const unsigned char max_u64_ok[] = {0xcf, 0x7f, 0xff, 0xff, 0xff,
                                                   0xff, 0xff, 0xff, 0xff};
        json_t *r;

        (void)state;
        assert_null(unpack_bytes(int_key, sizeof(int_key)));
        assert_null(unpack_bytes(dup_key, sizeof(dup_key)));
        assert_null(unpack_bytes(bad_utf8, sizeof(bad_utf8)));
        assert_null(unpack_bytes(bad_key_utf8, sizeof(bad_key_utf8)));
        assert_null(unpack_bytes(bin, sizeof(bin)));
        assert_null(unpack_bytes(ext, sizeof(ext)));
        assert_null(unpack_bytes(f32, sizeof(f32)));
        assert_null(unpack_bytes(big_u64, sizeof(big_u64)));
        assert_null(unpack_bytes(nan64, sizeof(nan64)));
        assert_null(unpack_bytes(inf64, sizeof(inf64)));
        assert_null(unpack_bytes(nested_bad, sizeof(nested_bad)));
        r = unpack_bytes(max_u64_ok, sizeof(max_u64_ok));
        assert_non_null(r);
        assert_true(json_integer_value(r) == INT64_MAX);
        json_decref(r);
        assert_null(mpjson_unpack(NULL));
}

static void test_pack_null_args(void **state)
{
        msgpack_sbuffer sb;
        msgpack_packer pk;

        (void)state;
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        assert_int_equal(mpjson_pack(&pk, NULL), -1);
        assert_int_equal(mpjson_pack(NULL, json_null()), -1);
        msgpack_sbuffer_destroy(&sb);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_round_trip_document),
            cmocka_unit_test(test_scalars_at_top),
            cmocka_unit_test(test_nul_in_strings_and_keys),
            cmocka_unit_test(test_depth_limit),
            cmocka_unit_test(test_unpack_rejects),
            cmocka_unit_test(test_pack_null_args),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
