/* test_msg.c - supervisor <-> worker messages: every type round trips, every deviation fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mpjson.h"
#include "msg.h"

static const enum msg_type all_types[] = {MSG_PEER,       MSG_RESULT, MSG_FAIL,   MSG_STREAM,
                                          MSG_READY,      MSG_CALL,   MSG_CANCEL, MSG_CALL_END,
                                          MSG_STREAM_END, MSG_RESIZE};
#define NTYPES (sizeof(all_types) / sizeof(all_types[0]))

static int fd_is_open(int fd)
{
        return fcntl(fd, F_GETFD) != -1;
}

static int new_fd(void)
{
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

        assert_true(fd >= 0);
        return fd;
}

static int type_has_fd(enum msg_type t)
{
        return t == MSG_PEER || t == MSG_STREAM;
}

/* A valid message of type t, every field set. */
static void fill_valid(struct msg *m, enum msg_type t)
{
        msg_init(m, t);
        switch (t) {
        case MSG_PEER:
                m->fd = new_fd();
                strcpy(m->peer, "alice");
                m->uid = 1000;
                m->gid = UINT32_MAX;
                m->authenticated = 1;
                m->max_frame = 1u << 20;
                m->idle_timeout = 300;
                m->max_calls = 64;
                m->first_call = 10;
                strcpy(m->transport, "unix");
                strcpy(m->refusal, "QUOTA_EXCEEDED");
                strcpy(m->front, "docker");
                break;
        case MSG_RESULT:
                m->seq = 7;
                m->output = json_pack("{s:[i,s,b,n]}", "list", -3, "x", 1);
                break;
        case MSG_FAIL:
                m->seq = UINT64_MAX;
                strcpy(m->code, "NOT_FOUND");
                strcpy(m->text, "no such container");
                m->details = json_pack("{s:i}", "status", 404);
                break;
        case MSG_STREAM:
                m->fd = new_fd();
                m->seq = 2;
                strcpy(m->kind, "logs_follow");
                m->opts = json_pack("{s:b}", "tty", 0);
                break;
        case MSG_READY:
                m->version = MSG_VERSION;
                break;
        case MSG_CALL:
                m->seq = 1;
                strcpy(m->id, "call-1 ~");
                strcpy(m->op, "docker/container/create");
                m->raw = 1;
                m->input = json_pack("{s:s}", "image", "busybox");
                strcpy(m->token, "a token \x01 of any bytes");
                strcpy(m->route, "POST /containers/{id}/start");
                break;
        case MSG_CANCEL:
                m->seq = 3;
                break;
        case MSG_CALL_END:
                m->seq = 4;
                strcpy(m->result, "OK");
                m->bytes_in = 0;
                m->bytes_out = (uint64_t)1 << 40;
                break;
        case MSG_STREAM_END:
                m->seq = 5;
                break;
        case MSG_RESIZE:
                m->seq = 6;
                m->rows = 1;
                m->cols = MSG_TTY_MAX;
                break;
        case MSG_BUILD_IMAGES:
                m->seq = 8;
                m->images = json_pack("[{s:s,s:i}]", "ref", "dgtest:latest", "line", 1);
                break;
        }
}

static void assert_same(const struct msg *a, const struct msg *b)
{
        assert_int_equal(a->type, b->type);
        assert_string_equal(a->peer, b->peer);
        assert_int_equal(a->uid, b->uid);
        assert_int_equal(a->gid, b->gid);
        assert_int_equal(a->authenticated, b->authenticated);
        assert_int_equal(a->max_frame, b->max_frame);
        assert_int_equal(a->idle_timeout, b->idle_timeout);
        assert_int_equal(a->max_calls, b->max_calls);
        assert_int_equal(a->first_call, b->first_call);
        assert_string_equal(a->transport, b->transport);
        assert_string_equal(a->refusal, b->refusal);
        assert_string_equal(a->token, b->token);
        assert_string_equal(a->front, b->front);
        assert_string_equal(a->route, b->route);
        assert_int_equal(a->version, b->version);
        assert_true(a->seq == b->seq);
        assert_string_equal(a->id, b->id);
        assert_string_equal(a->op, b->op);
        assert_int_equal(a->raw, b->raw);
        assert_true((a->input == NULL) == (b->input == NULL));
        assert_true(a->input == NULL || json_equal(a->input, b->input));
        assert_true((a->output == NULL) == (b->output == NULL));
        assert_true(a->output == NULL || json_equal(a->output, b->output));
        assert_string_equal(a->code, b->code);
        assert_string_equal(a->text, b->text);
        assert_true((a->details == NULL) == (b->details == NULL));
        assert_true(a->details == NULL || json_equal(a->details, b->details));
        assert_string_equal(a->kind, b->kind);
        assert_true((a->opts == NULL) == (b->opts == NULL));
        assert_true(a->opts == NULL || json_equal(a->opts, b->opts));
        assert_string_equal(a->result, b->result);
        assert_true(a->bytes_in == b->bytes_in);
        assert_true(a->bytes_out == b->bytes_out);
        assert_int_equal(a->rows, b->rows);
        assert_int_equal(a->cols, b->cols);
}

static void test_round_trip_each_type(void **state)
{
        struct msg m, d;
        char *buf, err[256];
        size_t len, i;
        int fd;

        (void)state;
        for (i = 0; i < NTYPES; i++) {
                fill_valid(&m, all_types[i]);
                assert_int_equal(msg_encode(&m, &buf, &len), 0);
                fd = type_has_fd(all_types[i]) ? new_fd() : -1;
                if (msg_decode(buf, len, fd, &d, err, sizeof(err)) != 0)
                        fail_msg("%s: %s", msg_type_name(all_types[i]), err);
                assert_same(&m, &d);
                assert_int_equal(d.fd, fd);
                msg_clear(&d);
                if (fd >= 0)
                        assert_false(fd_is_open(fd)); /* msg_clear closed it */
                assert_int_equal(d.fd, -1);
                free(buf);
                msg_clear(&m);
        }
}

static void test_optional_details(void **state)
{
        struct msg m, d;
        char *buf, err[256];
        size_t len;

        (void)state;
        fill_valid(&m, MSG_FAIL);
        json_decref(m.details);
        m.details = NULL;
        m.text[0] = '\0'; /* empty text is allowed */
        assert_int_equal(msg_encode(&m, &buf, &len), 0);
        assert_int_equal(msg_decode(buf, len, -1, &d, err, sizeof(err)), 0);
        assert_null(d.details);
        free(buf);
        msg_clear(&d);
        msg_clear(&m);
}

static void test_output_any_json(void **state)
{
        json_t *vals[] = {json_null(), json_string("s"), json_integer(-1), json_array(),
                          json_stringn("a\0b", 3)};
        struct msg m, d;
        char *buf, err[256];
        size_t len, i;

        (void)state;
        for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
                msg_init(&m, MSG_RESULT);
                m.seq = 1;
                m.output = vals[i];
                assert_int_equal(msg_encode(&m, &buf, &len), 0);
                assert_int_equal(msg_decode(buf, len, -1, &d, err, sizeof(err)), 0);
                assert_true(json_equal(d.output, vals[i]));
                free(buf);
                msg_clear(&d);
                msg_clear(&m);
        }
}

/* ---- hand-built messages: [type, body] with body given as JSON text ---- */

static void pack_msg_json(uint64_t type, const json_t *b, char **buf, size_t *len)
{
        msgpack_sbuffer sb;
        msgpack_packer pk;

        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_array(&pk, 2);
        msgpack_pack_uint64(&pk, type);
        assert_int_equal(mpjson_pack(&pk, b), 0);
        *len = sb.size;
        *buf = msgpack_sbuffer_release(&sb);
}

static void pack_msg(uint64_t type, const char *body, char **buf, size_t *len)
{
        json_error_t e;
        json_t *b = json_loads(body, 0, &e);

        if (b == NULL)
                fail_msg("bad test JSON %s: %s", body, e.text);
        pack_msg_json(type, b, buf, len);
        json_decref(b);
}

/* Decodes; fd attached per type. Returns the decoder's result; err filled. */
static int try_body(enum msg_type t, json_t *body, char *err, size_t errlen)
{
        struct msg d;
        char *buf;
        size_t len;
        int rc, fd;

        pack_msg_json(t, body, &buf, &len);
        fd = type_has_fd(t) ? new_fd() : -1;
        rc = msg_decode(buf, len, fd, &d, err, errlen);
        if (rc < 0 && fd >= 0)
                assert_false(fd_is_open(fd)); /* closed on failure */
        msg_clear(&d);
        free(buf);
        return rc;
}

static const struct {
        enum msg_type type;
        const char *body;
} valid_bodies[] = {
    {MSG_PEER,
     "{\"peer\":\"bob\",\"uid\":1,\"gid\":2,\"authenticated\":true,\"max_frame\":1024,"
     "\"idle_timeout\":0,\"max_calls\":64,\"first_call\":0,\"transport\":\"unix\","
     "\"refusal\":\"\",\"front\":\"native\"}"},
    {MSG_RESULT, "{\"seq\":1,\"output\":{\"ok\":true}}"},
    {MSG_FAIL, "{\"seq\":1,\"code\":\"CONFLICT\",\"text\":\"busy\",\"details\":{}}"},
    {MSG_STREAM, "{\"seq\":1,\"kind\":\"attach\",\"opts\":{\"tty\":true}}"},
    {MSG_READY, "{\"version\":2}"},
    {MSG_CALL, "{\"seq\":9,\"id\":\"a\",\"op\":\"docker/system/ping\",\"raw\":false,"
               "\"input\":{},\"token\":\"t\"}"},
    {MSG_CANCEL, "{\"seq\":2}"},
    {MSG_CALL_END, "{\"seq\":2,\"result\":\"TIMEOUT\",\"bytes_in\":10,\"bytes_out\":0}"},
    {MSG_STREAM_END, "{\"seq\":3}"},
    {MSG_RESIZE, "{\"seq\":3,\"rows\":24,\"cols\":80}"},
};

static void test_valid_bodies(void **state)
{
        json_error_t e;
        char err[256];
        json_t *b;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(valid_bodies) / sizeof(valid_bodies[0]); i++) {
                b = json_loads(valid_bodies[i].body, 0, &e);
                assert_non_null(b);
                if (try_body(valid_bodies[i].type, b, err, sizeof(err)) != 0)
                        fail_msg("%s: %s", valid_bodies[i].body, err);
                json_decref(b);
        }
}

/* Every key removed, every key ill-typed, one key added: each must fail. */
static void test_each_key_missing_wrong_unknown(void **state)
{
        json_error_t e;
        char err[256];
        const char *key;
        json_t *b, *c, *v;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(valid_bodies) / sizeof(valid_bodies[0]); i++) {
                enum msg_type t = valid_bodies[i].type;

                b = json_loads(valid_bodies[i].body, 0, &e);
                json_object_foreach(b, key, v)
                {
                        /* missing */
                        c = json_deep_copy(b);
                        json_object_del(c, key);
                        if (strcmp(key, "details") == 0 || strcmp(key, "token") == 0) {
                                assert_int_equal(try_body(t, c, err, sizeof(err)), 0);
                        } else {
                                if (try_body(t, c, err, sizeof(err)) != -1)
                                        fail_msg("%s without %s accepted", msg_type_name(t),
                                                 key);
                                assert_non_null(strstr(err, "missing"));
                                assert_non_null(strstr(err, key));
                        }
                        json_decref(c);
                        if (strcmp(key, "output") == 0)
                                continue; /* any JSON value is fine there */
                        /* wrong type: strings become numbers, everything else a string */
                        c = json_deep_copy(b);
                        json_object_set_new(
                            c, key, json_is_string(v) ? json_integer(1) : json_string("1"));
                        if (try_body(t, c, err, sizeof(err)) != -1)
                                fail_msg("%s with ill-typed %s accepted", msg_type_name(t),
                                         key);
                        assert_non_null(strstr(err, key));
                        json_decref(c);
                        /* a negative number where an unsigned one is wanted, or anywhere */
                        c = json_deep_copy(b);
                        json_object_set_new(c, key, json_integer(-1));
                        assert_int_equal(try_body(t, c, err, sizeof(err)), -1);
                        json_decref(c);
                }
                c = json_deep_copy(b);
                json_object_set_new(c, "bogus", json_integer(1));
                assert_int_equal(try_body(t, c, err, sizeof(err)), -1);
                assert_non_null(strstr(err, "unknown key"));
                json_decref(c);
                json_decref(b);
        }
}

/* Body from valid_bodies[idx] with one key replaced by JSON text `val`. */
static int try_with(size_t idx, const char *key, const char *val, char *err, size_t errlen)
{
        json_error_t e;
        json_t *b = json_loads(valid_bodies[idx].body, 0, &e);
        int rc;

        json_t *v = json_loads(val, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);

        if (v == NULL)
                fail_msg("bad test JSON %s: %s", val, e.text);
        json_object_set_new(b, key, v);
        rc = try_body(valid_bodies[idx].type, b, err, errlen);
        json_decref(b);
        return rc;
}

static size_t idx_of(enum msg_type t)
{
        size_t i;

        for (i = 0; i < sizeof(valid_bodies) / sizeof(valid_bodies[0]); i++)
                if (valid_bodies[i].type == t)
                        return i;
        fail();
        return 0;
}

static void test_ranges_and_strings(void **state)
{
        char err[256], big[5000];
        size_t peer = idx_of(MSG_PEER), fail_ = idx_of(MSG_FAIL), stream = idx_of(MSG_STREAM);
        size_t call = idx_of(MSG_CALL), end = idx_of(MSG_CALL_END), ready = idx_of(MSG_READY);
        size_t cancel = idx_of(MSG_CANCEL), result = idx_of(MSG_RESULT);

        (void)state;
        /* version */
        assert_int_equal(try_with(ready, "version", "3", err, sizeof(err)), -1);
        assert_non_null(strstr(err, "version"));
        assert_int_equal(try_with(ready, "version", "1", err, sizeof(err)), -1);
        /* seq >= 1, and up to 2^64-1 is handled by test_round_trip_each_type */
        assert_int_equal(try_with(cancel, "seq", "0", err, sizeof(err)), -1);
        assert_int_equal(try_with(cancel, "seq", "1.0", err, sizeof(err)), -1);
        /* uint32 fields */
        assert_int_equal(try_with(peer, "uid", "4294967295", err, sizeof(err)), 0);
        assert_int_equal(try_with(peer, "uid", "4294967296", err, sizeof(err)), -1);
        assert_int_equal(try_with(peer, "max_frame", "0", err, sizeof(err)), -1);
        assert_int_equal(try_with(peer, "max_frame", "16777216", err, sizeof(err)), 0);
        assert_int_equal(try_with(peer, "max_frame", "16777217", err, sizeof(err)), -1);
        assert_int_equal(try_with(peer, "max_calls", "0", err, sizeof(err)), -1);
        assert_int_equal(try_with(peer, "max_calls", "1024", err, sizeof(err)), 0);
        assert_int_equal(try_with(peer, "max_calls", "1025", err, sizeof(err)), -1);
        assert_int_equal(try_with(peer, "authenticated", "1", err, sizeof(err)), -1);
        /* peer name length and consistency with authenticated */
        memset(big, 'p', 65);
        big[0] = '"';
        big[65] = '"';
        big[66] = '\0';
        assert_int_equal(try_with(peer, "peer", big, err, sizeof(err)), 0); /* 64 */
        big[65] = 'p';
        big[66] = '"';
        big[67] = '\0';
        assert_int_equal(try_with(peer, "peer", big, err, sizeof(err)), -1); /* 65 */
        assert_int_equal(try_with(peer, "peer", "\"\"", err, sizeof(err)),
                         -1); /* auth, no name */
        assert_int_equal(try_with(peer, "authenticated", "false", err, sizeof(err)), -1);
        {
                json_error_t e;
                json_t *b = json_loads(valid_bodies[peer].body, 0, &e);

                json_object_set_new(b, "peer", json_string(""));
                json_object_set_new(b, "authenticated", json_false());
                assert_int_equal(try_body(MSG_PEER, b, err, sizeof(err)), 0);
                json_decref(b);
        }
        /* NUL inside a string */
        assert_int_equal(try_with(peer, "peer", "\"a\\u0000b\"", err, sizeof(err)), -1);
        /* error codes */
        assert_int_equal(try_with(fail_, "code", "\"OK\"", err, sizeof(err)), -1);
        assert_int_equal(try_with(fail_, "code", "\"BOGUS\"", err, sizeof(err)), -1);
        assert_int_equal(try_with(fail_, "code", "\"not_found\"", err, sizeof(err)), -1);
        assert_int_equal(try_with(fail_, "details", "[]", err, sizeof(err)), -1);
        assert_int_equal(try_with(fail_, "details", "null", err, sizeof(err)), -1);
        memset(big, 't', sizeof(big));
        big[0] = '"';
        big[4097] = '"';
        big[4098] = '\0';
        assert_int_equal(try_with(fail_, "text", big, err, sizeof(err)), 0); /* 4096 */
        big[4098] = '"';
        big[4099] = '\0';
        big[4097] = 't';
        assert_int_equal(try_with(fail_, "text", big, err, sizeof(err)), -1); /* 4097 */
        assert_int_equal(try_with(end, "result", "\"OK\"", err, sizeof(err)), 0);
        assert_int_equal(try_with(end, "result", "\"INTERNAL\"", err, sizeof(err)), 0);
        assert_int_equal(try_with(end, "result", "\"FINE\"", err, sizeof(err)), -1);
        assert_int_equal(try_with(end, "result", "\"\"", err, sizeof(err)), -1);
        /* kind: 1..32 of [a-z_] */
        assert_int_equal(try_with(stream, "kind", "\"Logs\"", err, sizeof(err)), -1);
        assert_int_equal(try_with(stream, "kind", "\"logs-1\"", err, sizeof(err)), -1);
        assert_int_equal(try_with(stream, "kind", "\"\"", err, sizeof(err)), -1);
        assert_int_equal(
            try_with(stream, "kind", "\"abcdefghijklmnopqrstuvwxyz_abcde\"", err, sizeof(err)),
            0);
        assert_int_equal(
            try_with(stream, "kind", "\"abcdefghijklmnopqrstuvwxyz_abcdef\"", err, sizeof(err)),
            -1);
        assert_int_equal(try_with(stream, "opts", "[]", err, sizeof(err)), -1);
        /* call: id, op lengths, input an object */
        assert_int_equal(try_with(call, "id", "\"\"", err, sizeof(err)), -1);
        assert_int_equal(try_with(call, "id", "\"a\\u0001\"", err, sizeof(err)), -1);
        assert_int_equal(try_with(call, "id", "\"\xc3\xa9\"", err, sizeof(err)), -1);
        memset(big, 'i', sizeof(big));
        big[0] = '"';
        big[129] = '"';
        big[130] = '\0';
        assert_int_equal(try_with(call, "id", big, err, sizeof(err)), 0); /* 128 */
        big[129] = 'i';
        big[130] = '"';
        big[131] = '\0';
        assert_int_equal(try_with(call, "id", big, err, sizeof(err)), -1); /* 129 */
        memset(big, 'o', sizeof(big));
        big[0] = '"';
        big[97] = '"';
        big[98] = '\0';
        assert_int_equal(try_with(call, "op", big, err, sizeof(err)), 0); /* 96 */
        big[97] = 'o';
        big[98] = '"';
        big[99] = '\0';
        assert_int_equal(try_with(call, "op", big, err, sizeof(err)), -1); /* 97 */
        assert_int_equal(try_with(call, "op", "\"\"", err, sizeof(err)), -1);
        assert_int_equal(try_with(call, "input", "[]", err, sizeof(err)), -1);
        assert_int_equal(try_with(call, "input", "\"{}\"", err, sizeof(err)), -1);
        assert_int_equal(try_with(call, "raw", "0", err, sizeof(err)), -1);
        /* transport, refusal, token */
        assert_int_equal(try_with(peer, "transport", "\"tcp\"", err, sizeof(err)),
                         -1); /* tcp is authenticated per call, never at hand-off */
        assert_int_equal(try_with(peer, "transport", "\"udp\"", err, sizeof(err)), -1);
        assert_non_null(strstr(err, "transport"));
        assert_int_equal(try_with(peer, "transport", "\"\"", err, sizeof(err)), -1);
        assert_int_equal(try_with(peer, "refusal", "\"QUOTA_EXCEEDED\"", err, sizeof(err)), 0);
        assert_int_equal(try_with(peer, "refusal", "\"OK\"", err, sizeof(err)), -1);
        assert_int_equal(try_with(peer, "refusal", "\"quota\"", err, sizeof(err)), -1);
        {
                json_error_t e;
                json_t *b = json_loads(valid_bodies[peer].body, 0, &e);

                json_object_set_new(b, "peer", json_string(""));
                json_object_set_new(b, "authenticated", json_false());
                json_object_set_new(b, "transport", json_string("tcp"));
                assert_int_equal(try_body(MSG_PEER, b, err, sizeof(err)), 0);
                json_decref(b);
        }
        assert_int_equal(try_with(call, "token", "\"\"", err, sizeof(err)),
                         -1); /* absent, never empty */
        /* front, route */
        assert_int_equal(try_with(peer, "front", "\"docker\"", err, sizeof(err)), 0);
        assert_int_equal(try_with(peer, "front", "\"http\"", err, sizeof(err)), -1);
        assert_non_null(strstr(err, "front"));
        assert_int_equal(try_with(call, "route", "\"GET /_ping\"", err, sizeof(err)), 0);
        assert_int_equal(try_with(call, "route", "\"GET /\\n\"", err, sizeof(err)), -1);
        assert_int_equal(try_with(call, "route", "\"\"", err, sizeof(err)), -1);
        memset(big, 'k', sizeof(big));
        big[0] = '"';
        big[513] = '"';
        big[514] = '\0';
        assert_int_equal(try_with(call, "token", big, err, sizeof(err)), 0); /* 512 */
        big[513] = 'k';
        big[514] = '"';
        big[515] = '\0';
        assert_int_equal(try_with(call, "token", big, err, sizeof(err)), -1); /* 513 */
        /* TTY sizes: 1..MSG_TTY_MAX each */
        {
                size_t rs = idx_of(MSG_RESIZE), se = idx_of(MSG_STREAM_END);

                assert_int_equal(try_with(rs, "rows", "0", err, sizeof(err)), -1);
                assert_non_null(strstr(err, "rows"));
                assert_int_equal(try_with(rs, "cols", "10001", err, sizeof(err)), -1);
                assert_int_equal(try_with(rs, "cols", "10000", err, sizeof(err)), 0);
                assert_int_equal(try_with(rs, "rows", "true", err, sizeof(err)), -1);
                assert_int_equal(try_with(se, "seq", "0", err, sizeof(err)), -1);
        }
        /* output may be anything, even null */
        assert_int_equal(try_with(result, "output", "null", err, sizeof(err)), 0);
        assert_int_equal(try_with(result, "output", "[1,\"x\"]", err, sizeof(err)), 0);
}

static void test_framing_errors(void **state)
{
        char err[256], *buf, *buf2;
        struct msg d;
        size_t len;
        msgpack_sbuffer sb;
        msgpack_packer pk;

        (void)state;
        pack_msg(MSG_CANCEL, "{\"seq\":1}", &buf, &len);
        assert_int_equal(msg_decode(buf, len, -1, &d, err, sizeof(err)), 0);
        msg_clear(&d);
        /* trailing byte */
        buf2 = malloc(len + 1);
        memcpy(buf2, buf, len);
        buf2[len] = (char)0xc0;
        assert_int_equal(msg_decode(buf2, len + 1, -1, &d, err, sizeof(err)), -1);
        /* truncated */
        assert_int_equal(msg_decode(buf, len - 1, -1, &d, err, sizeof(err)), -1);
        assert_int_equal(msg_decode(buf, 0, -1, &d, err, sizeof(err)), -1);
        free(buf2);
        free(buf);

        /* unknown type, not an array, wrong arity, body not a map, negative type */
        pack_msg(99, "{\"seq\":1}", &buf, &len);
        assert_int_equal(msg_decode(buf, len, -1, &d, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "unknown message type"));
        free(buf);
        pack_msg(0, "{}", &buf, &len);
        assert_int_equal(msg_decode(buf, len, -1, &d, err, sizeof(err)), -1);
        free(buf);

        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 0);
        assert_int_equal(msg_decode(sb.data, sb.size, -1, &d, err, sizeof(err)), -1);
        msgpack_sbuffer_clear(&sb);
        msgpack_pack_array(&pk, 3);
        msgpack_pack_uint32(&pk, MSG_CANCEL);
        msgpack_pack_map(&pk, 1);
        msgpack_pack_str_with_body(&pk, "seq", 3);
        msgpack_pack_uint32(&pk, 1);
        msgpack_pack_nil(&pk);
        assert_int_equal(msg_decode(sb.data, sb.size, -1, &d, err, sizeof(err)), -1);
        msgpack_sbuffer_clear(&sb);
        msgpack_pack_array(&pk, 2);
        msgpack_pack_uint32(&pk, MSG_CANCEL);
        msgpack_pack_array(&pk, 0);
        assert_int_equal(msg_decode(sb.data, sb.size, -1, &d, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "not a map"));
        msgpack_sbuffer_clear(&sb);
        msgpack_pack_array(&pk, 2);
        msgpack_pack_int32(&pk, -22);
        msgpack_pack_map(&pk, 0);
        assert_int_equal(msg_decode(sb.data, sb.size, -1, &d, err, sizeof(err)), -1);
        /* duplicate key */
        msgpack_sbuffer_clear(&sb);
        msgpack_pack_array(&pk, 2);
        msgpack_pack_uint32(&pk, MSG_CANCEL);
        msgpack_pack_map(&pk, 2);
        msgpack_pack_str_with_body(&pk, "seq", 3);
        msgpack_pack_uint32(&pk, 1);
        msgpack_pack_str_with_body(&pk, "seq", 3);
        msgpack_pack_uint32(&pk, 1);
        assert_int_equal(msg_decode(sb.data, sb.size, -1, &d, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "duplicate"));
        /* non-string key */
        msgpack_sbuffer_clear(&sb);
        msgpack_pack_array(&pk, 2);
        msgpack_pack_uint32(&pk, MSG_CANCEL);
        msgpack_pack_map(&pk, 1);
        msgpack_pack_uint32(&pk, 1);
        msgpack_pack_uint32(&pk, 1);
        assert_int_equal(msg_decode(sb.data, sb.size, -1, &d, err, sizeof(err)), -1);
        /* a bin where a string is wanted */
        msgpack_sbuffer_clear(&sb);
        msgpack_pack_array(&pk, 2);
        msgpack_pack_uint32(&pk, MSG_CALL_END);
        msgpack_pack_map(&pk, 4);
        msgpack_pack_str_with_body(&pk, "seq", 3);
        msgpack_pack_uint32(&pk, 1);
        msgpack_pack_str_with_body(&pk, "result", 6);
        msgpack_pack_bin_with_body(&pk, "OK", 2);
        msgpack_pack_str_with_body(&pk, "bytes_in", 8);
        msgpack_pack_uint32(&pk, 1);
        msgpack_pack_str_with_body(&pk, "bytes_out", 9);
        msgpack_pack_uint32(&pk, 1);
        assert_int_equal(msg_decode(sb.data, sb.size, -1, &d, err, sizeof(err)), -1);
        msgpack_sbuffer_destroy(&sb);
}

/* Every msgpack form that mpjson produces must pass the decoder's pre-scan. */
static void test_all_value_forms(void **state)
{
        static const long long ints[] = {
            0,         1,  127, 128, 255,  256,  65535,  65536,  4294967295LL,  4294967296LL,
            INT64_MAX, -1, -32, -33, -128, -129, -32768, -32769, -2147483648LL, -2147483649LL,
            INT64_MIN};
        static const size_t strs[] = {0, 31, 32, 255, 256, 65535, 65536};
        struct msg m, d;
        char *buf, err[256], *text;
        json_t *out, *arr, *obj;
        size_t len, i;

        (void)state;
        out = json_array();
        for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
                json_array_append_new(out, json_integer(ints[i]));
        json_array_append_new(out, json_real(1.5));
        json_array_append_new(out, json_real(-1e300));
        json_array_append_new(out, json_true());
        json_array_append_new(out, json_false());
        json_array_append_new(out, json_null());
        text = malloc(65537);
        memset(text, 's', 65536);
        for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
                json_array_append_new(out, json_stringn(text, strs[i]));
        free(text);
        arr = json_array();
        obj = json_object();
        for (i = 0; i < 70000; i++)
                json_array_append_new(arr, json_integer((json_int_t)i));
        for (i = 0; i < 20; i++) {
                char k[16];

                snprintf(k, sizeof(k), "k%zu", i);
                json_object_set_new(obj, k, json_pack("{s:[i]}", "x", (int)i));
        }
        json_array_append_new(out, arr);
        json_array_append_new(out, obj);

        msg_init(&m, MSG_RESULT);
        m.seq = 1;
        m.output = out;
        assert_int_equal(msg_encode(&m, &buf, &len), 0);
        if (msg_decode(buf, len, -1, &d, err, sizeof(err)) != 0)
                fail_msg("%s", err);
        assert_true(json_equal(d.output, out));
        msg_clear(&d);
        free(buf);
        msg_clear(&m);
}

static void test_huge_declared_sizes(void **state)
{
        /* [array32 of 2^32-1 elements] with nothing after: must fail without allocating */
        static const unsigned char arr[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0x01};
        static const unsigned char map[] = {0x92, 0x16, 0xdf, 0xff, 0xff, 0xff, 0xff};
        static const unsigned char str[] = {0x92, 0x16, 0x81, 0xdb, 0xff,
                                            0xff, 0xff, 0xff, 'a'};
        static const unsigned char never[] = {0x92, 0x16, 0xc1};
        unsigned char deep[64];
        char err[256];
        struct msg d;

        (void)state;
        assert_int_equal(msg_decode(arr, sizeof(arr), -1, &d, err, sizeof(err)), -1);
        assert_int_equal(msg_decode(map, sizeof(map), -1, &d, err, sizeof(err)), -1);
        assert_int_equal(msg_decode(str, sizeof(str), -1, &d, err, sizeof(err)), -1);
        assert_int_equal(msg_decode(never, sizeof(never), -1, &d, err, sizeof(err)), -1);
        /* nested fixarrays of 15 claimed elements each, none present */
        memset(deep, 0x9f, sizeof(deep));
        assert_int_equal(msg_decode(deep, sizeof(deep), -1, &d, err, sizeof(err)), -1);
}

static void test_fd_mismatch(void **state)
{
        struct msg m, d;
        char *buf, err[256];
        size_t len;
        int fd;

        (void)state;
        /* a type that declares an fd, received without one */
        fill_valid(&m, MSG_PEER);
        assert_int_equal(msg_encode(&m, &buf, &len), 0);
        assert_int_equal(msg_decode(buf, len, -1, &d, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "fd"));
        free(buf);
        msg_clear(&m);
        /* a type without an fd, received with one: refused and the fd is closed */
        fill_valid(&m, MSG_RESULT);
        assert_int_equal(msg_encode(&m, &buf, &len), 0);
        fd = new_fd();
        assert_int_equal(msg_decode(buf, len, fd, &d, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "fd"));
        assert_false(fd_is_open(fd));
        assert_int_equal(d.fd, -1);
        free(buf);
        msg_clear(&m);
        /* garbage with an fd: still closed */
        fd = new_fd();
        assert_int_equal(msg_decode("\xc1", 1, fd, &d, err, sizeof(err)), -1);
        assert_false(fd_is_open(fd));
}

static void test_encode_refuses(void **state)
{
        struct msg m;
        char *buf;
        size_t len;
        json_t *deep;
        int i;

        (void)state;
        fill_valid(&m, MSG_CANCEL);
        m.seq = 0;
        assert_int_equal(msg_encode(&m, &buf, &len), -1);
        fill_valid(&m, MSG_READY);
        m.version = MSG_VERSION + 1;
        assert_int_equal(msg_encode(&m, &buf, &len), -1);
        fill_valid(&m, MSG_RESULT);
        json_decref(m.output);
        m.output = NULL;
        assert_int_equal(msg_encode(&m, &buf, &len), -1);
        msg_clear(&m);
        fill_valid(&m, MSG_CALL);
        json_decref(m.input);
        m.input = json_array();
        assert_int_equal(msg_encode(&m, &buf, &len), -1);
        msg_clear(&m);
        fill_valid(&m, MSG_CALL);
        m.id[0] = '\t';
        assert_int_equal(msg_encode(&m, &buf, &len), -1);
        msg_clear(&m);
        fill_valid(&m, MSG_FAIL);
        strcpy(m.code, "OK");
        assert_int_equal(msg_encode(&m, &buf, &len), -1);
        msg_clear(&m);
        fill_valid(&m, MSG_PEER);
        close(m.fd);
        m.fd = -1;
        assert_int_equal(msg_encode(&m, &buf, &len), -1); /* MSG_PEER needs its fd */
        fill_valid(&m, MSG_PEER);
        m.authenticated = 0;
        assert_int_equal(msg_encode(&m, &buf, &len), -1); /* a name but not authenticated */
        msg_clear(&m);
        fill_valid(&m, MSG_CANCEL);
        m.fd = new_fd();
        assert_int_equal(msg_encode(&m, &buf, &len), -1); /* no fd may ride along */
        msg_clear(&m);
        msg_init(&m, (enum msg_type)55);
        assert_int_equal(msg_encode(&m, &buf, &len), -1);

        /* JSON nesting: MPJSON_MAX_DEPTH fits in a message, one more does not */
        for (i = MPJSON_MAX_DEPTH; i <= MPJSON_MAX_DEPTH + 1; i++) {
                int k;
                struct msg d;
                char err[256];

                deep = json_object();
                for (k = 1; k < i; k++) {
                        json_t *o = json_object();

                        json_object_set_new(o, "k", deep);
                        deep = o;
                }
                msg_init(&m, MSG_RESULT);
                m.seq = 1;
                m.output = deep;
                if (i == MPJSON_MAX_DEPTH) {
                        assert_int_equal(msg_encode(&m, &buf, &len), 0);
                        assert_int_equal(msg_decode(buf, len, -1, &d, err, sizeof(err)), 0);
                        assert_true(json_equal(d.output, deep));
                        msg_clear(&d);
                        free(buf);
                } else {
                        assert_int_equal(msg_encode(&m, &buf, &len), -1);
                }
                msg_clear(&m);
        }
}

static void test_type_names(void **state)
{
        (void)state;
        assert_string_equal(msg_type_name(MSG_PEER), "MSG_PEER");
        assert_string_equal(msg_type_name(MSG_CALL_END), "MSG_CALL_END");
        assert_string_equal(msg_type_name(MSG_STREAM_END), "MSG_STREAM_END");
        assert_string_equal(msg_type_name(MSG_RESIZE), "MSG_RESIZE");
        assert_string_equal(msg_type_name(MSG_BUILD_IMAGES), "MSG_BUILD_IMAGES");
        assert_string_equal(msg_type_name((enum msg_type)27), "unknown");
        assert_string_equal(msg_type_name((enum msg_type)0), "unknown");
        assert_string_equal(msg_type_name((enum msg_type)19), "unknown");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_round_trip_each_type),
            cmocka_unit_test(test_optional_details),
            cmocka_unit_test(test_output_any_json),
            cmocka_unit_test(test_valid_bodies),
            cmocka_unit_test(test_each_key_missing_wrong_unknown),
            cmocka_unit_test(test_ranges_and_strings),
            cmocka_unit_test(test_framing_errors),
            cmocka_unit_test(test_all_value_forms),
            cmocka_unit_test(test_huge_declared_sizes),
            cmocka_unit_test(test_fd_mismatch),
            cmocka_unit_test(test_encode_refuses),
            cmocka_unit_test(test_type_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
