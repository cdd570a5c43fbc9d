/*
 * fuzz_dapi_exec.c - the Docker front's exec bodies (worker/dapi_execbody.c).
 *
 * A create body the translator accepts yields an input of the operation's
 * fields only, with a command, and never a privileged exec nor detach keys
 * (the gateway's own); a start body gives detach 0 or 1; a refusal carries
 * 400 or 403 and a message naming the field.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dapi_create.h"
#include "dapi_execbody.h"

static void input_is_sane(const json_t *in)
{
        static const char *const known[] = {"containerId", "cmd", "env",   "workingDir",
                                            "user",        "tty", "stdin", NULL};
        const char *k;
        json_t *v;
        size_t i;

        if (!json_is_array(json_object_get(in, "cmd")))
                abort();
        json_object_foreach((json_t *)in, k, v)
        {
                for (i = 0; known[i] != NULL && strcmp(known[i], k) != 0; i++)
                        ;
                if (known[i] == NULL)
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char err[256];
        json_t *body, *in;
        int status = 0, detach = -1;

        if ((body = dcreate_parse((const char *)data, size, err, sizeof(err))) == NULL)
                return 0;
        in = json_object();
        err[0] = '\0';
        if (dxb_create(body, "c0ffee", in, &status, err, sizeof(err)) == 0)
                input_is_sane(in);
        else if ((status != 400 && status != 403) || strchr(err, ':') == NULL)
                abort();
        json_decref(in);
        status = 0;
        err[0] = '\0';
        if (dxb_start(body, &detach, &status, err, sizeof(err)) == 0) {
                if (detach != 0 && detach != 1)
                        abort();
        } else if (status != 400 || err[0] == '\0') {
                abort();
        }
        json_decref(body);
        return 0;
}
