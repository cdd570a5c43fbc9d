/* test_envelope.c - peer frame parsing (every rejection names its field) and server frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "envelope.h"
#include "frame.h"

#define CALL(payload) "{\"type\":\"call.requested\",\"id\":\"c1\",\"payload\":" payload "}"

static int parse(const char *json, size_t len, struct envelope *env, char *err, size_t errlen)
{
        return envelope_parse(json, len, env, err, errlen);
}

/* Parses s (which must fail); checks that err contains want and that the id read is id. */
static void expect_fail(const char *s, size_t len, const char *want, const char *id)
{
        struct envelope env;
        char err[256];

        if (parse(s, len, &env, err, sizeof(err)) != -1)
                fail_msg("accepted: %.*s", (int)len, s);
        if (strstr(err, want) == NULL)
                fail_msg("error \"%s\" does not contain \"%s\" (frame %.*s)", err, want,
                         (int)len, s);
        assert_string_equal(env.id, id);
        envelope_clear(&env);
}

#define FAILS(lit, want, id) expect_fail(lit, sizeof(lit) - 1, want, id)

static void test_minimal_call(void **state)
{
        static const char s[] = CALL("{\"operationId\":\"docker/system/ping\"}");
        struct envelope env;
        char err[256];

        (void)state;
        assert_int_equal(parse(s, sizeof(s) - 1, &env, err, sizeof(err)), 0);
        assert_int_equal(env.type, ENV_CALL_REQUESTED);
        assert_string_equal(env.id, "c1");
        assert_string_equal(env.operation, "docker/system/ping");
        assert_true(json_is_object(env.input));
        assert_int_equal(json_object_size(env.input), 0);
        assert_int_equal(env.carriage, CARRIAGE_JSON);
        assert_null(env.token);
        envelope_clear(&env);
        assert_null(env.operation);
        assert_null(env.input);
}

static void test_full_call(void **state)
{
        static const char s[] =
            "{\"payload\":{\"auth\":{\"token\":\"s3cret\"},\"carriage\":\"raw\","
            "\"input\":{\"containerId\":\"abc\",\"nested\":{\"k\":[1,2,{\"z\":null}]}},"
            "\"operationId\":\"docker/container/attach\"},\"id\":\"x "
            "y~\",\"type\":\"call.requested\"}";
        struct envelope env;
        char err[256];

        (void)state;
        assert_int_equal(parse(s, sizeof(s) - 1, &env, err, sizeof(err)), 0);
        assert_string_equal(env.id, "x y~");
        assert_string_equal(env.operation, "docker/container/attach");
        assert_int_equal(env.carriage, CARRIAGE_RAW);
        assert_string_equal(env.token, "s3cret");
        assert_string_equal(json_string_value(json_object_get(env.input, "containerId")),
                            "abc");
        envelope_clear(&env);

        /* carriage "json" spelled out */
        static const char s2[] =
            CALL("{\"operationId\":\"a\",\"carriage\":\"json\",\"input\":{}}");
        assert_int_equal(parse(s2, sizeof(s2) - 1, &env, err, sizeof(err)), 0);
        assert_int_equal(env.carriage, CARRIAGE_JSON);
        envelope_clear(&env);
}

static void test_call_aborted(void **state)
{
        static const char ok[] = "{\"type\":\"call.aborted\",\"id\":\"c9\",\"payload\":{}}";
        struct envelope env;
        char err[256];

        (void)state;
        assert_int_equal(parse(ok, sizeof(ok) - 1, &env, err, sizeof(err)), 0);
        assert_int_equal(env.type, ENV_CALL_ABORTED);
        assert_string_equal(env.id, "c9");
        assert_null(env.operation);
        envelope_clear(&env);
        FAILS("{\"type\":\"call.aborted\",\"id\":\"c9\",\"payload\":{\"x\":1}}", "payload",
              "c9");
        FAILS("{\"type\":\"call.aborted\",\"id\":\"c9\",\"payload\":[]}", "payload", "c9");
        FAILS("{\"type\":\"call.aborted\",\"id\":\"c9\"}", "payload: missing", "c9");
}

static void test_invalid_json(void **state)
{
        (void)state;
        FAILS("", "invalid JSON", "");
        FAILS("{", "invalid JSON", "");
        FAILS("not json", "invalid JSON", "");
        FAILS("{\"type\":\"call.requested\",}", "invalid JSON", "");
        FAILS(CALL("{\"operationId\":\"a\"}") " trailing", "invalid JSON", "");
        FAILS(CALL("{\"operationId\":\"a\"}") "{}", "invalid JSON", "");
        /* a raw NUL byte inside the frame */
        FAILS("{\"type\":\"call.requested\",\0\"id\":\"a\",\"payload\":{}}", "invalid JSON",
              "");
        /* control characters must be escaped */
        FAILS(CALL("{\"operationId\":\"a\tb\"}"), "invalid JSON", "");
        /* escaped NUL: jansson refuses it without JSON_ALLOW_NUL */
        FAILS(CALL("{\"operationId\":\"a\\u0000b\"}"), "invalid JSON", "");
}

static void test_invalid_utf8(void **state)
{
        (void)state;
        FAILS(CALL("{\"operationId\":\"\xff\"}"), "invalid JSON", "");
        FAILS(CALL("{\"operationId\":\"\xc0\x80\"}"), "invalid JSON", "");     /* overlong */
        FAILS(CALL("{\"operationId\":\"\xed\xa0\x80\"}"), "invalid JSON", ""); /* surrogate */
        FAILS(CALL("{\"operationId\":\"\xf4\x90\x80\x80\"}"), "invalid JSON",
              "");                                                         /* > U+10FFFF */
        FAILS(CALL("{\"operationId\":\"\xe2\x82\"}"), "invalid JSON", ""); /* truncated */
        FAILS(CALL("{\"operationId\":\"a\",\"input\":{\"\xc3\":1}}"), "invalid JSON", "");
        /* a lone surrogate escape */
        FAILS(CALL("{\"operationId\":\"\\ud800\"}"), "invalid JSON", "");
}

static void test_not_an_object(void **state)
{
        (void)state;
        FAILS("[1,2]", "must be a JSON object", "");
        FAILS("[{\"type\":\"call.requested\",\"id\":\"a\",\"payload\":{}}]",
              "must be a JSON object", "");
        /* jansson refuses bare scalars at top level, which is what we want either way */
        expect_fail("42", 2, "", "");
        expect_fail("\"str\"", 5, "", "");
        expect_fail("null", 4, "", "");
}

static void test_duplicate_keys(void **state)
{
        (void)state;
        FAILS("{\"type\":\"call.requested\",\"id\":\"a\",\"id\":\"b\",\"payload\":{}}",
              "duplicate", "");
        FAILS(CALL("{\"operationId\":\"a\",\"operationId\":\"b\"}"), "duplicate", "");
        FAILS(CALL("{\"operationId\":\"a\",\"input\":{\"x\":1,\"x\":1}}"), "duplicate", "");
        /* five levels down, inside an array */
        FAILS(CALL("{\"operationId\":\"a\",\"input\":{\"a\":{\"b\":[{\"c\":{\"d\":[0,{\"e\":1,"
                   "\"e\":2}]}}]}}}"),
              "duplicate", "");
        FAILS(CALL("{\"operationId\":\"a\",\"auth\":{\"token\":\"t\",\"token\":\"t\"}}"),
              "duplicate", "");
}

static void test_envelope_fields(void **state)
{
        (void)state;
        /* missing */
        FAILS("{\"id\":\"a\",\"payload\":{}}", "type: missing", "a");
        FAILS("{\"type\":\"call.requested\",\"payload\":{}}", "id: missing", "");
        FAILS("{\"type\":\"call.requested\",\"id\":\"a\"}", "payload: missing", "a");
        FAILS("{}", "missing", "");
        /* ill-typed */
        FAILS("{\"type\":1,\"id\":\"a\",\"payload\":{}}", "type: must be a string", "a");
        FAILS("{\"type\":null,\"id\":\"a\",\"payload\":{}}", "type: must be a string", "a");
        FAILS("{\"type\":\"call.requested\",\"id\":7,\"payload\":{}}", "id: must be a string",
              "");
        FAILS("{\"type\":\"call.requested\",\"id\":[\"a\"],\"payload\":{}}",
              "id: must be a string", "");
        FAILS("{\"type\":\"call.requested\",\"id\":\"a\",\"payload\":[]}",
              "payload: must be an object", "a");
        FAILS("{\"type\":\"call.requested\",\"id\":\"a\",\"payload\":\"{}\"}",
              "payload: must be an object", "a");
        FAILS("{\"type\":\"call.requested\",\"id\":\"a\",\"payload\":null}",
              "payload: must be an object", "a");
        /* unknown */
        FAILS("{\"type\":\"call.requested\",\"id\":\"a\",\"payload\":{\"operationId\":\"x\"},"
              "\"extra\":1}",
              "extra: unknown field", "a");
        FAILS("{\"type\":\"call.requested\",\"id\":\"a\",\"payload\":{\"operationId\":\"x\"},"
              "\"Type\":1}",
              "Type: unknown field", "a");
        /* unknown type */
        FAILS("{\"type\":\"call.bogus\",\"id\":\"a\",\"payload\":{}}", "unknown type", "a");
        FAILS("{\"type\":\"call.responded\",\"id\":\"a\",\"payload\":{}}", "unknown type", "a");
        FAILS("{\"type\":\"\",\"id\":\"a\",\"payload\":{}}", "unknown type", "a");
}

static void test_ids(void **state)
{
        char buf[512], id[200];
        struct envelope env;
        char err[256];
        int n;

        (void)state;
        FAILS("{\"type\":\"call.requested\",\"id\":\"\",\"payload\":{}}", "id: must be", "");
        FAILS("{\"type\":\"call.requested\",\"id\":\"a\\u0001\",\"payload\":{}}", "id: must be",
              "");
        FAILS("{\"type\":\"call.requested\",\"id\":\"a\\u007f\",\"payload\":{}}", "id: must be",
              "");
        FAILS("{\"type\":\"call.requested\",\"id\":\"\xc3\xa9\",\"payload\":{}}", "id: must be",
              "");
        FAILS("{\"type\":\"call.requested\",\"id\":\"a\\nb\",\"payload\":{}}", "id: must be",
              "");

        /* 128 printable characters pass, 129 do not */
        memset(id, 'i', 128);
        id[0] = ' ';
        id[127] = '~';
        id[128] = '\0';
        n = snprintf(
            buf, sizeof(buf),
            "{\"type\":\"call.requested\",\"id\":\"%s\",\"payload\":{\"operationId\":\"a\"}}",
            id);
        assert_int_equal(parse(buf, (size_t)n, &env, err, sizeof(err)), 0);
        assert_string_equal(env.id, id);
        envelope_clear(&env);
        id[128] = 'j';
        id[129] = '\0';
        n = snprintf(
            buf, sizeof(buf),
            "{\"type\":\"call.requested\",\"id\":\"%s\",\"payload\":{\"operationId\":\"a\"}}",
            id);
        expect_fail(buf, (size_t)n, "id: must be 1..128", "");

        assert_true(envelope_id_valid("a"));
        assert_true(envelope_id_valid(" ~"));
        assert_false(envelope_id_valid(""));
        assert_false(envelope_id_valid(NULL));
        assert_false(envelope_id_valid("\x1f"));
        assert_false(envelope_id_valid("\x7f"));
        assert_false(envelope_id_valid("\x80"));
}

static void test_id_kept_on_later_failure(void **state)
{
        (void)state;
        /* the id is read even though the type and payload come after it and are bad */
        FAILS("{\"type\":\"nope\",\"id\":\"keep-me\",\"payload\":{}}", "unknown type",
              "keep-me");
        FAILS(CALL("{\"operationId\":5}"), "payload.operationId", "c1");
        FAILS(CALL("{\"operationId\":\"a\",\"bogus\":true}"), "payload.bogus: unknown field",
              "c1");
}

static void test_payload_fields(void **state)
{
        char op[100], buf[400];
        struct envelope env;
        char err[256];
        int n;

        (void)state;
        FAILS(CALL("{}"), "payload.operationId: missing", "c1");
        FAILS(CALL("{\"operationId\":1}"), "payload.operationId: must be a string", "c1");
        FAILS(CALL("{\"operationId\":null}"), "payload.operationId: must be a string", "c1");
        FAILS(CALL("{\"operationId\":\"\"}"), "payload.operationId: must be 1..96", "c1");
        memset(op, 'o', 96);
        op[96] = '\0';
        n = snprintf(buf, sizeof(buf), CALL("{\"operationId\":\"%s\"}"), op);
        assert_int_equal(parse(buf, (size_t)n, &env, err, sizeof(err)), 0);
        assert_int_equal(strlen(env.operation), 96);
        envelope_clear(&env);
        op[96] = 'o';
        op[97] = '\0';
        n = snprintf(buf, sizeof(buf), CALL("{\"operationId\":\"%s\"}"), op);
        expect_fail(buf, (size_t)n, "payload.operationId: must be 1..96", "c1");

        FAILS(CALL("{\"operationId\":\"a\",\"input\":[]}"), "payload.input: must be an object",
              "c1");
        FAILS(CALL("{\"operationId\":\"a\",\"input\":null}"),
              "payload.input: must be an object", "c1");
        FAILS(CALL("{\"operationId\":\"a\",\"input\":\"{}\"}"),
              "payload.input: must be an object", "c1");
        FAILS(CALL("{\"operationId\":\"a\",\"carriage\":\"RAW\"}"), "payload.carriage", "c1");
        FAILS(CALL("{\"operationId\":\"a\",\"carriage\":1}"), "payload.carriage", "c1");
        FAILS(CALL("{\"operationId\":\"a\",\"carriage\":null}"), "payload.carriage", "c1");
        FAILS(CALL("{\"operationId\":\"a\",\"carriage\":\"\"}"), "payload.carriage", "c1");
        FAILS(CALL("{\"operationId\":\"a\",\"unknown\":1}"), "payload.unknown: unknown field",
              "c1");
        FAILS(CALL("{\"operationId\":\"a\",\"Input\":{}}"), "payload.Input: unknown field",
              "c1");
}

static void test_auth(void **state)
{
        char tok[600], buf[800];
        struct envelope env;
        char err[256];
        int n;

        (void)state;
        FAILS(CALL("{\"operationId\":\"a\",\"auth\":\"t\"}"), "payload.auth: must be an object",
              "c1");
        FAILS(CALL("{\"operationId\":\"a\",\"auth\":{}}"), "payload.auth.token: missing", "c1");
        FAILS(CALL("{\"operationId\":\"a\",\"auth\":{\"token\":1}}"),
              "payload.auth.token: must be a string", "c1");
        FAILS(CALL("{\"operationId\":\"a\",\"auth\":{\"token\":\"\"}}"),
              "payload.auth.token: must be 1..512", "c1");
        FAILS(CALL("{\"operationId\":\"a\",\"auth\":{\"token\":\"t\",\"user\":\"u\"}}"),
              "payload.auth.user: unknown field", "c1");
        memset(tok, 't', 512);
        tok[512] = '\0';
        n = snprintf(buf, sizeof(buf),
                     CALL("{\"operationId\":\"a\",\"auth\":{\"token\":\"%s\"}}"), tok);
        assert_int_equal(parse(buf, (size_t)n, &env, err, sizeof(err)), 0);
        assert_int_equal(strlen(env.token), 512);
        envelope_clear(&env);
        tok[512] = 't';
        tok[513] = '\0';
        n = snprintf(buf, sizeof(buf),
                     CALL("{\"operationId\":\"a\",\"auth\":{\"token\":\"%s\"}}"), tok);
        expect_fail(buf, (size_t)n, "payload.auth.token: must be 1..512", "c1");
}

static void test_unknown_key_is_printable_in_error(void **state)
{
        struct envelope env;
        char err[256];
        size_t i;
        static const char s[] =
            "{\"type\":\"call.requested\",\"id\":\"a\",\"payload\":{},\"\\u0001\xc3\xa9\":1}";

        (void)state;
        assert_int_equal(parse(s, sizeof(s) - 1, &env, err, sizeof(err)), -1);
        for (i = 0; err[i] != '\0'; i++)
                assert_true((unsigned char)err[i] >= 0x20 && (unsigned char)err[i] < 0x7f);
        assert_non_null(strstr(err, "unknown field"));
        envelope_clear(&env);
}

/* ---- server frames ---- */

/* len is a pointer: it must be read after the builder ran, not as a sibling argument. */
static void expect_text(char *text, const size_t *len, const char *want)
{
        assert_non_null(text);
        assert_string_equal(text, want);
        assert_int_equal(*len, strlen(want));
        free(text);
}

static void test_build_frames(void **state)
{
        json_t *out, *details;
        size_t len;

        (void)state;
        out = json_pack("{s:i, s:s}", "x", 1, "name", "caf\xc3\xa9");
        expect_text(
            envelope_responded("c1", out, &len), &len,
            "{\"type\":\"call.responded\",\"id\":\"c1\",\"payload\":{\"output\":{\"x\":1,"
            "\"name\":\"caf\xc3\xa9\"}}}");
        /* borrowed: still ours */
        assert_int_equal(out->refcount, 1);
        json_decref(out);
        expect_text(
            envelope_responded("c1", NULL, &len), &len,
            "{\"type\":\"call.responded\",\"id\":\"c1\",\"payload\":{\"output\":null}}");
        out = json_string("s");
        expect_text(
            envelope_responded("c1", out, &len), &len,
            "{\"type\":\"call.responded\",\"id\":\"c1\",\"payload\":{\"output\":\"s\"}}");
        json_decref(out);
        expect_text(envelope_completed("c1", &len), &len,
                    "{\"type\":\"call.completed\",\"id\":\"c1\",\"payload\":{}}");
        expect_text(envelope_aborted("c1", &len), &len,
                    "{\"type\":\"call.aborted\",\"id\":\"c1\",\"payload\":{}}");
        expect_text(
            envelope_error("", DG_PROTOCOL_ERROR, "frame: invalid JSON", NULL, &len), &len,
            "{\"type\":\"call.error\",\"id\":\"\",\"payload\":{\"code\":\"PROTOCOL_ERROR\","
            "\"message\":\"frame: invalid JSON\",\"retryable\":false}}");
        details = json_pack("{s:i}", "retryAfterMs", 250);
        expect_text(
            envelope_error("r", DG_RATE_LIMITED, "slow down", details, &len), &len,
            "{\"type\":\"call.error\",\"id\":\"r\",\"payload\":{\"code\":\"RATE_LIMITED\","
            "\"message\":\"slow "
            "down\",\"retryable\":true,\"details\":{\"retryAfterMs\":250}}}");
        assert_int_equal(details->refcount, 1);
        json_decref(details);
        /* invalid UTF-8 in a message (engine text) is made valid, not dropped */
        expect_text(
            envelope_error("r", DG_DOCKER_ERROR, "bad \xff byte", NULL, &len), &len,
            "{\"type\":\"call.error\",\"id\":\"r\",\"payload\":{\"code\":\"DOCKER_ERROR\","
            "\"message\":\"bad ? byte\",\"retryable\":false}}");
}

static void test_build_refuses(void **state)
{
        json_t *arr = json_array();
        size_t len = 7;

        (void)state;
        assert_null(envelope_completed("bad\x01id", &len));
        assert_int_equal(len, 0);
        assert_null(envelope_error("a", DG_OK, "ok?", NULL, &len));
        assert_null(envelope_error("a", DG_ERR_COUNT, "x", NULL, &len));
        assert_null(
            envelope_error("a", DG_INTERNAL, "x", arr, &len)); /* details not an object */
        json_decref(arr);
}

static void test_build_size_limit(void **state)
{
        size_t overhead, len;
        json_t *s;
        char *text, *big;

        (void)state;
        s = json_string("");
        text = envelope_responded("a", s, &len);
        assert_non_null(text);
        overhead = len;
        free(text);
        json_decref(s);

        big = malloc(FRAME_MAX_SERVER + 1);
        assert_non_null(big);
        memset(big, 'b', FRAME_MAX_SERVER);
        /* exactly FRAME_MAX_SERVER bytes of text: allowed */
        s = json_stringn(big, FRAME_MAX_SERVER - overhead);
        text = envelope_responded("a", s, &len);
        assert_non_null(text);
        assert_int_equal(len, FRAME_MAX_SERVER);
        free(text);
        json_decref(s);
        /* one more: refused */
        s = json_stringn(big, FRAME_MAX_SERVER - overhead + 1);
        assert_null(envelope_responded("a", s, &len));
        json_decref(s);
        free(big);
}

static void test_round_trip_output_with_nul(void **state)
{
        json_t *s = json_stringn("a\0b", 3);
        size_t len;
        char *text;

        (void)state;
        text = envelope_responded("a", s, &len);
        assert_non_null(text);
        assert_non_null(strstr(text, "a\\u0000b"));
        free(text);
        json_decref(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_minimal_call),
            cmocka_unit_test(test_full_call),
            cmocka_unit_test(test_call_aborted),
            cmocka_unit_test(test_invalid_json),
            cmocka_unit_test(test_invalid_utf8),
            cmocka_unit_test(test_not_an_object),
            cmocka_unit_test(test_duplicate_keys),
            cmocka_unit_test(test_envelope_fields),
            cmocka_unit_test(test_ids),
            cmocka_unit_test(test_id_kept_on_later_failure),
            cmocka_unit_test(test_payload_fields),
            cmocka_unit_test(test_auth),
            cmocka_unit_test(test_unknown_key_is_printable_in_error),
            cmocka_unit_test(test_build_frames),
            cmocka_unit_test(test_build_refuses),
            cmocka_unit_test(test_build_size_limit),
            cmocka_unit_test(test_round_trip_output_with_nul),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
