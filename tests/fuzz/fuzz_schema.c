/*
 * fuzz_schema.c - schema_check() on operation inputs, from JSON text.
 *
 * Input: "operation-id\n" then the input as JSON text, parsed as envelope.c
 * parses peer JSON (naming the operation keeps the seeds valid when the
 * table grows).  An
 * input the worker accepts is what it forwards: it must survive msgpack
 * (mpjson) and pass the supervisor's second check unchanged.  A refused
 * input must come with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <msgpack.h>

#include "mpjson.h"
#include "schema.h"

/* What the supervisor sees: the input after the channel. */
static json_t *fuzz_forward(const json_t *in)
{
        msgpack_sbuffer sb;
        msgpack_packer pk;
        msgpack_unpacked u;
        json_t *out;
        size_t off = 0;

        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        if (mpjson_pack(&pk, in) != 0)
                abort();
        msgpack_unpacked_init(&u);
        if (msgpack_unpack_next(&u, sb.data, sb.size, &off) != MSGPACK_UNPACK_SUCCESS)
                abort();
        out = mpjson_unpack(&u.data);
        msgpack_unpacked_destroy(&u);
        msgpack_sbuffer_destroy(&sb);
        return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const struct op_desc *op;
        const uint8_t *nl;
        json_t *in, *fwd;
        char err[512], name[128];
        size_t n;

        if ((nl = memchr(data, '\n', size < sizeof(name) ? size : sizeof(name))) == NULL)
                return 0;
        n = (size_t)(nl - data);
        memcpy(name, data, n);
        name[n] = '\0';
        if ((op = op_desc_find(name)) == NULL)
                return 0;
        n++;
        in = json_loadb((const char *)data + n, size - n, JSON_REJECT_DUPLICATES, NULL);
        if (in == NULL || !json_is_object(in)) {
                json_decref(in);
                return 0;
        }
        memset(err, 'x', sizeof(err));
        if (schema_check(op, in, err, sizeof(err)) == 0) {
                if ((fwd = fuzz_forward(in)) == NULL || !json_equal(fwd, in))
                        abort();
                if (schema_check(op, fwd, err, sizeof(err)) != 0)
                        abort();
                json_decref(fwd);
        } else if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0') {
                abort();
        }
        json_decref(in);
        return 0;
}
