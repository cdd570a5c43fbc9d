/*
 * ops.c - checking a call.requested against the shared operation table.
 */
#include <stdio.h>
#include <string.h>

#include "ops.h"
#include "schema.h"

/* The peer's operation name, made printable and short enough for a message. */
static void ops_quote(const char *op, char *out, size_t outlen)
{
        size_t i;

        for (i = 0; op[i] != '\0' && i + 1 < outlen && i < 100; i++)
                out[i] = (op[i] >= 0x20 && op[i] < 0x7f) ? op[i] : '?';
        out[i] = '\0';
}

int ops_check(const struct envelope *env, char *err, size_t errlen)
{
        const struct op_desc *op;
        char name[101];

        ops_quote(env->operation, name, sizeof(name));
        if ((op = op_desc_find(env->operation)) == NULL) {
                snprintf(err, errlen, "unknown operation %s", name);
                return -1;
        }
        if (env->carriage == CARRIAGE_JSON && !op->carriage_json) {
                snprintf(err, errlen, "operation %s requires raw carriage", name);
                return -1;
        }
        if (env->carriage == CARRIAGE_RAW && !op->carriage_raw) {
                snprintf(err, errlen, "operation %s does not accept raw carriage", name);
                return -1;
        }
        return schema_check(op, env->input, err, errlen);
}
