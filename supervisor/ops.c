/*
 * ops.c - the handler table: the handler column of protocol/ops.def, one
 * slot per enum op_id.  An operation without a handler does not compile.
 */
#include "imageown.h"
#include "ops.h"

const struct broker_ops ops_table = {
    .handler =
        {
#define DG_OP(id, name, type, carriage, fields, verb, resource, handler)                       \
        [OPID_##id] = (handler),
#include "ops.def"
#undef DG_OP
        },
    .prepare = image_resolve_own,
};
