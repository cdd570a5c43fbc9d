/*
 * build.c - the build context, watched on its way to the engine (build.h).
 *
 * SECURITY: the Dockerfile the supervisor approves must be the one the
 * engine reads.  The engine extracts the whole context and then opens the
 * named file, so the last entry of that name is the one read; entry names
 * are compared after the cleaning Go's reader and the engine apply ("./"
 * and repeated or trailing "/").  A Dockerfile entry that is not a regular
 * file (a link, a directory) is refused outright, even if a later entry
 * replaces it, rather than modelling what extraction over it does; and a
 * path through a link the archive made is already refused by tar.c's
 * model (tarfs.h).  A context without that entry is refused: nothing
 * would tell which images the build uses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "build.h"
#include "dockerfile.h"

enum build_gz {
        GZ_UNKNOWN, /* fewer than two bytes came */
        GZ_PLAIN,   /* an uncompressed tar */
        GZ_ON,      /* gzip: inflated here */
        GZ_ENDED    /* gzip, and its stream ended */
};

#define BUILD_INFLATE_OUT (64u << 10)

struct build_ctx {
        uint64_t max, seen;
        uint64_t plain;      /* the tar's bytes (inflated, for gzip) */
        struct tar_check *t; /* the checker the tar goes to */
        enum build_gz gz;
        int want_gz;            /* the call said gzip: anything else is refused */
        unsigned char magic[2]; /* the first bytes, until the kind is known */
        size_t nmagic;
        z_stream z;          /* for GZ_ON and GZ_ENDED */
        unsigned char *zout; /* BUILD_INFLATE_OUT bytes */
        uint64_t declared;   /* the entries' headers and data, as their headers say */
        char why[512];       /* build_entry's refusal */
        char name[256];      /* the Dockerfile's path in the context, cleaned */
        const json_t *args;
        char target[129];
        int has_target, allow_add_url;
        json_t *opts; /* a reference: args points into it */

        int found;     /* an entry of that name was seen */
        int not_file;  /* ... and one of them was not a regular file */
        int capturing; /* the entry whose data comes now is the Dockerfile */
        int too_big;   /* ... and it was larger than DF_MAX */
        char *text;    /* its bytes */
        size_t len;    /* held */
        uint64_t want; /* its size */
};

/* Cleans a relative path the way the engine compares it: no "./", "//" or trailing "/". */
static void build_clean(const char *in, char *out, size_t outlen)
{
        size_t o = 0;
        const char *p = in;

        while (*p != '\0' && o + 1 < outlen) {
                while (*p == '/')
                        p++;
                if (p[0] == '.' && (p[1] == '/' || p[1] == '\0')) {
                        p++;
                        continue;
                }
                if (*p == '\0')
                        break;
                if (o > 0)
                        out[o++] = '/';
                while (*p != '\0' && *p != '/' && o + 1 < outlen)
                        out[o++] = *p++;
        }
        out[o] = '\0';
}

/*
 * Each entry's header and data, as its header declares them, count against
 * the cap before any of its data came: a 10 GiB entry (sparse on the
 * sender's disk, or a lie) is refused at its header, not after the engine
 * wrote a cap's worth of it.
 */
static const char *build_entry(void *arg, char type, const char *name, const char *link,
                               uint64_t size)
{
        struct build_ctx *b = arg;
        char clean[4096];
        uint64_t blocks = size / TAR_BLOCK + (size % TAR_BLOCK != 0);

        (void)link;
        b->capturing = 0;
        if (blocks > b->max / TAR_BLOCK || b->declared + TAR_BLOCK * (blocks + 1) > b->max) {
                snprintf(b->why, sizeof(b->why),
                         "the build context is larger than the policy allows (%llu bytes: "
                         "build.maxContextBytes); its entries' sizes reach that by %.200s",
                         (unsigned long long)b->max, name);
                return b->why;
        }
        b->declared += TAR_BLOCK * (blocks + 1);
        build_clean(name, clean, sizeof(clean));
        if (strcmp(clean, b->name) != 0)
                return NULL;
        b->found = 1;
        if (type != '0' && type != '\0' && type != '7') {
                b->not_file = 1;
                return NULL;
        }
        b->capturing = 1;
        b->len = 0;
        b->want = size;
        b->too_big = size > DF_MAX;
        return NULL;
}

static void build_data(void *arg, const unsigned char *p, size_t n)
{
        struct build_ctx *b = arg;
        size_t take;

        if (!b->capturing || b->too_big || b->len >= b->want)
                return;
        take = b->want - b->len < n ? (size_t)(b->want - b->len) : n;
        if (b->text == NULL && (b->text = malloc(DF_MAX)) == NULL)
                return; /* build_ctx_images refuses the build: out of memory */
        memcpy(b->text + b->len, p, take);
        b->len += take;
}

struct build_ctx *build_ctx_new(const json_t *opts, char *err, size_t errlen)
{
        const json_t *max = json_object_get(opts, "maxBytes"),
                     *df = json_object_get(opts, "dockerfile"),
                     *args = json_object_get(opts, "buildArgs"),
                     *target = json_object_get(opts, "target"),
                     *url = json_object_get(opts, "allowAddUrl");
        const json_t *gz = json_object_get(opts, "gzip");
        size_t want = 4 + (target != NULL) + (gz != NULL);
        struct build_ctx *b;

        if (!json_is_object(opts) || json_object_size(opts) != want || !json_is_integer(max) ||
            json_integer_value(max) < 1 || !json_is_string(df) || !json_is_object(args) ||
            !json_is_boolean(url) || (target != NULL && !json_is_string(target)) ||
            (gz != NULL && !json_is_true(gz)) || json_string_length(df) >= sizeof(b->name) ||
            (target != NULL && json_string_length(target) >= sizeof(b->target))) {
                snprintf(
                    err, errlen,
                    "build wants {maxBytes, dockerfile, buildArgs, allowAddUrl[, target][, "
                    "gzip: true]}");
                return NULL;
        }
        if ((b = calloc(1, sizeof(*b))) == NULL)
                return NULL;
        b->max = (uint64_t)json_integer_value(max);
        build_clean(json_string_value(df), b->name, sizeof(b->name));
        b->opts = json_incref((json_t *)opts);
        b->args = args;
        if (target != NULL) {
                b->has_target = 1;
                snprintf(b->target, sizeof(b->target), "%s", json_string_value(target));
        }
        b->allow_add_url = json_is_true(url);
        b->want_gz = gz != NULL;
        return b;
}

void build_ctx_free(struct build_ctx *b)
{
        if (b == NULL)
                return;
        json_decref(b->opts);
        if (b->gz == GZ_ON || b->gz == GZ_ENDED)
                inflateEnd(&b->z);
        free(b->zout);
        free(b->text);
        free(b);
}

void build_ctx_watch(struct build_ctx *b, struct tar_check *t)
{
        struct tar_watch w = {build_entry, build_data, b};

        tar_check_watch(t, &w);
        b->t = t;
}

static enum dg_err build_too_big(struct build_ctx *b, const char *what, char *err,
                                 size_t errlen)
{
        snprintf(err, errlen,
                 "the build context%s is larger than the policy allows (%llu bytes: build."
                 "maxContextBytes)",
                 what, (unsigned long long)b->max);
        return DG_FORBIDDEN;
}

/* Tar bytes (as sent, or inflated) to the checker, counted against the cap. */
static enum dg_err build_tar(struct build_ctx *b, const unsigned char *p, size_t n, char *err,
                             size_t errlen)
{
        enum tar_status st;

        b->plain += n;
        if (b->plain > b->max)
                return build_too_big(b, b->gz == GZ_PLAIN ? "" : ", decompressed,", err,
                                     errlen);
        if (n == 0 || (st = tar_check_feed(b->t, p, n)) == TAR_OK)
                return DG_OK;
        snprintf(err, errlen, "%s", tar_check_error(b->t));
        return st == TAR_FORBIDDEN ? DG_FORBIDDEN : DG_INVALID_INPUT;
}

static enum dg_err build_gz_fail(char *err, size_t errlen, const char *why)
{
        snprintf(err, errlen, "the gzip-compressed build context: %s", why);
        return DG_INVALID_INPUT;
}

/*
 * Inflates p[0..n) into the checker, BUILD_INFLATE_OUT bytes at a time, each
 * counted before the next is made: a gzip bomb stops at the cap, having
 * cost at most a cap's worth of inflating and none of memory.
 */
static enum dg_err build_inflate(struct build_ctx *b, const unsigned char *p, size_t n,
                                 char *err, size_t errlen)
{
        enum dg_err e;
        int rc;

        if (n > 0 && b->gz == GZ_ENDED)
                return build_gz_fail(err, errlen, "data after the end of its gzip stream");
        b->z.next_in = (unsigned char *)p;
        b->z.avail_in = (uInt)n;
        while (b->gz == GZ_ON && b->z.avail_in > 0) {
                b->z.next_out = b->zout;
                b->z.avail_out = BUILD_INFLATE_OUT;
                rc = inflate(&b->z, Z_NO_FLUSH);
                /* What came before a broken spot is checked first, however the input was cut.
                 */
                e = build_tar(b, b->zout, BUILD_INFLATE_OUT - b->z.avail_out, err, errlen);
                if (e != DG_OK)
                        return e;
                if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
                        return build_gz_fail(err, errlen,
                                             b->z.msg != NULL ? b->z.msg : "not gzip data");
                if (rc == Z_STREAM_END) {
                        b->gz = GZ_ENDED;
                        if (b->z.avail_in > 0)
                                return build_gz_fail(err, errlen,
                                                     "data after the end of its gzip stream");
                }
                if (rc == Z_BUF_ERROR && b->z.avail_in == 0)
                        break;
        }
        return DG_OK;
}

/* The first two bytes tell gzip (1f 8b) from a tar; every other compression is tar.c's to
 * refuse. */
static enum dg_err build_kind(struct build_ctx *b, char *err, size_t errlen)
{
        int gz = b->nmagic == 2 && b->magic[0] == 0x1f && b->magic[1] == 0x8b;

        if (b->want_gz && !gz)
                return build_gz_fail(err, errlen, "it does not begin as gzip does (1f 8b)");
        if (!gz) {
                b->gz = GZ_PLAIN;
                return build_tar(b, b->magic, b->nmagic, err, errlen);
        }
        if ((b->zout = malloc(BUILD_INFLATE_OUT)) == NULL ||
            inflateInit2(&b->z, 16 + MAX_WBITS) != Z_OK) {
                snprintf(err, errlen, "out of memory");
                return DG_INTERNAL;
        }
        b->gz = GZ_ON;
        return build_inflate(b, b->magic, b->nmagic, err, errlen);
}

enum dg_err build_ctx_feed(struct build_ctx *b, const unsigned char *p, size_t n, char *err,
                           size_t errlen)
{
        enum dg_err e;

        b->seen += n;
        if (b->seen > b->max)
                return build_too_big(b, "", err, errlen);
        while (b->gz == GZ_UNKNOWN && n > 0) {
                b->magic[b->nmagic++] = *p++;
                n--;
                if (b->nmagic == 2 && (e = build_kind(b, err, errlen)) != DG_OK)
                        return e;
        }
        if (n == 0)
                return DG_OK;
        return b->gz == GZ_PLAIN ? build_tar(b, p, n, err, errlen)
                                 : build_inflate(b, p, n, err, errlen);
}

enum dg_err build_ctx_end(struct build_ctx *b, char *err, size_t errlen)
{
        enum dg_err e;

        if (b->gz == GZ_UNKNOWN && (e = build_kind(b, err, errlen)) != DG_OK)
                return e;
        if (b->gz == GZ_ON)
                return build_gz_fail(err, errlen, "its gzip stream ends early");
        return DG_OK;
}

int build_ctx_gzip(const struct build_ctx *b)
{
        return b->gz == GZ_ON || b->gz == GZ_ENDED;
}

enum dg_err build_ctx_images(struct build_ctx *b, json_t **images, char *err, size_t errlen)
{
        struct df_opts o = {b->args, b->has_target ? b->target : NULL, b->allow_add_url};
        struct df_result *r;
        enum df_status st;
        json_t *a, *one;

        *images = NULL;
        if (!b->found) {
                snprintf(err, errlen, "the context has no %s", b->name);
                return DG_INVALID_INPUT;
        }
        if (b->not_file) {
                snprintf(err, errlen, "%s in the context must be a regular file", b->name);
                return DG_FORBIDDEN;
        }
        if (b->too_big) {
                snprintf(err, errlen, "%s is larger than %u bytes", b->name, DF_MAX);
                return DG_INVALID_INPUT;
        }
        if (b->len > 0 && b->text == NULL) {
                snprintf(err, errlen, "out of memory reading %s", b->name);
                return DG_INTERNAL;
        }
        if ((r = calloc(1, sizeof(*r))) == NULL) {
                snprintf(err, errlen, "out of memory reading %s", b->name);
                return DG_INTERNAL;
        }
        st = dockerfile_read(b->text != NULL ? b->text : "", b->len, &o, r);
        if (st != DF_OK) {
                snprintf(err, errlen, "%s: %s", b->name, r->err);
                free(r);
                return st == DF_FORBIDDEN ? DG_FORBIDDEN : DG_INVALID_INPUT;
        }
        if ((a = json_array()) == NULL)
                goto oom;
        for (size_t i = 0; i < r->n_images; i++) {
                one = json_pack("{s:s,s:I}", "ref", r->images[i].ref, "line",
                                (json_int_t)r->images[i].line);
                if (one == NULL || json_array_append_new(a, one) == -1) {
                        json_decref(a);
                        goto oom;
                }
        }
        free(r);
        *images = a;
        return DG_OK;
oom:
        free(r);
        snprintf(err, errlen, "out of memory");
        return DG_INTERNAL;
}
