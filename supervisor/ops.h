/*
 * ops.h - the supervisor's handler of every operation: the handler column
 * of protocol/ops.def, declared and tabled here, indexed by enum op_id.
 *
 * main.c gives the table to the broker (sv->ops); the broker reaches
 * handlers only through it.
 */
#ifndef DG_OPS_H
#define DG_OPS_H

#include "broker.h"

#define DG_OP(id, name, type, carriage, fields, verb, resource, handler)                       \
        void handler(struct call *c);
#include "ops.def"
#undef DG_OP

/* Every operation's handler, indexed by enum op_id (ops.c). */
extern const struct broker_ops ops_table;

#endif
