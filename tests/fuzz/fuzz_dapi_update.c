/*
 * fuzz_dapi_update.c - the Docker front's update bodies
 * (dupdate_translate in worker/dapi_create.c).
 *
 * A body the translator accepts yields an input of limits and
 * restartPolicy only: limits holding positive memoryBytes, nanoCpus and
 * pidsLimit and nothing else; no limit of the body asked as unlimited (-1);
 * a swap limit only unset or equal to the memory limit; and every field of
 * the body either one the translator reads or at its zero value.  A
 * refusal carries 400 or 403 and a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dapi_create.h"

static const char *const read_keys[] = {"Memory",     "NanoCpus",      "PidsLimit",
                                        "MemorySwap", "RestartPolicy", NULL};

static int one_of(const char *const *list, const char *k)
{
        for (; *list != NULL; list++)
                if (strcmp(*list, k) == 0)
                        return 1;
        return 0;
}

static void limits_sane(const json_t *lim)
{
        static const char *const known[] = {"memoryBytes", "nanoCpus", "pidsLimit", NULL};
        const char *k;
        json_t *v;

        if (lim == NULL)
                return;
        if (!json_is_object(lim))
                abort();
        json_object_foreach((json_t *)lim, k, v)
        {
                if (!one_of(known, k) || !json_is_integer(v) || json_integer_value(v) <= 0)
                        abort();
        }
}

static void accepted_sane(const json_t *body, const json_t *in)
{
        static const char *const out_keys[] = {"limits", "restartPolicy", NULL};
        const json_t *swap = json_object_get(body, "MemorySwap");
        const json_t *mem = json_object_get(body, "Memory");
        const char *k;
        json_t *v;

        json_object_foreach((json_t *)in, k, v)
        {
                if (!one_of(out_keys, k))
                        abort();
        }
        limits_sane(json_object_get(in, "limits"));
        v = json_object_get(in, "restartPolicy");
        if (v != NULL && (!json_is_string(v) || json_string_length(v) == 0))
                abort();
        json_object_foreach((json_t *)body, k, v)
        {
                /* MemorySwappiness is read too, but only its default passes. */
                if (!one_of(read_keys, k) && !dcreate_zero(v) &&
                    !(strcmp(k, "MemorySwappiness") == 0 && json_is_integer(v) &&
                      json_integer_value(v) == -1))
                        abort();
                if ((strcmp(k, "Memory") == 0 || strcmp(k, "NanoCpus") == 0 ||
                     strcmp(k, "PidsLimit") == 0) &&
                    json_is_integer(v) && json_integer_value(v) == -1)
                        abort();
        }
        if (json_is_integer(swap) && json_integer_value(swap) > 0 &&
            !(json_is_integer(mem) && json_integer_value(mem) == json_integer_value(swap)))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char err[256];
        json_t *body, *in;
        int status = 0;

        if ((body = dcreate_parse((const char *)data, size, err, sizeof(err))) == NULL)
                return 0;
        in = json_object();
        err[0] = '\0';
        if (dupdate_translate(body, in, &status, err, sizeof(err)) == 0)
                accepted_sane(body, in);
        else if ((status != 400 && status != 403) || err[0] == '\0')
                abort();
        json_decref(in);
        json_decref(body);
        return 0;
}
