/*
 * schema.h - the peer operations' descriptors (protocol/ops.def) and their
 * input schemas (PROTOCOL.md section 5).
 *
 * The same table is checked twice: by the worker, on the JSON a peer sent
 * (so that a bad input never leaves the worker), and again by the supervisor
 * on what the worker forwarded (it never believes the worker).  Checks are
 * exact: unknown fields, wrong types, out-of-range numbers and over-long
 * strings are all refused with a message naming the field.
 */
#ifndef DG_SCHEMA_H
#define DG_SCHEMA_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum field_kind {
        F_STRING, /* string, length in [min, max] bytes, no NUL */
        F_BOOL,
        F_INT,        /* integer in [min, max] */
        F_STRINGS,    /* array of min..max strings, each at most 4096 bytes, no NUL */
        F_STRING_MAP, /* object of at most max string values (keys 1..256, values <= 4096) */
        F_OBJECT,     /* nested object checked against `sub` */
};

struct field_spec {
        const char *name;
        enum field_kind kind;
        int64_t min, max;
        const struct field_spec *sub; /* F_OBJECT: NULL-name-terminated */
        int required;
};

enum op_type { OP_QUERY, OP_MUTATION, OP_SUBSCRIPTION, OP_RAW };

/* Every operation's index into op_descs[] (rows of ops.def). */
enum op_id {
#define DG_OP(id, name, type, carriage, fields, verb, resource, handler) OPID_##id,
#include "ops.def"
#undef DG_OP
        OPID__COUNT
};

/* One operation's descriptor: a row of protocol/ops.def. */
struct op_desc {
        enum op_id id;
        const char *name; /* "docker/container/create" */
        enum op_type type;
        int carriage_json, carriage_raw; /* which carriages the operation accepts */
        const struct field_spec *fields; /* its input schema, NULL-name-terminated */
        const char *verb;                /* what the policy's operation patterns match */
        const char *resource;            /* input field naming the resource acted on, or NULL */
};

/* Every operation, indexed by enum op_id. */
extern const struct op_desc op_descs[OPID__COUNT];

/* NULL when the operation is unknown. */
const struct op_desc *op_desc_find(const char *name);

/* 0 when input (an object) follows op's fields; -1 with err filled in. */
int schema_check(const struct op_desc *op, const json_t *input, char *err, size_t errlen);

#endif
