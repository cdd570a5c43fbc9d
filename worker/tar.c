/*
 * tar.c - checking a tar archive on its way into a container (tar.h).
 *
 * SECURITY: what matters is how the engine will read the archive, so every
 * rule below mirrors Go's archive/tar reader (the engine's): which header
 * formats exist, how a name is put together (pax path, GNU long name,
 * ustar prefix), which entries carry data and how much (a pax size
 * overrides the header's; header-only types carry none), where the archive
 * ends.  A parser that disagreed with the engine's about any of these could
 * be made to wave through bytes the engine then reads as another entry, so
 * anything the two might read differently is refused rather than guessed.
 *
 * The engine applies an archive as it reads it, and nothing can take back
 * entries it already extracted: entries before a refused one may have been
 * applied.  The refused entry itself, and everything after it, never leave
 * the worker (raw.c then drops the engine connection mid-body).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tar.h"
#include "tarfs.h"

/* Offsets in a header block (POSIX ustar; GNU differs only after the magic). */
#define H_NAME 0
#define H_MODE 100
#define H_SIZE 124
#define H_CHKSUM 148
#define H_TYPE 156
#define H_LINK 157
#define H_MAGIC 257
#define H_VERSION 263
#define H_PREFIX 345
#define H_GNU_ATIME 345
#define H_GNU_CTIME 357
#define H_STAR_TRAILER 508

enum tar_state {
        T_HEADER, /* collecting a header block */
        T_META,   /* collecting an extended header's data (held) */
        T_DATA,   /* passing an entry's data on */
        T_ZERO2,  /* after the first zero block: the second must follow */
        T_DONE    /* after the end-of-archive blocks: input is dropped */
};

struct tar_check {
        tar_emit_fn emit;
        void *arg;
        enum tar_status err;
        char msg[256];
        enum tar_state state;
        int started; /* a block was seen (compression is checked on the first) */

        unsigned char blk[TAR_BLOCK];
        size_t blk_have;
        uint64_t left; /* T_DATA, T_META: bytes to come, padding included */

        /* Extended headers held back until the entry they describe passes. */
        unsigned char *hold;
        size_t hold_len, hold_cap;
        char meta_type;   /* 'x', 'g', 'L' or 'K' being collected */
        size_t meta_size; /* its data size, without padding */
        size_t meta_off;  /* where its data starts in hold */

        /*
         * Overrides for the next entry, NULL when absent or empty: Go keeps
         * the header's own value for an empty pax record or GNU long name.
         */
        char *pax_path, *pax_link, *gnu_name, *gnu_link;
        int have_x, have_L, have_K, seen_path, seen_link, seen_size, have_pax_size;
        uint64_t pax_size;

        struct tarfs *fs; /* where the entries so far lead */
        struct tar_watch watch;
};

/* --- errors --- */

__attribute__((format(printf, 3, 4))) static enum tar_status
tar_fail(struct tar_check *t, enum tar_status st, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
        va_end(ap);
        t->err = st;
        return st;
}

/* A peer-chosen name, shortened and made printable for a message. */
static const char *tar_quote(const char *s, char *buf, size_t len)
{
        size_t i;

        for (i = 0; s[i] != '\0' && i + 1 < len && i < 80; i++)
                buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
        buf[i] = '\0';
        return buf;
}

/* --- the held bytes --- */

static int tar_hold(struct tar_check *t, const unsigned char *p, size_t n)
{
        size_t cap;
        unsigned char *nb;

        if (t->hold_len + n > t->hold_cap) {
                cap = t->hold_cap ? t->hold_cap : 4 * TAR_BLOCK;
                while (cap < t->hold_len + n)
                        cap *= 2;
                if ((nb = realloc(t->hold, cap)) == NULL)
                        return -1;
                t->hold = nb;
                t->hold_cap = cap;
        }
        memcpy(t->hold + t->hold_len, p, n);
        t->hold_len += n;
        return 0;
}

static void tar_overrides_clear(struct tar_check *t)
{
        free(t->pax_path);
        free(t->pax_link);
        free(t->gnu_name);
        free(t->gnu_link);
        t->pax_path = t->pax_link = t->gnu_name = t->gnu_link = NULL;
        t->have_x = t->have_L = t->have_K = 0;
        t->seen_path = t->seen_link = t->seen_size = t->have_pax_size = 0;
        t->pax_size = 0;
}

/* The held extended headers go out (before the header they describe). */
static void tar_release(struct tar_check *t)
{
        if (t->hold_len > 0)
                t->emit(t->arg, t->hold, t->hold_len);
        t->hold_len = 0;
        if (t->hold_cap > 64 * TAR_BLOCK) {
                free(t->hold);
                t->hold = NULL;
                t->hold_cap = 0;
        }
}

/* --- numbers and strings, as Go's archive/tar parses them --- */

/* A NUL-terminated copy of field[0..n) up to its first NUL. */
static char *tar_field(const unsigned char *field, size_t n)
{
        size_t len = strnlen((const char *)field, n);
        char *s = malloc(len + 1);

        if (s != NULL) {
                memcpy(s, field, len);
                s[len] = '\0';
        }
        return s;
}

/* Octal with leading and trailing spaces and NULs; empty is 0.  -1 on error. */
static int tar_octal(const unsigned char *b, size_t n, uint64_t *v)
{
        size_t i = 0, end = n;

        while (i < end && (b[i] == ' ' || b[i] == '\0'))
                i++;
        while (end > i && (b[end - 1] == ' ' || b[end - 1] == '\0'))
                end--;
        *v = 0;
        for (; i < end; i++) {
                if (b[i] == '\0')
                        break; /* Go cuts the string at its first NUL */
                if (b[i] < '0' || b[i] > '7' || *v >> 61 != 0)
                        return -1;
                *v = *v << 3 | (uint64_t)(b[i] - '0');
        }
        return 0;
}

/* Octal, or GNU base-256 when the high bit of the first byte is set.  -1 on error. */
static int tar_numeric(const unsigned char *b, size_t n, int64_t *v)
{
        uint64_t x = 0;
        size_t i;

        if ((b[0] & 0x80) == 0) {
                if (tar_octal(b, n, &x) == -1 || x > INT64_MAX)
                        return -1;
                *v = (int64_t)x;
                return 0;
        }
        if (b[0] & 0x40)
                return -1; /* negative */
        for (i = 0; i < n; i++) {
                if (x >> 56 != 0)
                        return -1;
                x = x << 8 | (i == 0 ? (b[i] & 0x7f) : b[i]);
        }
        if (x > INT64_MAX)
                return -1;
        *v = (int64_t)x;
        return 0;
}

static int tar_decimal(const char *s, uint64_t *v)
{
        *v = 0;
        if (*s == '\0')
                return -1;
        for (; *s != '\0'; s++) {
                if (*s < '0' || *s > '9' || *v > (UINT64_MAX - 9) / 10)
                        return -1;
                *v = *v * 10 + (uint64_t)(*s - '0');
        }
        return *v <= INT64_MAX ? 0 : -1;
}

/* --- the header block --- */

static int tar_zero(const unsigned char *b)
{
        size_t i;

        for (i = 0; i < TAR_BLOCK; i++)
                if (b[i] != 0)
                        return 0;
        return 1;
}

/* Go accepts the unsigned or the signed sum, the checksum field read as spaces. */
static int tar_checksum_ok(const unsigned char *b)
{
        int64_t s = 0;
        uint64_t u = 0, want;
        size_t i;

        if (tar_octal(b + H_CHKSUM, 8, &want) == -1)
                return 0;
        for (i = 0; i < TAR_BLOCK; i++) {
                unsigned char c = (i >= H_CHKSUM && i < H_CHKSUM + 8) ? ' ' : b[i];

                u += c;
                s += (signed char)c;
        }
        return want == u || (int64_t)want == s;
}

enum tar_format { F_USTAR, F_GNU };

/* Go's getFormat(), minus the formats refused here (V7, STAR). */
static enum tar_status tar_format_of(struct tar_check *t, const unsigned char *b,
                                     enum tar_format *f)
{
        if (!tar_checksum_ok(b))
                return tar_fail(t, TAR_INVALID, "not a tar header (bad checksum)");
        if (memcmp(b + H_MAGIC, "ustar\0", 6) == 0) {
                if (memcmp(b + H_STAR_TRAILER, "tar\0", 4) == 0)
                        return tar_fail(t, TAR_INVALID, "STAR archives are not accepted");
                *f = F_USTAR;
                return TAR_OK;
        }
        if (memcmp(b + H_MAGIC, "ustar ", 6) == 0 && memcmp(b + H_VERSION, " \0", 2) == 0) {
                *f = F_GNU;
                return TAR_OK;
        }
        return tar_fail(t, TAR_INVALID, "only ustar, GNU and pax archives are accepted");
}

/*
 * The compressions the engine detects by their first bytes (gzip, bzip2,
 * xz, zstd): such an archive would be decompressed and extracted unchecked.
 */
static int tar_compressed(const unsigned char *b, size_t n)
{
        static const struct {
                const char *magic;
                size_t len;
        } m[] = {
            {"\x1f\x8b\x08", 3},
            {"BZh", 3},
            {"\xfd\x37\x7a\x58\x5a\x00", 6},
            {"\x28\xb5\x2f\xfd", 4},
        };
        size_t i;

        for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
                if (n >= m[i].len && memcmp(b, m[i].magic, m[i].len) == 0)
                        return 1;
        return 0;
}

/* --- one entry --- */

struct tar_entry {
        char type;
        char *name, *link; /* owned */
        int64_t mode;
        uint64_t size;
};

static void tar_entry_clear(struct tar_entry *e)
{
        free(e->name);
        free(e->link);
        memset(e, 0, sizeof(*e));
}

/* Name, link target and size as Go's reader puts them together. */
static enum tar_status tar_entry_read(struct tar_check *t, const unsigned char *b,
                                      enum tar_format f, struct tar_entry *e)
{
        int64_t size;
        char *name, *prefix;
        size_t plen;

        e->type = (char)b[H_TYPE];
        if (tar_numeric(b + H_MODE, 8, &e->mode) == -1 ||
            tar_numeric(b + H_SIZE, 12, &size) == -1)
                return tar_fail(t, TAR_INVALID, "malformed number in a tar header");
        e->size = (uint64_t)size;
        if (t->have_pax_size)
                e->size = t->pax_size;
        if (t->pax_path != NULL && t->gnu_name != NULL)
                return tar_fail(t, TAR_INVALID, "both a pax path and a GNU long name");
        if (t->pax_link != NULL && t->gnu_link != NULL)
                return tar_fail(t, TAR_INVALID, "both a pax linkpath and a GNU long link");
        /*
         * Go reads an old GNU header whose access or change time is not a
         * number as one written by a buggy writer, and takes the ustar
         * prefix field (the same bytes) as a prefix of the name.
         */
        if (f == F_GNU &&
            ((b[H_GNU_ATIME] != 0 && tar_numeric(b + H_GNU_ATIME, 12, &size) == -1) ||
             (b[H_GNU_CTIME] != 0 && tar_numeric(b + H_GNU_CTIME, 12, &size) == -1)))
                return tar_fail(t, TAR_INVALID,
                                "a GNU header whose access or change time is not a number");
        if (t->pax_path != NULL || t->gnu_name != NULL) {
                e->name = strdup(t->pax_path != NULL ? t->pax_path : t->gnu_name);
        } else {
                if ((name = tar_field(b + H_NAME, 100)) == NULL)
                        return tar_fail(t, TAR_INVALID, "out of memory");
                plen = f == F_USTAR ? strnlen((const char *)b + H_PREFIX, 155) : 0;
                if (plen == 0) {
                        e->name = name;
                } else {
                        prefix = tar_field(b + H_PREFIX, 155);
                        if (prefix != NULL && asprintf(&e->name, "%s/%s", prefix, name) == -1)
                                e->name = NULL;
                        free(prefix);
                        free(name);
                }
        }
        if (t->pax_link != NULL || t->gnu_link != NULL)
                e->link = strdup(t->pax_link != NULL ? t->pax_link : t->gnu_link);
        else
                e->link = tar_field(b + H_LINK, 100);
        if (e->name == NULL || e->link == NULL)
                return tar_fail(t, TAR_INVALID, "out of memory");
        /* Go: an old-style regular file whose name ends in "/" is a directory. */
        if (e->type == '\0' && e->name[0] != '\0' && e->name[strlen(e->name) - 1] == '/')
                e->type = '5';
        return TAR_OK;
}

static enum tar_status tar_entry_type(struct tar_check *t, const struct tar_entry *e)
{
        switch (e->type) {
        case '0':
        case '\0':
        case '7': /* contiguous: a regular file to Go */
                return TAR_OK;
        case '1':
        case '2':
        case '5':
                /* Go reads no data for these whatever the size says: refuse the doubt. */
                if (e->size != 0)
                        return tar_fail(t, TAR_INVALID, "a link or directory entry with data");
                return TAR_OK;
        case '3':
        case '4':
        case '6':
                return tar_fail(t, TAR_FORBIDDEN, "device nodes and fifos are not allowed");
        case 'S':
                return tar_fail(t, TAR_INVALID, "sparse files are not accepted");
        default:
                return tar_fail(t, TAR_INVALID, "tar entry type 0x%02x is not accepted",
                                (unsigned char)e->type);
        }
}

static enum tar_status tar_entry_paths(struct tar_check *t, const struct tar_entry *e)
{
        enum tar_status st =
            tarfs_add(t->fs, e->type, e->name, e->link, t->msg, sizeof(t->msg));

        if (st != TAR_OK)
                t->err = st;
        return st;
}

static enum tar_status tar_entry(struct tar_check *t, const unsigned char *b, enum tar_format f)
{
        struct tar_entry e;
        enum tar_status st;
        char q[96];

        memset(&e, 0, sizeof(e));
        st = tar_entry_read(t, b, f, &e);
        if (st == TAR_OK)
                st = tar_entry_type(t, &e);
        if (st == TAR_OK && e.mode < 0)
                st = tar_fail(t, TAR_INVALID, "malformed mode");
        if (st == TAR_OK && (e.mode & 06000) != 0)
                st = tar_fail(t, TAR_FORBIDDEN, "setuid or setgid bit on %s",
                              tar_quote(e.name, q, sizeof(q)));
        if (st == TAR_OK)
                st = tar_entry_paths(t, &e);
        if (st == TAR_OK) {
                const char *no = t->watch.entry != NULL ? t->watch.entry(t->watch.arg, e.type,
                                                                         e.name, e.link, e.size)
                                                        : NULL;

                if (no != NULL) {
                        st = tar_fail(t, TAR_FORBIDDEN, "%s", no);
                        tar_entry_clear(&e);
                        return st;
                }
                tar_release(t);
                t->emit(t->arg, b, TAR_BLOCK);
                tar_overrides_clear(t);
                t->left = (e.type == '0' || e.type == '\0' || e.type == '7')
                              ? (e.size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK
                              : 0;
                t->state = t->left > 0 ? T_DATA : T_HEADER;
        }
        tar_entry_clear(&e);
        return st;
}

/* --- extended headers: pax ('x', 'g') and GNU long names ('L', 'K') --- */

/*
 * One pax record "LEN key=value\n" at p[0..n); *used its length.  LEN is
 * read as Go's strconv.ParseInt would, minus the signs it also takes (and
 * refused here): a length that overflows, or is longer than what is left,
 * is malformed.
 */
static enum tar_status tar_pax_record(struct tar_check *t, const char *p, size_t n,
                                      size_t *used, const char **key, size_t *klen,
                                      const char **val, size_t *vlen)
{
        size_t i = 0, len = 0;
        const char *eq;

        while (i < n && p[i] >= '0' && p[i] <= '9') {
                /* never more than what is left: no overflow, and no wrap */
                if (len > n / 10 || (len = len * 10 + (size_t)(p[i++] - '0')) > n)
                        return tar_fail(t, TAR_INVALID,
                                        "malformed pax record (a length past its header)");
        }
        if (i == 0 || i == n || p[i] != ' ' || len < 5 || len > n || len <= i + 1 ||
            p[len - 1] != '\n')
                return tar_fail(t, TAR_INVALID, "malformed pax record");
        *key = p + i + 1;
        eq = memchr(*key, '=', (size_t)(p + len - 1 - *key));
        if (eq == NULL || eq == *key)
                return tar_fail(t, TAR_INVALID, "malformed pax record");
        *klen = (size_t)(eq - *key);
        *val = eq + 1;
        *vlen = (size_t)(p + len - 1 - *val);
        if (memchr(*key, '\0', *klen) != NULL)
                return tar_fail(t, TAR_INVALID, "malformed pax record");
        *used = len;
        return TAR_OK;
}

static int tar_key_is(const char *k, size_t klen, const char *want)
{
        return klen == strlen(want) && memcmp(k, want, klen) == 0;
}

/* A path record: repeated is refused, empty means "keep the header's" (Go). */
static enum tar_status tar_pax_value(struct tar_check *t, int *seen, char **dst, const char *v,
                                     size_t vlen)
{
        if (*seen)
                return tar_fail(t, TAR_INVALID, "repeated pax record");
        *seen = 1;
        if (memchr(v, '\0', vlen) != NULL)
                return tar_fail(t, TAR_INVALID, "NUL in a pax path");
        if (vlen == 0)
                return TAR_OK;
        if ((*dst = malloc(vlen + 1)) == NULL)
                return tar_fail(t, TAR_INVALID, "out of memory");
        memcpy(*dst, v, vlen);
        (*dst)[vlen] = '\0';
        return TAR_OK;
}

/* SCHILY.xattr.<name>: the engine sets it on the file; only user.* is harmless. */
static enum tar_status tar_pax_xattr(struct tar_check *t, const char *k, size_t klen)
{
        static const char pfx[] = "SCHILY.xattr.";
        size_t n = sizeof(pfx) - 1;

        if (klen < n || memcmp(k, pfx, n) != 0)
                return TAR_OK;
        if (klen > n + 5 && memcmp(k + n, "user.", 5) == 0)
                return TAR_OK;
        return tar_fail(t, TAR_FORBIDDEN,
                        "extended attributes other than user.* are not allowed");
}

static enum tar_status tar_pax_one(struct tar_check *t, int global, const char *k, size_t klen,
                                   const char *v, size_t vlen)
{
        char num[24];
        enum tar_status st;

        if (klen >= 11 && memcmp(k, "GNU.sparse.", 11) == 0)
                return tar_fail(t, TAR_INVALID, "sparse files are not accepted");
        if ((st = tar_pax_xattr(t, k, klen)) != TAR_OK)
                return st;
        /* Go refuses a NUL in these (and so the engine would stop there). */
        if ((tar_key_is(k, klen, "uname") || tar_key_is(k, klen, "gname")) &&
            memchr(v, '\0', vlen) != NULL)
                return tar_fail(t, TAR_INVALID, "NUL in a pax user or group name");
        if (!tar_key_is(k, klen, "path") && !tar_key_is(k, klen, "linkpath") &&
            !tar_key_is(k, klen, "size"))
                return TAR_OK;
        /* Go does not apply a global header's records to later entries: refuse the doubt. */
        if (global)
                return tar_fail(t, TAR_INVALID, "a global pax header naming a path or size");
        if (tar_key_is(k, klen, "path"))
                return tar_pax_value(t, &t->seen_path, &t->pax_path, v, vlen);
        if (tar_key_is(k, klen, "linkpath"))
                return tar_pax_value(t, &t->seen_link, &t->pax_link, v, vlen);
        if (t->seen_size)
                return tar_fail(t, TAR_INVALID, "repeated pax record");
        t->seen_size = 1;
        if (vlen == 0)
                return TAR_OK; /* Go keeps the header's size */
        if (vlen >= sizeof(num))
                return tar_fail(t, TAR_INVALID, "malformed pax size");
        memcpy(num, v, vlen);
        num[vlen] = '\0';
        if (tar_decimal(num, &t->pax_size) == -1)
                return tar_fail(t, TAR_INVALID, "malformed pax size");
        t->have_pax_size = 1;
        return TAR_OK;
}

static enum tar_status tar_pax(struct tar_check *t, const char *p, size_t n, int global)
{
        const char *k = NULL, *v = NULL;
        size_t used = 0, klen = 0, vlen = 0;
        enum tar_status st;

        while (n > 0) {
                if ((st = tar_pax_record(t, p, n, &used, &k, &klen, &v, &vlen)) != TAR_OK)
                        return st;
                if ((st = tar_pax_one(t, global, k, klen, v, vlen)) != TAR_OK)
                        return st;
                p += used;
                n -= used;
        }
        return TAR_OK;
}

/* The extended header's data is complete (in hold, from meta_off). */
static enum tar_status tar_meta_done(struct tar_check *t)
{
        const char *data = (const char *)t->hold + t->meta_off;
        char **dst;
        enum tar_status st;

        switch (t->meta_type) {
        case 'x':
                t->have_x = 1;
                return tar_pax(t, data, t->meta_size, 0);
        case 'g':
                if ((st = tar_pax(t, data, t->meta_size, 1)) != TAR_OK)
                        return st;
                tar_release(t); /* describes no entry: nothing to wait for */
                return TAR_OK;
        default:
                dst = t->meta_type == 'L' ? &t->gnu_name : &t->gnu_link;
                if ((*dst = tar_field((const unsigned char *)data, t->meta_size)) == NULL)
                        return tar_fail(t, TAR_INVALID, "out of memory");
                if (**dst == '\0') { /* Go keeps the header's name for an empty one */
                        free(*dst);
                        *dst = NULL;
                }
                return TAR_OK;
        }
}

static enum tar_status tar_meta_begin(struct tar_check *t, const unsigned char *b)
{
        char type = (char)b[H_TYPE];
        int64_t size;

        if (tar_numeric(b + H_SIZE, 12, &size) == -1)
                return tar_fail(t, TAR_INVALID, "malformed number in a tar header");
        if ((uint64_t)size > TAR_META_MAX)
                return tar_fail(t, TAR_INVALID, "extended header too long");
        if ((type == 'x' && t->have_x) || (type == 'L' && t->have_L) ||
            (type == 'K' && t->have_K))
                return tar_fail(t, TAR_INVALID, "repeated extended header");
        t->have_L |= type == 'L';
        t->have_K |= type == 'K';
        /* Go forgets a pending 'x' when a 'g' comes: refuse rather than guess. */
        if (type == 'g' && (t->hold_len > 0 || t->have_x))
                return tar_fail(t, TAR_INVALID,
                                "a global pax header between an entry's headers");
        if (tar_hold(t, b, TAR_BLOCK) == -1)
                return tar_fail(t, TAR_INVALID, "out of memory");
        t->meta_type = type;
        t->meta_size = (size_t)size;
        t->meta_off = t->hold_len;
        t->left = ((uint64_t)size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
        t->state = T_META;
        if (t->left > 0)
                return TAR_OK;
        t->state = T_HEADER;
        return tar_meta_done(t);
}

/* --- blocks --- */

static int tar_pending(const struct tar_check *t)
{
        return t->hold_len > 0 || t->have_x || t->have_L || t->have_K;
}

static enum tar_status tar_block(struct tar_check *t)
{
        const unsigned char *b = t->blk;
        enum tar_format f = F_USTAR;
        enum tar_status st;
        char type;

        t->started = 1;
        if (t->state == T_ZERO2) {
                if (!tar_zero(b))
                        return tar_fail(t, TAR_INVALID,
                                        "a header after an end-of-archive block");
                t->emit(t->arg, b, TAR_BLOCK);
                t->state = T_DONE;
                return TAR_OK;
        }
        if (tar_zero(b)) {
                if (tar_pending(t))
                        return tar_fail(t, TAR_INVALID, "extended headers without an entry");
                t->emit(t->arg, b, TAR_BLOCK);
                t->state = T_ZERO2;
                return TAR_OK;
        }
        if ((st = tar_format_of(t, b, &f)) != TAR_OK)
                return st;
        type = (char)b[H_TYPE];
        if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
                if ((type == 'L' || type == 'K') != (f == F_GNU))
                        return tar_fail(t, TAR_INVALID, "extended header of another format");
                return tar_meta_begin(t, b);
        }
        return tar_entry(t, b, f);
}

struct tar_check *tar_check_new(tar_emit_fn emit, void *arg)
{
        struct tar_check *t = calloc(1, sizeof(*t));

        if (t == NULL)
                return NULL;
        if ((t->fs = tarfs_new()) == NULL) {
                free(t);
                return NULL;
        }
        t->emit = emit;
        t->arg = arg;
        t->state = T_HEADER;
        return t;
}

void tar_check_free(struct tar_check *t)
{
        if (t == NULL)
                return;
        tar_overrides_clear(t);
        tarfs_free(t->fs);
        free(t->hold);
        free(t);
}

enum tar_status tar_check_feed(struct tar_check *t, const unsigned char *p, size_t len)
{
        size_t n = 0;

        while (len > 0 && t->err == TAR_OK) {
                switch (t->state) {
                case T_DONE:
                        return TAR_OK; /* after the end: dropped */
                case T_DATA:
                        n = len < t->left ? len : (size_t)t->left;
                        if (t->watch.data != NULL)
                                t->watch.data(t->watch.arg, p, n);
                        t->emit(t->arg, p, n);
                        t->left -= n;
                        if (t->left == 0)
                                t->state = T_HEADER;
                        break;
                case T_META:
                        n = len < t->left ? len : (size_t)t->left;
                        if (tar_hold(t, p, n) == -1)
                                return tar_fail(t, TAR_INVALID, "out of memory");
                        t->left -= n;
                        if (t->left == 0) {
                                t->state = T_HEADER;
                                tar_meta_done(t);
                        }
                        break;
                case T_HEADER:
                case T_ZERO2:
                        n = TAR_BLOCK - t->blk_have;
                        if (n > len)
                                n = len;
                        memcpy(t->blk + t->blk_have, p, n);
                        t->blk_have += n;
                        /* A compressed archive may be shorter than a block: look early. */
                        if (!t->started && t->blk_have >= 6 && tar_compressed(t->blk, 6))
                                return tar_fail(t, TAR_FORBIDDEN,
                                                "compressed archives are not accepted");
                        if (t->blk_have == TAR_BLOCK) {
                                t->blk_have = 0;
                                tar_block(t);
                        }
                        break;
                }
                p += n;
                len -= n;
        }
        return t->err;
}

enum tar_status tar_check_end(struct tar_check *t)
{
        if (t->err != TAR_OK)
                return t->err;
        if (!t->started && tar_compressed(t->blk, t->blk_have))
                return tar_fail(t, TAR_FORBIDDEN, "compressed archives are not accepted");
        if (t->state == T_DONE || t->state == T_ZERO2)
                return TAR_OK;
        if (t->state != T_HEADER || t->blk_have != 0 || tar_pending(t))
                return tar_fail(t, TAR_INVALID, "the archive ended inside an entry");
        return TAR_OK;
}

void tar_check_watch(struct tar_check *t, const struct tar_watch *w)
{
        t->watch = *w;
}

int tar_check_done(const struct tar_check *t)
{
        return t->state == T_DONE;
}

const char *tar_check_error(const struct tar_check *t)
{
        return t->err != TAR_OK ? t->msg : "";
}
