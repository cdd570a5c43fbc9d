/*
 * envelope.h - parsing and checking of peer frames (PROTOCOL.md section 2),
 * and building of server frames.
 *
 * envelope_parse() is the single place where peer JSON becomes a typed value.
 * It rejects: invalid UTF-8 or JSON, a non-object, duplicate keys at any
 * depth, unknown or missing envelope fields, ill-typed fields, unknown types,
 * ids that are not 1..128 printable ASCII characters, and unknown payload
 * fields.  On failure it fills err (a message for the peer) and, if the id
 * could be read, env->id.
 */
#ifndef DG_ENVELOPE_H
#define DG_ENVELOPE_H

#include <jansson.h>
#include <stddef.h>

#include "bounds.h"
#include "errors.h"

#define ENV_ID_MAX DG_CALL_ID_MAX

enum env_type { ENV_CALL_REQUESTED = 1, ENV_CALL_ABORTED = 2 };
enum carriage { CARRIAGE_JSON = 0, CARRIAGE_RAW = 1 };

struct envelope {
        enum env_type type;
        char id[ENV_ID_MAX + 1]; /* "" when it could not be read */
        /* call.requested only: */
        char *operation; /* malloc'd */
        json_t *input;   /* owned; an empty object when absent */
        enum carriage carriage;
        char *token; /* malloc'd auth.token, or NULL when absent */
};

/* 0 on success; -1 on a malformed frame with err filled in.  Always call envelope_clear(). */
int envelope_parse(const char *json, size_t len, struct envelope *env, char *err,
                   size_t errlen);
void envelope_clear(struct envelope *env);

/* Valid id: 1..128 characters, each 0x20..0x7e. */
int envelope_id_valid(const char *id);

/*
 * Server frames, returned as malloc'd compact JSON text (no frame header);
 * *len is set.  NULL when the result would exceed FRAME_MAX_SERVER or on
 * allocation failure.  `output` and `details` are borrowed (may be NULL).
 */
char *envelope_responded(const char *id, json_t *output, size_t *len);
char *envelope_completed(const char *id, size_t *len);
char *envelope_aborted(const char *id, size_t *len);
char *envelope_error(const char *id, enum dg_err code, const char *message, json_t *details,
                     size_t *len);

#endif
