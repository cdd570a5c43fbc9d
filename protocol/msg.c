/*
 * msg.c - the supervisor <-> worker messages: one schema table, one
 * encoder and one decoder driven by it.
 *
 * SECURITY: the supervisor decodes what a possibly compromised worker sent.
 * Before msgpack-c builds objects, msg_scan() walks the bytes once and
 * checks that the value is complete, that every declared array/map/string
 * size fits in what is left, and that nothing trails it; so msgpack-c never
 * allocates for elements that are not there.  Then every field is checked
 * against msg_table[]: exact key set, types, ranges, string lengths, no NUL.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <msgpack.h>

#include "envelope.h"
#include "errors.h"
#include "mpjson.h"
#include "msg.h"

enum msg_kind {
        MK_STR,      /* char array in struct msg; length [min, max], no NUL */
        MK_UINT,     /* uint32_t or uint64_t (size) in [min, max] */
        MK_BOOL,     /* int, 0 or 1 */
        MK_JSON_OBJ, /* json_t *, an object */
        MK_JSON_ANY, /* json_t *, any value */
};

struct msg_field {
        const char *key;
        enum msg_kind kind;
        uint64_t min, max;
        size_t off;  /* offsetof(struct msg, ...) */
        size_t size; /* sizeof the member */
        int required;
        const char *(*check)(const char *s); /* MK_STR: extra rule; returns a reason */
};

struct msg_schema {
        enum msg_type type;
        const char *name;
        int fd;                         /* 1: an fd must be attached; 0: none may be */
        const struct msg_field *fields; /* NULL-key-terminated */
        const char *(*check)(const struct msg *m); /* cross-field rule; returns a reason */
};

#define M_STR(k, member, lo, hi, chk)                                                          \
        {                                                                                      \
                k, MK_STR, lo, hi, offsetof(struct msg, member),                               \
                    sizeof(((struct msg *)0)->member), 1, chk                                  \
        }
/* An optional string: absent when empty, and then never encoded. */
#define M_STR_OPT(k, member, lo, hi, chk)                                                      \
        {                                                                                      \
                k, MK_STR, lo, hi, offsetof(struct msg, member),                               \
                    sizeof(((struct msg *)0)->member), 0, chk                                  \
        }
#define M_UINT(k, member, lo, hi)                                                              \
        {                                                                                      \
                k, MK_UINT, lo, hi, offsetof(struct msg, member),                              \
                    sizeof(((struct msg *)0)->member), 1, NULL                                 \
        }
#define M_BOOL(k, member)                                                                      \
        {                                                                                      \
                k, MK_BOOL, 0, 1, offsetof(struct msg, member), sizeof(int), 1, NULL           \
        }
#define M_JSON(k, kind, member, req)                                                           \
        {                                                                                      \
                k, kind, 0, 0, offsetof(struct msg, member), sizeof(json_t *), req, NULL       \
        }
#define M_SEQ M_UINT("seq", seq, 1, UINT64_MAX)
#define M_END                                                                                  \
        {                                                                                      \
                NULL, MK_STR, 0, 0, 0, 0, 0, NULL                                              \
        }

static const char *msg_check_code(const char *s)
{
        return dg_err_parse(s) < 0 ? "must be an error code name" : NULL;
}

static const char *msg_check_result(const char *s)
{
        return strcmp(s, "OK") == 0 || dg_err_parse(s) >= 0
                   ? NULL
                   : "must be \"OK\" or an error code name";
}

static const char *msg_check_kind(const char *s)
{
        for (; *s != '\0'; s++)
                if ((*s < 'a' || *s > 'z') && *s != '_')
                        return "must be made of [a-z_]";
        return NULL;
}

static const char *msg_check_id(const char *s)
{
        return envelope_id_valid(s) ? NULL : "must be printable ASCII";
}

static const char *msg_check_transport(const char *s)
{
        return strcmp(s, "unix") == 0 || strcmp(s, "tcp") == 0 ? NULL
                                                               : "must be \"unix\" or \"tcp\"";
}

static const char *msg_check_front(const char *s)
{
        return strcmp(s, "native") == 0 || strcmp(s, "docker") == 0
                   ? NULL
                   : "must be \"native\" or \"docker\"";
}

/* A route names a table row: method, space, path pattern; printable ASCII. */
static const char *msg_check_route(const char *s)
{
        for (; *s != '\0'; s++)
                if (*s < 0x20 || *s > 0x7e)
                        return "must be printable ASCII";
        return NULL;
}

static const char *msg_check_refusal(const char *s)
{
        return s[0] == '\0' ? NULL : msg_check_code(s);
}

/*
 * The identity is all or nothing: a name exactly when authenticated.  A TCP
 * stream has no identity of its own: each call's token names the peer.
 */
static const char *msg_check_peer(const struct msg *m)
{
        if (m->authenticated && m->peer[0] == '\0')
                return "peer: must be set when authenticated";
        if (!m->authenticated && m->peer[0] != '\0')
                return "peer: must be empty when not authenticated";
        if (strcmp(m->transport, "tcp") == 0 && m->authenticated)
                return "authenticated: a TCP stream is authenticated per call";
        if (strcmp(m->transport, "tcp") == 0 && strcmp(m->front, "native") != 0)
                return "front: the Docker front listens on a unix socket only";
        return NULL;
}

static const struct msg_field msg_f_peer[] = {
    M_STR("peer", peer, 0, MSG_PEER_NAME_MAX, NULL),
    M_UINT("uid", uid, 0, UINT32_MAX),
    M_UINT("gid", gid, 0, UINT32_MAX),
    M_BOOL("authenticated", authenticated),
    M_UINT("max_frame", max_frame, 1, FRAME_MAX_SERVER),
    M_UINT("idle_timeout", idle_timeout, 0, UINT32_MAX),
    M_UINT("max_calls", max_calls, 1, MSG_CALLS_MAX),
    M_UINT("first_call", first_call, 0, UINT32_MAX),
    M_STR("transport", transport, 3, 4, msg_check_transport),
    M_STR("refusal", refusal, 0, sizeof(((struct msg *)0)->refusal) - 1, msg_check_refusal),
    M_STR("front", front, 6, 6, msg_check_front),
    M_END,
};
static const struct msg_field msg_f_result[] = {
    M_SEQ,
    M_JSON("output", MK_JSON_ANY, output, 1),
    M_END,
};
static const struct msg_field msg_f_fail[] = {
    M_SEQ,
    M_STR("code", code, 1, sizeof(((struct msg *)0)->code) - 1, msg_check_code),
    M_STR("text", text, 0, MSG_TEXT_MAX, NULL),
    M_JSON("details", MK_JSON_OBJ, details, 0),
    M_END,
};
static const struct msg_field msg_f_stream[] = {
    M_SEQ,
    M_STR("kind", kind, 1, MSG_KIND_MAX, msg_check_kind),
    M_JSON("opts", MK_JSON_OBJ, opts, 1),
    M_END,
};
static const struct msg_field msg_f_ready[] = {
    M_UINT("version", version, MSG_VERSION, MSG_VERSION),
    M_END,
};
static const struct msg_field msg_f_call[] = {
    M_SEQ,
    M_STR("id", id, 1, ENV_ID_MAX, msg_check_id),
    M_STR("op", op, 1, MSG_OP_MAX, NULL),
    M_BOOL("raw", raw),
    M_JSON("input", MK_JSON_OBJ, input, 1),
    M_STR_OPT("token", token, 1, MSG_TOKEN_MAX, NULL),
    M_STR_OPT("route", route, 1, MSG_ROUTE_MAX, msg_check_route),
    M_END,
};
static const struct msg_field msg_f_cancel[] = {
    M_SEQ,
    M_END,
};
static const struct msg_field msg_f_call_end[] = {
    M_SEQ,
    M_STR("result", result, 1, sizeof(((struct msg *)0)->result) - 1, msg_check_result),
    M_UINT("bytes_in", bytes_in, 0, UINT64_MAX),
    M_UINT("bytes_out", bytes_out, 0, UINT64_MAX),
    M_END,
};

static const struct msg_field msg_f_stream_end[] = {
    M_SEQ,
    M_END,
};
static const struct msg_field msg_f_resize[] = {
    M_SEQ,
    M_UINT("rows", rows, 1, MSG_TTY_MAX),
    M_UINT("cols", cols, 1, MSG_TTY_MAX),
    M_END,
};

static const struct msg_field msg_f_build_images[] = {
    M_SEQ,
    M_JSON("images", MK_JSON_ANY, images, 1),
    M_END,
};

static const struct msg_schema msg_table[] = {
    {MSG_PEER, "MSG_PEER", 1, msg_f_peer, msg_check_peer},
    {MSG_RESULT, "MSG_RESULT", 0, msg_f_result, NULL},
    {MSG_FAIL, "MSG_FAIL", 0, msg_f_fail, NULL},
    {MSG_STREAM, "MSG_STREAM", 1, msg_f_stream, NULL},
    {MSG_READY, "MSG_READY", 0, msg_f_ready, NULL},
    {MSG_CALL, "MSG_CALL", 0, msg_f_call, NULL},
    {MSG_CANCEL, "MSG_CANCEL", 0, msg_f_cancel, NULL},
    {MSG_CALL_END, "MSG_CALL_END", 0, msg_f_call_end, NULL},
    {MSG_STREAM_END, "MSG_STREAM_END", 0, msg_f_stream_end, NULL},
    {MSG_RESIZE, "MSG_RESIZE", 0, msg_f_resize, NULL},
    {MSG_BUILD_IMAGES, "MSG_BUILD_IMAGES", 0, msg_f_build_images, NULL},
};

#define MSG_FIELDS_MAX 12 /* most fields of any type, for the seen[] array */

static const struct msg_schema *msg_schema_find(uint64_t type)
{
        size_t i;

        for (i = 0; i < sizeof(msg_table) / sizeof(msg_table[0]); i++)
                if ((uint64_t)msg_table[i].type == type)
                        return &msg_table[i];
        return NULL;
}

const char *msg_type_name(enum msg_type t)
{
        const struct msg_schema *s = msg_schema_find((uint64_t)t);

        return s != NULL ? s->name : "unknown";
}

void msg_init(struct msg *m, enum msg_type type)
{
        memset(m, 0, sizeof(*m));
        m->type = type;
        m->fd = -1;
}

void msg_clear(struct msg *m)
{
        json_decref(m->input);
        json_decref(m->output);
        json_decref(m->details);
        json_decref(m->opts);
        json_decref(m->images);
        m->input = m->output = m->details = m->opts = m->images = NULL;
        if (m->fd >= 0)
                close(m->fd);
        m->fd = -1;
}

static uint64_t msg_get_uint(const struct msg *m, const struct msg_field *f)
{
        const char *p = (const char *)m + f->off;
        uint32_t v32;
        uint64_t v64;

        if (f->size == sizeof(uint32_t)) {
                memcpy(&v32, p, sizeof(v32));
                return v32;
        }
        memcpy(&v64, p, sizeof(v64));
        return v64;
}

static void msg_set_uint(struct msg *m, const struct msg_field *f, uint64_t v)
{
        char *p = (char *)m + f->off;
        uint32_t v32 = (uint32_t)v;

        if (f->size == sizeof(uint32_t))
                memcpy(p, &v32, sizeof(v32));
        else
                memcpy(p, &v, sizeof(v));
}

static json_t *msg_get_json(const struct msg *m, const struct msg_field *f)
{
        json_t *v;

        /* The pointer itself is copied. */
        // NOLINTNEXTLINE(bugprone-sizeof-expression)
        memcpy(&v, (const char *)m + f->off, sizeof(v));
        return v;
}

/* Checks one field of m against its row; shared by the encoder and the decoder. */
static const char *msg_field_valid(const struct msg *m, const struct msg_field *f)
{
        const char *s;
        json_t *j;
        uint64_t u;
        size_t n;
        int b;

        switch (f->kind) {
        case MK_STR:
                s = (const char *)m + f->off;
                n = strnlen(s, f->size);
                if (!f->required && n == 0)
                        return NULL; /* absent */
                if (n == f->size || n < f->min || n > f->max)
                        return "string length out of range";
                return f->check != NULL ? f->check(s) : NULL;
        case MK_UINT:
                u = msg_get_uint(m, f);
                return u < f->min || u > f->max ? "out of range" : NULL;
        case MK_BOOL:
                memcpy(&b, (const char *)m + f->off, sizeof(b));
                return b == 0 || b == 1 ? NULL : "must be a boolean";
        case MK_JSON_OBJ:
                j = msg_get_json(m, f);
                if (j == NULL)
                        return f->required ? "missing" : NULL;
                return json_is_object(j) ? NULL : "must be an object";
        case MK_JSON_ANY:
                return msg_get_json(m, f) == NULL ? "missing" : NULL;
        }
        return "bad schema";
}

static int msg_pack_field(msgpack_packer *pk, const struct msg *m, const struct msg_field *f)
{
        const char *s;
        size_t n = strlen(f->key);
        int b;

        if (msgpack_pack_str(pk, n) != 0 || msgpack_pack_str_body(pk, f->key, n) != 0)
                return -1;
        switch (f->kind) {
        case MK_STR:
                s = (const char *)m + f->off;
                n = strlen(s);
                return msgpack_pack_str(pk, n) == 0 && msgpack_pack_str_body(pk, s, n) == 0
                           ? 0
                           : -1;
        case MK_UINT:
                return msgpack_pack_uint64(pk, msg_get_uint(m, f)) == 0 ? 0 : -1;
        case MK_BOOL:
                memcpy(&b, (const char *)m + f->off, sizeof(b));
                return (b ? msgpack_pack_true(pk) : msgpack_pack_false(pk)) == 0 ? 0 : -1;
        case MK_JSON_OBJ:
        case MK_JSON_ANY:
                return mpjson_pack(pk, msg_get_json(m, f));
        }
        return -1;
}

/* Does field f appear in the encoding of m (optional JSON fields only when set)? */
static int msg_field_present(const struct msg *m, const struct msg_field *f)
{
        if (f->required)
                return 1;
        if (f->kind == MK_STR)
                return ((const char *)m + f->off)[0] != '\0';
        return msg_get_json(m, f) != NULL;
}

int msg_encode(const struct msg *m, char **buf, size_t *len)
{
        const struct msg_schema *s = msg_schema_find((uint64_t)m->type);
        const struct msg_field *f;
        msgpack_sbuffer sb;
        msgpack_packer pk;
        size_t count = 0;

        *buf = NULL;
        *len = 0;
        if (s == NULL || (s->fd ? m->fd < 0 : m->fd >= 0))
                return -1;
        for (f = s->fields; f->key != NULL; f++) {
                if (msg_field_valid(m, f) != NULL)
                        return -1;
                count += msg_field_present(m, f);
        }
        if (s->check != NULL && s->check(m) != NULL)
                return -1;

        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        if (msgpack_pack_array(&pk, 2) != 0 ||
            msgpack_pack_uint32(&pk, (uint32_t)m->type) != 0 ||
            msgpack_pack_map(&pk, count) != 0)
                goto bad;
        for (f = s->fields; f->key != NULL; f++)
                if (msg_field_present(m, f) && msg_pack_field(&pk, m, f) < 0)
                        goto bad;
        if (sb.size == 0 || sb.size > MSG_MAX)
                goto bad;
        *len = sb.size;
        *buf = msgpack_sbuffer_release(&sb);
        return 0;
bad:
        msgpack_sbuffer_destroy(&sb);
        return -1;
}

/*
 * What a msgpack type byte announces: an immediate count or size (imm), or
 * one read from the next lenbytes bytes; extra payload bytes (ext type);
 * and whether the count is of bytes (per 0), elements (1) or pairs (2).
 */
struct msg_head {
        int valid;
        unsigned lenbytes, imm, extra, per;
};

/* Type bytes 0xc0..0xdf. */
static const struct msg_head msg_heads[32] = {
    [0x00] = {1, 0, 0, 0, 0},  /* nil */
    [0x02] = {1, 0, 0, 0, 0},  /* false */
    [0x03] = {1, 0, 0, 0, 0},  /* true */
    [0x04] = {1, 1, 0, 0, 0},  /* bin 8 */
    [0x05] = {1, 2, 0, 0, 0},  /* bin 16 */
    [0x06] = {1, 4, 0, 0, 0},  /* bin 32 */
    [0x07] = {1, 1, 0, 1, 0},  /* ext 8 */
    [0x08] = {1, 2, 0, 1, 0},  /* ext 16 */
    [0x09] = {1, 4, 0, 1, 0},  /* ext 32 */
    [0x0a] = {1, 0, 4, 0, 0},  /* float 32 */
    [0x0b] = {1, 0, 8, 0, 0},  /* float 64 */
    [0x0c] = {1, 0, 1, 0, 0},  /* uint 8 */
    [0x0d] = {1, 0, 2, 0, 0},  /* uint 16 */
    [0x0e] = {1, 0, 4, 0, 0},  /* uint 32 */
    [0x0f] = {1, 0, 8, 0, 0},  /* uint 64 */
    [0x10] = {1, 0, 1, 0, 0},  /* int 8 */
    [0x11] = {1, 0, 2, 0, 0},  /* int 16 */
    [0x12] = {1, 0, 4, 0, 0},  /* int 32 */
    [0x13] = {1, 0, 8, 0, 0},  /* int 64 */
    [0x14] = {1, 0, 1, 1, 0},  /* fixext 1 */
    [0x15] = {1, 0, 2, 1, 0},  /* fixext 2 */
    [0x16] = {1, 0, 4, 1, 0},  /* fixext 4 */
    [0x17] = {1, 0, 8, 1, 0},  /* fixext 8 */
    [0x18] = {1, 0, 16, 1, 0}, /* fixext 16 */
    [0x19] = {1, 1, 0, 0, 0},  /* str 8 */
    [0x1a] = {1, 2, 0, 0, 0},  /* str 16 */
    [0x1b] = {1, 4, 0, 0, 0},  /* str 32 */
    [0x1c] = {1, 2, 0, 0, 1},  /* array 16 */
    [0x1d] = {1, 4, 0, 0, 1},  /* array 32 */
    [0x1e] = {1, 2, 0, 0, 2},  /* map 16 */
    [0x1f] = {1, 4, 0, 0, 2},  /* map 32 */
                               /* 0xc1 is never used: valid stays 0 */
};

static struct msg_head msg_head_of(unsigned char c)
{
        struct msg_head h = {1, 0, 0, 0, 0};

        if (c <= 0x7f || c >= 0xe0) /* fixint */
                return h;
        if (c >= 0xc0)
                return msg_heads[c - 0xc0];
        if (c <= 0x8f) { /* fixmap */
                h.imm = c & 0x0f;
                h.per = 2;
        } else if (c <= 0x9f) { /* fixarray */
                h.imm = c & 0x0f;
                h.per = 1;
        } else { /* fixstr */
                h.imm = c & 0x1f;
        }
        return h;
}

/*
 * Walks one complete msgpack value in p[0..len) without building it.
 * Returns -1 unless it is well formed, ends exactly at len, and no
 * container declares more elements than bytes remain (each needs one).
 */
static int msg_scan(const unsigned char *p, size_t len)
{
        uint64_t pending = 1, n;
        struct msg_head h;
        size_t off = 0, i;

        while (pending > 0) {
                if (off >= len || pending > len - off)
                        return -1;
                pending--;
                h = msg_head_of(p[off++]);
                if (!h.valid || h.lenbytes > len - off)
                        return -1;
                n = h.imm;
                for (i = 0; i < h.lenbytes; i++)
                        n = n << 8 | p[off++];
                if (h.per > 0) {
                        pending += h.per * n;
                        continue;
                }
                n += h.extra;
                if (n > len - off)
                        return -1;
                off += (size_t)n;
        }
        return off == len ? 0 : -1;
}

static int msg_decode_field(const msgpack_object *v, const struct msg_field *f, struct msg *m,
                            char *err, size_t errlen)
{
        const char *why;
        char *dst;
        json_t *j;
        int b;

        switch (f->kind) {
        case MK_STR:
                if (v->type != MSGPACK_OBJECT_STR)
                        return dg_errf(err, errlen, "%s: must be a string", f->key);
                if (v->via.str.size < f->min || v->via.str.size > f->max)
                        return dg_errf(err, errlen, "%s: length must be %llu..%llu", f->key,
                                       (unsigned long long)f->min, (unsigned long long)f->max);
                if (memchr(v->via.str.ptr, '\0', v->via.str.size) != NULL)
                        return dg_errf(err, errlen, "%s: must not contain NUL", f->key);
                dst = (char *)m + f->off;
                memcpy(dst, v->via.str.ptr, v->via.str.size);
                dst[v->via.str.size] = '\0';
                if (f->check != NULL && (why = f->check(dst)) != NULL)
                        return dg_errf(err, errlen, "%s: %s", f->key, why);
                return 0;
        case MK_UINT:
                if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || v->via.u64 < f->min ||
                    v->via.u64 > f->max)
                        return dg_errf(err, errlen, "%s: must be an integer in %llu..%llu",
                                       f->key, (unsigned long long)f->min,
                                       (unsigned long long)f->max);
                msg_set_uint(m, f, v->via.u64);
                return 0;
        case MK_BOOL:
                if (v->type != MSGPACK_OBJECT_BOOLEAN)
                        return dg_errf(err, errlen, "%s: must be a boolean", f->key);
                b = v->via.boolean ? 1 : 0;
                memcpy((char *)m + f->off, &b, sizeof(b));
                return 0;
        case MK_JSON_OBJ:
        case MK_JSON_ANY:
                if (f->kind == MK_JSON_OBJ && v->type != MSGPACK_OBJECT_MAP)
                        return dg_errf(err, errlen, "%s: must be a map", f->key);
                if ((j = mpjson_unpack(v)) == NULL)
                        return dg_errf(err, errlen, "%s: not a valid JSON value", f->key);
                /* The pointer itself is copied. */
                // NOLINTNEXTLINE(bugprone-sizeof-expression)
                memcpy((char *)m + f->off, &j, sizeof(j));
                return 0;
        }
        return dg_errf(err, errlen, "%s: bad schema", f->key);
}

static int msg_decode_body(const msgpack_object_map *body, const struct msg_schema *s,
                           struct msg *m, char *err, size_t errlen)
{
        const msgpack_object *key;
        const struct msg_field *f;
        int seen[MSG_FIELDS_MAX] = {0};
        uint32_t i;
        size_t k;
        const char *why;

        for (i = 0; i < body->size; i++) {
                key = &body->ptr[i].key;
                if (key->type != MSGPACK_OBJECT_STR)
                        return dg_errf(err, errlen, "%s: key is not a string", s->name);
                for (k = 0, f = s->fields; f->key != NULL; f++, k++)
                        if (strlen(f->key) == key->via.str.size &&
                            memcmp(f->key, key->via.str.ptr, key->via.str.size) == 0)
                                break;
                if (f->key == NULL)
                        return dg_errf(err, errlen, "%s: unknown key", s->name);
                if (k >= MSG_FIELDS_MAX)
                        return dg_errf(err, errlen, "%s: bad schema", s->name);
                if (seen[k]++)
                        return dg_errf(err, errlen, "%s: duplicate key %s", s->name, f->key);
                if (msg_decode_field(&body->ptr[i].val, f, m, err, errlen) < 0)
                        return -1;
        }
        for (k = 0, f = s->fields; f->key != NULL; f++, k++)
                if (f->required && !seen[k])
                        return dg_errf(err, errlen, "%s: missing key %s", s->name, f->key);
        if (s->check != NULL && (why = s->check(m)) != NULL)
                return dg_errf(err, errlen, "%s: %s", s->name, why);
        return 0;
}

int msg_decode(const void *buf, size_t len, int fd, struct msg *m, char *err, size_t errlen)
{
        const struct msg_schema *s;
        const msgpack_object *o;
        msgpack_unpacked u;
        size_t off = 0;
        int rc = -1;

        msg_init(m, 0);
        m->fd = fd; /* from here on, msg_clear() closes it on failure */
        if (err != NULL && errlen > 0)
                err[0] = '\0';
        if (buf == NULL || len == 0 || len > MSG_MAX || msg_scan(buf, len) < 0) {
                dg_errf(err, errlen, "not exactly one msgpack value");
                msg_clear(m);
                return -1;
        }
        msgpack_unpacked_init(&u);
        if (msgpack_unpack_next(&u, buf, len, &off) != MSGPACK_UNPACK_SUCCESS || off != len) {
                dg_errf(err, errlen, "not exactly one msgpack value");
                goto out;
        }
        o = &u.data;
        if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 2) {
                dg_errf(err, errlen, "not a [type, body] array");
                goto out;
        }
        if (o->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
            (s = msg_schema_find(o->via.array.ptr[0].via.u64)) == NULL) {
                dg_errf(err, errlen, "unknown message type");
                goto out;
        }
        m->type = s->type;
        if (o->via.array.ptr[1].type != MSGPACK_OBJECT_MAP) {
                dg_errf(err, errlen, "%s: body is not a map", s->name);
                goto out;
        }
        if (s->fd != (fd >= 0)) {
                dg_errf(err, errlen, "%s: %s", s->name,
                        s->fd ? "an fd must be attached" : "no fd may be attached");
                goto out;
        }
        rc = msg_decode_body(&o->via.array.ptr[1].via.map, s, m, err, errlen);
out:
        msgpack_unpacked_destroy(&u);
        if (rc < 0)
                msg_clear(m);
        return rc;
}
