/*
 * ops_input.h - reading a call's checked input (the broker already checked
 * it against the operation's schema) and the checks of its values that the
 * schema cannot express.
 */
#ifndef DG_OPS_INPUT_H
#define DG_OPS_INPUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "broker.h"

/* Input accessors: the broker already checked types against the schema. */
const char *ops_str(const struct call *c, const char *key); /* NULL when absent */
int ops_bool(const struct call *c, const char *key, int def);
int64_t ops_int(const struct call *c, const char *key, int64_t def);
int ops_has(const struct call *c, const char *key);

/*
 * 1 when s is [A-Za-z0-9][A-Za-z0-9_.-]* of at most max bytes: the first
 * character rules out "." and "..", which would change an engine path's meaning.
 */
int ops_word_ok(const char *s, size_t max);
/* 1 when s is a name for a new resource: [A-Za-z0-9][A-Za-z0-9_.-]{0,127}. */
int ops_name_ok(const char *s);

/*
 * The labels of a new resource: the peer's (input "labels"; none may be
 * under the reserved owner label, FORBIDDEN) and the owner label.  A new
 * object, or NULL after answering the call.
 */
json_t *ops_labels(struct call *c);
/* The same from the input's labels (may be NULL), owner label and peer name: pure. */
json_t *ops_labels_build(const json_t *in, const char *owner, const char *peer,
                         enum dg_err *code, char *err, size_t errlen);
/* 1 unless input "env" holds an entry that is not a "NAME=VALUE" string. */
int ops_env_ok(const struct call *c);
/* 1 unless env (an array, or NULL) holds an entry that is not "NAME=VALUE". */
int ops_env_list_ok(const json_t *env);
/* A new array of the string elements of a (may be NULL). */
json_t *ops_strings(const json_t *a);

#endif
