/*
 * fuzz_dapi_create.c - strict Docker create bodies and their translation.
 *
 * A body the parser accepts has no key twice in any case at any depth; a
 * body the translator accepts yields an input with an image and none of the
 * fields the table refuses (privilege, capabilities, host paths); a refusal
 * carries 400 or 403 and a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dapi_create.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char err[512];
        json_t *body, *in;
        const char *k, *path;
        json_t *v;
        int status = 0;

        if ((body = dcreate_parse((const char *)data, size, err, sizeof(err))) == NULL) {
                if (err[0] == '\0')
                        abort();
                return 0;
        }
        in = json_object();
        if (dcreate_translate(body, "n", in, &status, err, sizeof(err)) == 0) {
                if (!json_is_string(json_object_get(in, "image")))
                        abort();
                json_object_foreach(in, k, v)
                {
                        if (strcmp(k, "capAdd") == 0 || strcmp(k, "binds") == 0)
                                abort();
                }
                json_object_foreach(json_object_get(in, "volumes"), path, v)
                {
                        const char *src = json_string_value(v);

                        if (src == NULL || src[0] == '/' || src[0] == '\0')
                                abort();
                }
        } else if ((status != 400 && status != 403) || err[0] == '\0') {
                abort();
        }
        json_decref(in);
        json_decref(body);
        return 0;
}
