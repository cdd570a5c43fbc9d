/*
 * jdump.h - jansson values to compact JSON text, in one pass (jdump.c).
 *
 * The same bytes as json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY): keys in
 * the object's order, '"', '\\' and control bytes escaped (\b \f \n \r \t,
 * else \u00XX), everything else, '/' and UTF-8 included, as it is; reals as
 * jansson prints them (it is asked for each, they are rare).
 * tests/fuzz/fuzz_jtext.c checks the bytes against json_dumps itself.
 *
 * Why not json_dumps(): it writes through a callback a few bytes at a time
 * and formats every integer with snprintf; on an inspect document it took
 * about half of the worker's instructions per call (docs/performance.md).
 */
#ifndef DOCKGATE_JDUMP_H
#define DOCKGATE_JDUMP_H

#include <stddef.h>

#include <jansson.h>

/* NUL-terminated text to free(), its length in *len (if len is not NULL); NULL on failure. */
char *jdump(const json_t *v, size_t *len);

#endif
