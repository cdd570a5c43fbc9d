/*
 * envelope.c - peer frames to typed values, and server frames to JSON text.
 *
 * SECURITY: this is where untrusted peer JSON is first parsed.  jansson
 * rejects invalid UTF-8, "\u0000" and (with JSON_REJECT_DUPLICATES)
 * duplicate keys at any depth; everything else is checked here, field by
 * field, and unknown fields are refused rather than ignored.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "envelope.h"
#include "errors.h"
#include "frame.h"
#include "jdump.h"
#include "jparse.h"

#define ENV_KEY_SHOWN 64 /* how much of an unknown key an error message quotes */

/* A printable, bounded rendering of a peer-chosen key for error messages. */
static const char *envelope_key_shown(const char *key, char *buf, size_t buflen)
{
        size_t i;

        for (i = 0; key[i] != '\0' && i + 1 < buflen && i < ENV_KEY_SHOWN; i++) {
                unsigned char c = (unsigned char)key[i];

                buf[i] = (c >= 0x20 && c <= 0x7e) ? (char)c : '?';
        }
        buf[i] = '\0';
        return buf;
}

int envelope_id_valid(const char *id)
{
        size_t i;

        if (id == NULL || id[0] == '\0')
                return 0;
        for (i = 0; id[i] != '\0'; i++) {
                if (i >= ENV_ID_MAX)
                        return 0;
                if ((unsigned char)id[i] < 0x20 || (unsigned char)id[i] > 0x7e)
                        return 0;
        }
        return 1;
}

/* Refuses any key of obj not in the NULL-terminated list `known`. */
static int envelope_only_keys(json_t *obj, const char *const *known, const char *prefix,
                              char *err, size_t errlen)
{
        const char *key;
        json_t *v;
        char shown[ENV_KEY_SHOWN + 1];
        size_t i;

        json_object_foreach(obj, key, v)
        {
                for (i = 0; known[i] != NULL; i++)
                        if (strcmp(key, known[i]) == 0)
                                break;
                if (known[i] == NULL)
                        return dg_errf(err, errlen, "%s%s: unknown field", prefix,
                                       envelope_key_shown(key, shown, sizeof(shown)));
        }
        return 0;
}

/* A required string of [min, max] bytes; returns it or NULL with err set. */
static const char *envelope_string(json_t *obj, const char *key, const char *path, size_t min,
                                   size_t max, char *err, size_t errlen)
{
        json_t *v = json_object_get(obj, key);
        size_t n;

        if (v == NULL) {
                dg_errf(err, errlen, "%s: missing", path);
                return NULL;
        }
        if (!json_is_string(v)) {
                dg_errf(err, errlen, "%s: must be a string", path);
                return NULL;
        }
        n = json_string_length(v);
        if (n < min || n > max || strlen(json_string_value(v)) != n) {
                dg_errf(err, errlen, "%s: must be %zu..%zu characters", path, min, max);
                return NULL;
        }
        return json_string_value(v);
}

static int envelope_auth(json_t *auth, struct envelope *env, char *err, size_t errlen)
{
        static const char *const keys[] = {"token", NULL};
        const char *token;

        if (!json_is_object(auth))
                return dg_errf(err, errlen, "payload.auth: must be an object");
        if (envelope_only_keys(auth, keys, "payload.auth.", err, errlen) < 0)
                return -1;
        token =
            envelope_string(auth, "token", "payload.auth.token", 1, DG_TOKEN_MAX, err, errlen);
        if (token == NULL)
                return -1;
        if ((env->token = strdup(token)) == NULL)
                return dg_errf(err, errlen, "out of memory");
        return 0;
}

static int envelope_call(json_t *payload, struct envelope *env, char *err, size_t errlen)
{
        static const char *const keys[] = {"operationId", "input", "carriage", "auth", NULL};
        const char *op, *carriage;
        json_t *v;

        if (envelope_only_keys(payload, keys, "payload.", err, errlen) < 0)
                return -1;
        op = envelope_string(payload, "operationId", "payload.operationId", 1, DG_OP_ID_MAX,
                             err, errlen);
        if (op == NULL)
                return -1;
        if ((env->operation = strdup(op)) == NULL)
                return dg_errf(err, errlen, "out of memory");

        if ((v = json_object_get(payload, "input")) == NULL) {
                if ((env->input = json_object()) == NULL)
                        return dg_errf(err, errlen, "out of memory");
        } else if (json_is_object(v)) {
                env->input = json_incref(v);
        } else {
                return dg_errf(err, errlen, "payload.input: must be an object");
        }

        env->carriage = CARRIAGE_JSON;
        if ((v = json_object_get(payload, "carriage")) != NULL) {
                carriage = json_string_value(v); /* NULL when not a string */
                if (carriage != NULL && strcmp(carriage, "json") == 0)
                        env->carriage = CARRIAGE_JSON;
                else if (carriage != NULL && strcmp(carriage, "raw") == 0)
                        env->carriage = CARRIAGE_RAW;
                else
                        return dg_errf(err, errlen,
                                       "payload.carriage: must be \"json\" or \"raw\"");
        }

        if ((v = json_object_get(payload, "auth")) != NULL)
                return envelope_auth(v, env, err, errlen);
        return 0;
}

static int envelope_check(json_t *root, struct envelope *env, char *err, size_t errlen)
{
        static const char *const keys[] = {"type", "id", "payload", NULL};
        const char *type;
        json_t *v, *payload;
        char shown[ENV_KEY_SHOWN + 1];

        if (!json_is_object(root))
                return dg_errf(err, errlen, "frame: must be a JSON object");

        /* The id first, so that even a failing frame's error can echo it. */
        if ((v = json_object_get(root, "id")) == NULL)
                return dg_errf(err, errlen, "id: missing");
        if (!json_is_string(v))
                return dg_errf(err, errlen, "id: must be a string");
        if (strlen(json_string_value(v)) != json_string_length(v) ||
            !envelope_id_valid(json_string_value(v)))
                return dg_errf(err, errlen, "id: must be 1..%d printable ASCII characters",
                               ENV_ID_MAX);
        memcpy(env->id, json_string_value(v), json_string_length(v) + 1);

        if (envelope_only_keys(root, keys, "", err, errlen) < 0)
                return -1;
        if ((v = json_object_get(root, "type")) == NULL)
                return dg_errf(err, errlen, "type: missing");
        if ((type = json_string_value(v)) == NULL)
                return dg_errf(err, errlen, "type: must be a string");
        if ((payload = json_object_get(root, "payload")) == NULL)
                return dg_errf(err, errlen, "payload: missing");
        if (!json_is_object(payload))
                return dg_errf(err, errlen, "payload: must be an object");

        if (strcmp(type, "call.requested") == 0) {
                env->type = ENV_CALL_REQUESTED;
                return envelope_call(payload, env, err, errlen);
        }
        if (strcmp(type, "call.aborted") == 0) {
                env->type = ENV_CALL_ABORTED;
                if (json_object_size(payload) != 0)
                        return dg_errf(err, errlen, "payload: must be an empty object");
                return 0;
        }
        return dg_errf(err, errlen, "type: unknown type \"%s\"",
                       envelope_key_shown(type, shown, sizeof(shown)));
}

int envelope_parse(const char *json, size_t len, struct envelope *env, char *err, size_t errlen)
{
        json_error_t jerr;
        json_t *root;
        int rc;

        memset(env, 0, sizeof(*env));
        if (err != NULL && errlen > 0)
                err[0] = '\0';
        /* jparse takes what json_loadb takes; jansson is asked again only for its message. */
        root = jparse(json, len, JPARSE_REJECT_DUPLICATES);
        if (root == NULL) {
                root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
                if (root != NULL) { /* jansson's lexer lets some NUL bytes by, jparse none */
                        json_decref(root);
                        return dg_errf(err, errlen, "frame: invalid JSON: a NUL byte");
                }
                return dg_errf(err, errlen, "frame: invalid JSON: %s", jerr.text);
        }
        rc = envelope_check(root, env, err, errlen);
        json_decref(root);
        return rc;
}

void envelope_clear(struct envelope *env)
{
        free(env->operation);
        env->operation = NULL;
        json_decref(env->input);
        env->input = NULL;
        free(env->token);
        env->token = NULL;
}

/* Builds {"type", "id", "payload"} as text; consumes payload. */
static char *envelope_build(const char *type, const char *id, json_t *payload, size_t *len)
{
        json_t *root = NULL;
        char *text = NULL;
        size_t n;

        *len = 0;
        if (payload == NULL || id == NULL || (id[0] != '\0' && !envelope_id_valid(id)))
                goto out;
        if ((root = json_object()) == NULL)
                goto out;
        if (json_object_set_new(root, "type", json_string(type)) < 0 ||
            json_object_set_new(root, "id", json_string(id)) < 0 ||
            json_object_set(root, "payload", payload) < 0)
                goto out;
        text = jdump(root, &n); /* json_dumps' bytes (compact, in order), faster */
        /* SECURITY: a peer never receives a frame above the server maximum. */
        if (text != NULL && n <= FRAME_MAX_SERVER) {
                *len = n;
        } else {
                free(text);
                text = NULL;
        }
out:
        json_decref(root);
        json_decref(payload);
        return text;
}

char *envelope_responded(const char *id, json_t *output, size_t *len)
{
        json_t *payload = json_object();

        if (payload != NULL &&
            json_object_set_new(payload, "output", output ? json_incref(output) : json_null()) <
                0) {
                json_decref(payload);
                payload = NULL;
        }
        return envelope_build("call.responded", id, payload, len);
}

char *envelope_completed(const char *id, size_t *len)
{
        return envelope_build("call.completed", id, json_object(), len);
}

char *envelope_aborted(const char *id, size_t *len)
{
        return envelope_build("call.aborted", id, json_object(), len);
}

/* Messages may carry engine text: keep them valid UTF-8 rather than lose the frame. */
static json_t *envelope_text(const char *s)
{
        json_t *v;
        char *copy;
        size_t i;

        if (s == NULL)
                s = "";
        if (utf8_valid(s, strlen(s)))
                return json_string(s);
        if ((copy = strdup(s)) == NULL)
                return NULL;
        for (i = 0; copy[i] != '\0'; i++)
                if ((unsigned char)copy[i] >= 0x80)
                        copy[i] = '?';
        v = json_string(copy);
        free(copy);
        return v;
}

char *envelope_error(const char *id, enum dg_err code, const char *message, json_t *details,
                     size_t *len)
{
        const char *name = dg_err_name(code);
        json_t *payload;

        if (name == NULL || code == DG_OK || (details != NULL && !json_is_object(details))) {
                *len = 0;
                return NULL;
        }
        if ((payload = json_object()) == NULL ||
            json_object_set_new(payload, "code", json_string(name)) < 0 ||
            json_object_set_new(payload, "message", envelope_text(message)) < 0 ||
            json_object_set_new(payload, "retryable", json_boolean(dg_err_retryable(code))) <
                0 ||
            (details != NULL && json_object_set(payload, "details", details) < 0)) {
                json_decref(payload);
                payload = NULL;
        }
        return envelope_build("call.error", id, payload, len);
}
