/*
 * fuzz_envelope.c - envelope_parse(), the first parse of every peer frame.
 *
 * Input: a frame payload, as the frame decoder hands it over.  A frame
 * that parses must satisfy what call.c relies on (a valid id, an operation
 * of a bounded length, an object input); the server frames built from it
 * (call.responded echoing the input, call.error quoting the operation) must
 * be valid JSON of at most FRAME_MAX_SERVER bytes.  A frame that does not
 * parse must leave an id that is empty or valid, and a message for the peer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "envelope.h"
#include "frame.h"

static void fuzz_check_server_frame(char *text, size_t len)
{
        json_error_t jerr;
        json_t *root;

        if (text == NULL)
                return; /* allowed: too big, or no memory */
        if (len == 0 || len > FRAME_MAX_SERVER || strlen(text) != len)
                abort();
        if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
            !json_is_object(root) || json_object_size(root) != 3)
                abort();
        json_decref(root);
        free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct envelope env;
        char err[512], *copy;
        size_t len;

        /* The frame decoder NUL-terminates; the length is what counts. */
        if ((copy = malloc(size + 1)) == NULL)
                return 0;
        memcpy(copy, data, size);
        copy[size] = '\0';
        memset(err, 'x', sizeof(err));

        if (envelope_parse(copy, size, &env, err, sizeof(err)) == 0) {
                if (!envelope_id_valid(env.id))
                        abort();
                if (env.type == ENV_CALL_REQUESTED) {
                        if (env.operation == NULL || env.operation[0] == '\0' ||
                            strlen(env.operation) > 96 || !json_is_object(env.input))
                                abort();
                        if (env.carriage != CARRIAGE_JSON && env.carriage != CARRIAGE_RAW)
                                abort();
                        fuzz_check_server_frame(envelope_responded(env.id, env.input, &len),
                                                len);
                        fuzz_check_server_frame(
                            envelope_error(env.id, DG_INVALID_INPUT, env.operation, NULL, &len),
                            len);
                } else if (env.type != ENV_CALL_ABORTED) {
                        abort();
                }
                fuzz_check_server_frame(envelope_completed(env.id, &len), len);
        } else {
                if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
                        abort();
                if (env.id[0] != '\0' && !envelope_id_valid(env.id))
                        abort();
                /* call.c echoes the id, and the message, in its call.error. */
                fuzz_check_server_frame(
                    envelope_error(env.id, DG_PROTOCOL_ERROR, err, NULL, &len), len);
        }
        envelope_clear(&env);
        free(copy);
        return 0;
}
