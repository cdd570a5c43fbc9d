/*
 * mpjson.h - conversion between jansson values and msgpack, used to carry
 * operation inputs and outputs across the supervisor/worker channel.
 *
 * Mapping: object <-> map with string keys, array <-> array, string <-> str,
 * integer <-> int/uint, real <-> float64, true/false <-> bool, null <-> nil.
 * Decoding is strict: map keys must be strings, depth is limited to
 * MPJSON_MAX_DEPTH, strings must be valid UTF-8, duplicate map keys are
 * rejected, bin/ext types are rejected.
 */
#ifndef DG_MPJSON_H
#define DG_MPJSON_H

#include <jansson.h>
#include <msgpack.h>

/*
 * Nested containers allowed in one value.  msgpack-c's unpacker refuses more
 * than 32 open containers, and a message spends 2 of them on [type, {body}].
 */
#define MPJSON_MAX_DEPTH 30

/* Appends the packed form of v. 0 on success, -1 on error. */
int mpjson_pack(msgpack_packer *pk, const json_t *v);
/* Returns a new reference, or NULL when obj does not follow the mapping. */
json_t *mpjson_unpack(const msgpack_object *obj);

#endif
