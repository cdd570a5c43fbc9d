/*
 * fuzz_dockerfile.c - worker/dockerfile.c on any bytes.
 *
 * The first byte chooses options (bit 0: ADD URLs allowed; bit 1: a build
 * arg BASE=dgtest; bit 2: --target "b"); the rest is the Dockerfile.
 * Checks what the supervisor relies on: on success every reference is
 * non-empty, bounded and of the reference alphabet, listed once; on failure
 * there is a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile.h"

static void check_ref(const char *ref)
{
        size_t i, n = strlen(ref);

        if (n == 0 || n > DF_REF_MAX)
                abort();
        for (i = 0; i < n; i++)
                if (strchr(
                        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:@",
                        ref[i]) == NULL)
                        abort();
        if (strcmp(ref, "scratch") == 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct df_result r;
        struct df_opts o = {0};
        json_t *args = NULL;
        enum df_status st;
        size_t i, j;

        if (size == 0)
                return 0;
        o.allow_add_url = data[0] & 1;
        if (data[0] & 2)
                o.build_args = args = json_pack("{s:s}", "BASE", "dgtest");
        if (data[0] & 4)
                o.target = "b";
        st = dockerfile_read((const char *)data + 1, size - 1, &o, &r);
        if (st == DF_OK) {
                if (r.n_stages == 0 || r.n_stages > DF_STAGES_MAX || r.n_images > DF_IMAGES_MAX)
                        abort();
                for (i = 0; i < r.n_images; i++) {
                        check_ref(r.images[i].ref);
                        for (j = 0; j < i; j++)
                                if (strcmp(r.images[i].ref, r.images[j].ref) == 0)
                                        abort();
                }
        } else if (r.err[0] == '\0') {
                abort();
        }
        json_decref(args);
        return 0;
}
