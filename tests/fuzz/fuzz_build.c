/*
 * fuzz_build.c - worker/build.c, a build's context on its way to the
 * engine: the gzip stage (zlib), the size cap, the tar checker and the
 * Dockerfile reader behind them.
 *
 * The first input byte picks the step the context is fed in and whether
 * the call insists on gzip; the rest is the context as a peer would send
 * it.  Properties: it never crashes or leaks; a refusal always says why;
 * the way the context is cut into pieces changes neither the verdict nor
 * what reaches the engine (peers choose their chunk sizes); and what reaches
 * the engine is never more than the cap (a gzip bomb is stopped there).
 *
 * The seeds are the tar harness's archives (corpus/tar), so the fuzzer
 * starts from real ones; its own compressed variants it finds itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "build.h"
#include "tar.h"

#define FUZZ_CAP 65536

struct sink {
        size_t got;
        uint64_t hash;
};

static void fuzz_emit(void *arg, const unsigned char *p, size_t n)
{
        struct sink *s = arg;

        for (size_t i = 0; i < n; i++)
                s->hash = (s->hash ^ p[i]) * 1099511628211ull;
        s->got += n;
}

static int fuzz_run(const uint8_t *in, size_t len, size_t step, int want_gz, struct sink *s)
{
        json_t *opts = json_pack("{s:i,s:s,s:{},s:b}", "maxBytes", FUZZ_CAP, "dockerfile",
                                 "Dockerfile", "buildArgs", "allowAddUrl", 0);
        char err[512] = "";
        struct build_ctx *b;
        struct tar_check *t;
        enum dg_err e = DG_OK;
        enum tar_status st;
        json_t *images = NULL;
        size_t off, n;

        if (opts == NULL || (want_gz && json_object_set_new(opts, "gzip", json_true()) == -1))
                abort();
        if ((b = build_ctx_new(opts, err, sizeof(err))) == NULL ||
            (t = tar_check_new(fuzz_emit, s)) == NULL)
                abort();
        json_decref(opts); /* b keeps its own reference */
        build_ctx_watch(b, t);
        for (off = 0; off < len && e == DG_OK; off += n) {
                n = len - off < step ? len - off : step;
                e = build_ctx_feed(b, in + off, n, err, sizeof(err));
        }
        if (e == DG_OK)
                e = build_ctx_end(b, err, sizeof(err));
        if (e == DG_OK && (st = tar_check_end(t)) != TAR_OK) {
                e = st == TAR_FORBIDDEN ? DG_FORBIDDEN : DG_INVALID_INPUT;
                if (tar_check_error(t)[0] == '\0')
                        abort();
                err[0] = 'x';
        }
        if (e == DG_OK && (e = build_ctx_images(b, &images, err, sizeof(err))) == DG_OK &&
            !json_is_array(images))
                abort();
        json_decref(images);
        if (e != DG_OK && err[0] == '\0')
                abort(); /* a refusal always says why */
        if (s->got > FUZZ_CAP + 2 * 65536)
                abort(); /* past the cap by more than one inflated step */
        tar_check_free(t);
        build_ctx_free(b);
        return (int)e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const size_t steps[] = {1, 2, 7, 512, 4096, 1u << 20};
        struct sink whole = {0, 1469598103934665603ull}, cut = {0, 1469598103934665603ull};
        int want_gz, a, c;

        if (size < 1)
                return 0;
        want_gz = data[0] & 1;
        a = fuzz_run(data + 1, size - 1, 1u << 20, want_gz, &whole);
        c = fuzz_run(data + 1, size - 1, steps[(data[0] >> 1) % 6], want_gz, &cut);
        /* a refusal may come at a different byte, so only accepted runs emit alike */
        if (a != c || (a == DG_OK && (whole.got != cut.got || whole.hash != cut.hash)))
                abort();
        return 0;
}
