/*
 * fuzz_tar.c - worker/tar.c, the tar header checker of archive/put.
 *
 * Properties: it never crashes or leaks; what it lets through is always a
 * prefix of its input (it never alters, reorders or invents bytes); the
 * way the input is cut into pieces changes neither the verdict nor what
 * passes (peers choose their chunk sizes); and what passed is by itself an
 * archive the checker accepts whole (the engine applies that prefix: it
 * must stand on its own, links and all, as worker/tarfs.h requires).
 *
 * The seeds (corpus/tar/seed-*, from make-seeds.py) hold every archive
 * attack of issue 10 (tests/integration/tarcraft.py).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tar.h"

struct sink {
        const uint8_t *in;
        size_t len, got;
};

static void fuzz_emit(void *arg, const unsigned char *p, size_t n)
{
        struct sink *s = arg;

        if (s->got + n > s->len || memcmp(s->in + s->got, p, n) != 0)
                abort(); /* not a prefix of the input */
        s->got += n;
}

/* *at_end: the refusal came from tar_check_end() (the input was cut short). */
static enum tar_status fuzz_run(const uint8_t *in, size_t len, size_t step, size_t *got,
                                int *at_end)
{
        struct sink s = {in, len, 0};
        struct tar_check *t = tar_check_new(fuzz_emit, &s);
        enum tar_status st = TAR_OK;
        size_t off, n;

        if (t == NULL)
                abort();
        for (off = 0; off < len && st == TAR_OK; off += n) {
                n = len - off < step ? len - off : step;
                st = tar_check_feed(t, in + off, n);
        }
        *at_end = st == TAR_OK;
        if (st == TAR_OK)
                st = tar_check_end(t);
        if (st != TAR_OK && tar_check_error(t)[0] == '\0')
                abort(); /* a refusal always says why */
        tar_check_free(t);
        *got = s.got;
        return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t whole, cut, step;
        enum tar_status a, b;
        int end_a, end_b;

        if (size < 1)
                return 0;
        step = (size_t)data[0] * 7 + 1; /* 1..1786: across block boundaries */
        data++;
        size--;
        a = fuzz_run(data, size, size > 0 ? size : 1, &whole, &end_a);
        b = fuzz_run(data, size, step, &cut, &end_b);
        if (a != b || whole != cut)
                abort();
        /* Refused at a header: what passed ends between entries. */
        if (a != TAR_OK && !end_a && fuzz_run(data, whole, step, &cut, &end_b) != TAR_OK)
                abort(); /* the prefix that passed is refused on its own */
        return 0;
}
