/* test_tar.c - worker/tar.c: what passes, what is refused, and that a refused entry never
 * leaks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tar.h"
#include "tarfs.h"

struct buf {
        unsigned char *p;
        size_t len;
};

static void put(struct buf *b, const void *p, size_t n)
{
        b->p = realloc(b->p, b->len + n + 1);
        assert_non_null(b->p);
        memcpy(b->p + b->len, p, n);
        b->len += n;
}

static void pad(struct buf *b)
{
        static const unsigned char zero[TAR_BLOCK];

        if (b->len % TAR_BLOCK)
                put(b, zero, TAR_BLOCK - b->len % TAR_BLOCK);
}

enum fmt { USTAR, GNU, V7, STAR };

/* One header block; size is written as given (octal), checksum computed. */
static void header(unsigned char *h, const char *name, char type, uint64_t size, unsigned mode,
                   const char *link, enum fmt f, const char *prefix)
{
        unsigned sum = 0;
        size_t i;

        memset(h, 0, TAR_BLOCK);
        memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
        snprintf((char *)h + 100, 8, "%07o", mode);
        snprintf((char *)h + 108, 8, "%07o", 0);
        snprintf((char *)h + 116, 8, "%07o", 0);
        snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size);
        snprintf((char *)h + 136, 12, "%011o", 0);
        h[156] = (unsigned char)type;
        if (link != NULL)
                memcpy(h + 157, link, strlen(link) < 100 ? strlen(link) : 100);
        if (f == USTAR || f == STAR) {
                memcpy(h + 257,
                       "ustar\0"
                       "00",
                       8);
                if (prefix != NULL)
                        memcpy(h + 345, prefix, strlen(prefix));
                if (f == STAR)
                        memcpy(h + 508, "tar\0", 4);
        } else if (f == GNU) {
                memcpy(h + 257, "ustar  \0", 8);
        }
        memset(h + 148, ' ', 8);
        for (i = 0; i < TAR_BLOCK; i++)
                sum += h[i];
        snprintf((char *)h + 148, 8, "%06o", sum);
        h[155] = ' ';
}

static void entry_f(struct buf *b, const char *name, char type, const void *data, size_t n,
                    unsigned mode, const char *link, enum fmt f)
{
        unsigned char h[TAR_BLOCK];

        header(h, name, type, n, mode, link, f, NULL);
        put(b, h, TAR_BLOCK);
        if (n > 0) {
                put(b, data, n);
                pad(b);
        }
}

static void entry(struct buf *b, const char *name, char type, const char *data,
                  const char *link)
{
        entry_f(b, name, type, data, data ? strlen(data) : 0, 0644, link, USTAR);
}

/* A pax 'x' (or 'g') header with records "key=value" given as pairs, NULL-terminated. */
static void pax(struct buf *b, char type, ...)
{
        char rec[16384], one[8192];
        size_t len = 0, n, digits;
        const char *k, *v;
        va_list ap;

        va_start(ap, type);
        while ((k = va_arg(ap, const char *)) != NULL) {
                v = va_arg(ap, const char *);
                n = strlen(k) + strlen(v) + 3; /* ' ', '=', '\n' */
                for (digits = 1; snprintf(one, sizeof(one), "%zu", n + digits) != (int)digits;)
                        digits++;
                snprintf(one, sizeof(one), "%zu %s=%s\n", n + digits, k, v);
                memcpy(rec + len, one, strlen(one));
                len += strlen(one);
        }
        va_end(ap);
        entry_f(b, "PaxHeaders/x", type, rec, len, 0644, NULL, USTAR);
}

static void gnu_long(struct buf *b, char type, const char *name)
{
        entry_f(b, "././@LongLink", type, name, strlen(name) + 1, 0644, NULL, GNU);
}

static void end(struct buf *b)
{
        static const unsigned char zero[2 * TAR_BLOCK];

        put(b, zero, sizeof(zero));
}

static void emit(void *arg, const unsigned char *p, size_t n)
{
        put(arg, p, n);
}

/* Runs a whole archive through the checker, in pieces of `step` bytes; out gets what passed. */
static enum tar_status check(const struct buf *in, size_t step, struct buf *out, char *msg)
{
        struct tar_check *t = tar_check_new(emit, out);
        enum tar_status st = TAR_OK;
        size_t off, n;

        assert_non_null(t);
        for (off = 0; off < in->len && st == TAR_OK; off += n) {
                n = in->len - off < step ? in->len - off : step;
                st = tar_check_feed(t, in->p + off, n);
        }
        if (st == TAR_OK)
                st = tar_check_end(t);
        if (msg != NULL)
                snprintf(msg, 256, "%s", tar_check_error(t));
        tar_check_free(t);
        return st;
}

static void clear(struct buf *b)
{
        free(b->p);
        b->p = NULL;
        b->len = 0;
}

/* A good archive passes unchanged, whatever the pieces. */
static void test_good_passes_unchanged(void **state)
{
        static const size_t steps[] = {1, 7, 511, 512, 513, 100000};
        struct buf in = {0}, out = {0};
        unsigned char big[3000];
        size_t i;

        (void)state;
        memset(big, 'z', sizeof(big));
        entry(&in, "./", '5', NULL, NULL);
        entry(&in, "dir/", '5', NULL, NULL);
        entry(&in, "dir/file.txt", '0', "hello\n", NULL);
        entry_f(&in, "dir/big.bin", '0', big, sizeof(big), 0755, NULL, USTAR);
        entry(&in, "dir/empty", '0', NULL, NULL);
        entry(&in, "dir/sub/", '5', NULL, NULL);
        entry(&in, "dir/sub/up", '2', NULL, "../file.txt");
        entry(&in, "dir/self", '2', NULL, ".");
        entry(&in, "dir/hard", '1', NULL, "dir/file.txt");
        entry_f(&in, "gnu-file", '0', "g", 1, 0600, NULL, GNU);
        entry(&in, "sticky/", '5', NULL, NULL);
        entry_f(&in, "sticky/t", '0', NULL, 0, 01777, NULL, USTAR);
        pax(&in, 'x', "path", "a/very/long/name/from/pax", "mtime", "1.5", NULL);
        entry(&in, "short", '0', "pax named", NULL);
        pax(&in, 'x', "SCHILY.xattr.user.note", "fine", NULL);
        entry(&in, "with-xattr", '0', "x", NULL);
        pax(&in, 'g', "comment", "global", NULL);
        gnu_long(&in, 'L', "gnu/long/name/that/is/long");
        entry_f(&in, "././@LongLink", '0', "L", 1, 0644, NULL, GNU);
        end(&in);
        for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
                char msg[256];

                if (check(&in, steps[i], &out, msg) != TAR_OK)
                        fail_msg("step %zu: %s", steps[i], msg);
                assert_int_equal(out.len, in.len);
                assert_memory_equal(out.p, in.p, in.len);
                clear(&out);
        }
        clear(&in);
}

/* What follows the end-of-archive blocks is dropped; ending between entries is an end too. */
static void test_end_of_archive(void **state)
{
        struct buf in = {0}, out = {0};
        size_t n;

        (void)state;
        entry(&in, "a", '0', "1", NULL);
        end(&in);
        n = in.len;
        entry(&in, "/etc/passwd", '0', "root::0:0::/:/bin/sh\n", NULL);
        assert_int_equal(check(&in, 100, &out, NULL), TAR_OK);
        assert_int_equal(out.len, n);
        clear(&in);
        clear(&out);

        entry(&in, "a", '0', "1", NULL); /* no end blocks */
        assert_int_equal(check(&in, 3, &out, NULL), TAR_OK);
        clear(&out);
        in.len -= 1; /* inside the entry's data */
        assert_int_equal(check(&in, 3, &out, NULL), TAR_INVALID);
        clear(&out);
        in.len = 300; /* inside the header */
        assert_int_equal(check(&in, 3, &out, NULL), TAR_INVALID);
        clear(&out);
        clear(&in);

        /* an empty archive */
        assert_int_equal(check(&in, 3, &out, NULL), TAR_OK);
        /* a zero block, then a header: Go's reader fails there too */
        end(&in);
        in.len = TAR_BLOCK;
        entry(&in, "a", '0', "1", NULL);
        assert_int_equal(check(&in, 512, &out, NULL), TAR_INVALID);
        clear(&in);
        clear(&out);
}

/*
 * One refused entry after a good one: refused with the expected status,
 * and only the good entry's bytes passed (nothing of the bad one).
 */
static void refused(void (*add)(struct buf *, size_t *), enum tar_status want, const char *why)
{
        struct buf in = {0}, out = {0};
        size_t good, step;
        char msg[256];

        entry(&in, "ok.txt", '0', "fine", NULL);
        good = in.len;
        add(&in, &good);
        entry(&in, "after.txt", '0', "never", NULL);
        end(&in);
        for (step = 1; step <= 1024; step *= 32) {
                if (check(&in, step, &out, msg) != want)
                        fail_msg("%s: not refused as expected (%s)", why, msg);
                if (out.len != good)
                        fail_msg("%s: %zu bytes passed, %zu expected", why, out.len, good);
                assert_memory_equal(out.p, in.p, good);
                clear(&out);
        }
        clear(&in);
}

static void add_abs(struct buf *b, size_t *good)
{
        entry(b, "/etc/cron.d/x", '0', "* * * * * root id\n", NULL);
}
static void add_dotdot(struct buf *b, size_t *good)
{
        entry(b, "a/../../x", '0', "x", NULL);
}
static void add_dotdot_only(struct buf *b, size_t *good)
{
        entry(b, "..", '5', NULL, NULL);
}
static void add_chr(struct buf *b, size_t *good)
{
        entry(b, "null", '3', NULL, NULL);
}
static void add_blk(struct buf *b, size_t *good)
{
        entry(b, "sda", '4', NULL, NULL);
}
static void add_fifo(struct buf *b, size_t *good)
{
        entry(b, "fifo", '6', NULL, NULL);
}
static void add_setuid(struct buf *b, size_t *good)
{
        entry_f(b, "su", '0', "x", 1, 04755, NULL, USTAR);
}
static void add_setgid(struct buf *b, size_t *good)
{
        entry_f(b, "sg/", '5', NULL, 0, 02755, NULL, USTAR);
}
static void add_sym_abs(struct buf *b, size_t *good)
{
        entry(b, "etc", '2', NULL, "/etc");
}
static void add_sym_up(struct buf *b, size_t *good)
{
        entry(b, "up", '2', NULL, "..");
}
static void add_sym_deep_up(struct buf *b, size_t *good)
{
        entry(b, "a/b/up", '2', NULL, "../../../x");
}
static void add_hard_abs(struct buf *b, size_t *good)
{
        entry(b, "h", '1', NULL, "/etc/shadow");
}
static void add_hard_up(struct buf *b, size_t *good)
{
        entry(b, "h", '1', NULL, "a/../../shadow");
}
static void add_through_link(struct buf *b, size_t *good)
{
        entry(b, "l", '2', NULL, "sub");
        *good = b->len;
        entry(b, "l/file", '0', "x", NULL);
}
static void add_link_chain(struct buf *b, size_t *good)
{
        /* e/d is the target dir itself; e/d/.. is then its parent, outside */
        entry(b, "e/d", '2', NULL, "..");
        *good = b->len;
        entry(b, "f", '2', NULL, "e/d/..");
}
static void add_link_chain2(struct buf *b, size_t *good)
{
        entry(b, "e/d", '2', NULL, "..");
        *good = b->len;
        entry(b, "e/d/x", '2', NULL, "..");
}
static void add_hard_through(struct buf *b, size_t *good)
{
        entry(b, "l", '2', NULL, "sub");
        *good = b->len;
        entry(b, "h", '1', NULL, "l/secret");
}
static void add_pax_abs(struct buf *b, size_t *good)
{
        pax(b, 'x', "path", "/etc/passwd", NULL);
        entry(b, "harmless", '0', "x", NULL);
}
static void add_pax_link(struct buf *b, size_t *good)
{
        pax(b, 'x', "linkpath", "../../..", NULL);
        entry(b, "harmless", '2', NULL, "ok");
}
static void add_gnu_dotdot(struct buf *b, size_t *good)
{
        gnu_long(b, 'L', "../../escape");
        entry_f(b, "././@LongLink", '0', "x", 1, 0644, NULL, GNU);
}
static void add_gnu_link_abs(struct buf *b, size_t *good)
{
        gnu_long(b, 'K', "/");
        entry_f(b, "root", '2', NULL, 0, 0777, "ok", GNU);
}
static void add_capability(struct buf *b, size_t *good)
{
        pax(b, 'x', "SCHILY.xattr.security.capability", "\x01", NULL);
        entry(b, "cap", '0', "x", NULL);
}
static void add_sparse(struct buf *b, size_t *good)
{
        pax(b, 'x', "GNU.sparse.size", "100", NULL);
        entry(b, "s", '0', "x", NULL);
}
static void add_gnu_sparse(struct buf *b, size_t *good)
{
        entry_f(b, "s", 'S', NULL, 0, 0644, NULL, GNU);
}
static void add_dir_data(struct buf *b, size_t *good)
{
        entry_f(b, "d/", '5', "xx", 2, 0755, NULL, USTAR);
}
static void add_sym_data(struct buf *b, size_t *good)
{
        entry_f(b, "s", '2', "xx", 2, 0777, "t", USTAR);
}
static void add_rega_dir_data(struct buf *b, size_t *good)
{
        entry_f(b, "d/", '\0', "xx", 2, 0755, NULL, USTAR);
}
static void add_v7(struct buf *b, size_t *good)
{
        entry_f(b, "v7", '0', "x", 1, 0644, NULL, V7);
}
static void add_star(struct buf *b, size_t *good)
{
        entry_f(b, "star", '0', "x", 1, 0644, NULL, STAR);
}
static void add_bad_sum(struct buf *b, size_t *good)
{
        entry(b, "bad", '0', "x", NULL);
        b->p[b->len - 2 * TAR_BLOCK + 148] ^= 1;
}
static void add_repeat_x(struct buf *b, size_t *good)
{
        pax(b, 'x', "mtime", "1", NULL);
        pax(b, 'x', "mtime", "2", NULL);
        entry(b, "r", '0', "x", NULL);
}
static void add_pax_then_g(struct buf *b, size_t *good)
{
        pax(b, 'x', "path", "fine", NULL);
        pax(b, 'g', "comment", "c", NULL);
        entry(b, "r", '0', "x", NULL);
}
static void add_g_path(struct buf *b, size_t *good)
{
        pax(b, 'g', "path", "x", NULL);
}
static void add_pax_and_gnu(struct buf *b, size_t *good)
{
        gnu_long(b, 'L', "one");
        pax(b, 'x', "path", "two", NULL);
        entry_f(b, "x", '0', NULL, 0, 0644, NULL, GNU);
}
static void add_bad_pax(struct buf *b, size_t *good)
{
        entry_f(b, "p", 'x', "99 path=x\n", 10, 0644, NULL, USTAR);
        entry(b, "r", '0', "x", NULL);
}
static void add_pax_alone(struct buf *b, size_t *good)
{
        pax(b, 'x', "path", "orphan", NULL);
        end(b);
}
static void add_unknown_type(struct buf *b, size_t *good)
{
        entry(b, "v", 'V', NULL, NULL);
}
static void add_no_name(struct buf *b, size_t *good)
{
        entry(b, "./", '0', "x", NULL);
}
static void add_gzip(struct buf *b)
{
        b->len = 0; /* the archive itself starts compressed */
        put(b, "\x1f\x8b\x08\0\0\0\0\0", 8);
        pad(b);
}

static void test_refused(void **state)
{
        (void)state;
        refused(add_abs, TAR_FORBIDDEN, "absolute path");
        refused(add_dotdot, TAR_FORBIDDEN, "dot-dot");
        refused(add_dotdot_only, TAR_FORBIDDEN, "dot-dot dir");
        refused(add_chr, TAR_FORBIDDEN, "char device");
        refused(add_blk, TAR_FORBIDDEN, "block device");
        refused(add_fifo, TAR_FORBIDDEN, "fifo");
        refused(add_setuid, TAR_FORBIDDEN, "setuid");
        refused(add_setgid, TAR_FORBIDDEN, "setgid");
        refused(add_sym_abs, TAR_FORBIDDEN, "absolute symlink");
        refused(add_sym_up, TAR_FORBIDDEN, "symlink to ..");
        refused(add_sym_deep_up, TAR_FORBIDDEN, "deep symlink escape");
        refused(add_hard_abs, TAR_FORBIDDEN, "absolute hard link");
        refused(add_hard_up, TAR_FORBIDDEN, "hard link escape");
        refused(add_through_link, TAR_FORBIDDEN, "entry below a symlink");
        refused(add_link_chain, TAR_FORBIDDEN, "symlink chain");
        refused(add_link_chain2, TAR_FORBIDDEN, "symlink below a symlink");
        refused(add_hard_through, TAR_FORBIDDEN, "hard link through a symlink");
        refused(add_pax_abs, TAR_FORBIDDEN, "pax absolute path");
        refused(add_pax_link, TAR_FORBIDDEN, "pax linkpath escape");
        refused(add_gnu_dotdot, TAR_FORBIDDEN, "GNU long name escape");
        refused(add_gnu_link_abs, TAR_FORBIDDEN, "GNU long link absolute");
        refused(add_capability, TAR_FORBIDDEN, "file capability");
        refused(add_sparse, TAR_INVALID, "pax sparse");
        refused(add_gnu_sparse, TAR_INVALID, "GNU sparse");
        refused(add_dir_data, TAR_INVALID, "directory with data");
        refused(add_sym_data, TAR_INVALID, "symlink with data");
        refused(add_rega_dir_data, TAR_INVALID, "old-style directory with data");
        refused(add_v7, TAR_INVALID, "V7 header");
        refused(add_star, TAR_INVALID, "STAR header");
        refused(add_bad_sum, TAR_INVALID, "bad checksum");
        refused(add_repeat_x, TAR_INVALID, "repeated pax header");
        refused(add_pax_then_g, TAR_INVALID, "pax header then global header");
        refused(add_g_path, TAR_INVALID, "global header with a path");
        refused(add_pax_and_gnu, TAR_INVALID, "pax path and GNU long name");
        refused(add_bad_pax, TAR_INVALID, "malformed pax record");
        refused(add_pax_alone, TAR_INVALID, "pax header without an entry");
        refused(add_unknown_type, TAR_INVALID, "unknown type");
        refused(add_no_name, TAR_INVALID, "file without a name");
}

static void test_compressed(void **state)
{
        static const char *const magics[] = {"\x1f\x8b\x08", "BZh91AY",
                                             "\xfd"
                                             "7zXZ\0",
                                             "\x28\xb5\x2f\xfd"};
        struct buf in = {0}, out = {0};
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
                put(&in, magics[i], strlen(magics[i]) + 1);
                pad(&in);
                assert_int_equal(check(&in, 2, &out, NULL), TAR_FORBIDDEN);
                assert_int_equal(out.len, 0);
                clear(&in);
        }
        /* a valid tar header whose name starts like gzip would be read as gzip */
        entry(&in, "\x1f\x8b\x08name", '0', "x", NULL);
        assert_int_equal(check(&in, 512, &out, NULL), TAR_FORBIDDEN);
        clear(&in);
        add_gzip(&in);
        assert_int_equal(check(&in, 512, &out, NULL), TAR_FORBIDDEN);
        clear(&in);
        /* shorter than a block, as small gzip files are */
        put(&in, "\x1f\x8b\x08\0", 4);
        assert_int_equal(check(&in, 1, &out, NULL), TAR_FORBIDDEN);
        clear(&in);
        put(&in, "BZh", 3);
        assert_int_equal(check(&in, 512, &out, NULL), TAR_FORBIDDEN);
        clear(&in);
        assert_int_equal(out.len, 0);
        clear(&out);
}

/*
 * The checker must find the next header where Go does.  A pax size that
 * says 0 turns the block after the header into a header: it is checked.
 * A pax size that says 512 makes an embedded "header" data: it passes.
 */
static void test_sizes_follow_go(void **state)
{
        struct buf in = {0}, out = {0}, inner = {0};
        unsigned char h[TAR_BLOCK];

        (void)state;
        entry(&inner, "/etc/passwd", '0', "evil", NULL);
        header(h, "carrier", '0', TAR_BLOCK, 0644, NULL, USTAR, NULL);
        pax(&in, 'x', "size", "0", NULL);
        put(&in, h, TAR_BLOCK);
        put(&in, inner.p, inner.len);
        end(&in);
        assert_int_equal(check(&in, 512, &out, NULL), TAR_FORBIDDEN);
        clear(&in);
        clear(&out);

        header(h, "carrier", '0', 0, 0644, NULL, USTAR, NULL);
        pax(&in, 'x', "size", "1024", NULL);
        put(&in, h, TAR_BLOCK);
        put(&in, inner.p, inner.len);
        end(&in);
        assert_int_equal(check(&in, 512, &out, NULL), TAR_OK);
        assert_int_equal(out.len, in.len);
        clear(&in);
        clear(&out);

        /* base-256 size, as GNU tar writes sizes of 8 GiB and more */
        header(h, "b256", '0', 0, 0644, NULL, GNU, NULL);
        memset(h + 124, 0, 12);
        h[124] = 0x80;
        h[135] = 3;
        memset(h + 148, ' ', 8);
        {
                unsigned sum = 0;
                size_t i;

                for (i = 0; i < TAR_BLOCK; i++)
                        sum += h[i];
                snprintf((char *)h + 148, 8, "%06o", sum);
                h[155] = ' ';
        }
        put(&in, h, TAR_BLOCK);
        put(&in, "abc", 3);
        pad(&in);
        end(&in);
        assert_int_equal(check(&in, 5, &out, NULL), TAR_OK);
        assert_int_equal(out.len, in.len);
        clear(&in);
        clear(&out);
        clear(&inner);
}

/* The ustar prefix is part of the name. */
static void test_prefix(void **state)
{
        struct buf in = {0}, out = {0};
        unsigned char h[TAR_BLOCK];

        (void)state;
        header(h, "x", '0', 0, 0644, NULL, USTAR, "/etc");
        put(&in, h, TAR_BLOCK);
        end(&in);
        assert_int_equal(check(&in, 512, &out, NULL), TAR_FORBIDDEN);
        clear(&in);
        clear(&out);
        header(h, "x", '0', 0, 0644, NULL, USTAR, "a/..");
        put(&in, h, TAR_BLOCK);
        end(&in);
        assert_int_equal(check(&in, 512, &out, NULL), TAR_FORBIDDEN);
        clear(&in);
        clear(&out);
        header(h, "x", '0', 0, 0644, NULL, USTAR, "deep/dir");
        put(&in, h, TAR_BLOCK);
        end(&in);
        assert_int_equal(check(&in, 512, &out, NULL), TAR_OK);
        clear(&in);
        clear(&out);
}

/* One header block for the streamed tests below. */
static enum tar_status feed_entry(struct tar_check *t, const char *name, char type,
                                  const char *link)
{
        unsigned char h[TAR_BLOCK];

        header(h, name, type, 0, 0777, link, USTAR, NULL);
        return tar_check_feed(t, h, TAR_BLOCK);
}

static void drop(void *arg, const unsigned char *p, size_t n)
{
        *(size_t *)arg += n;
}

/*
 * The model is bounded: TARFS_NODES_MAX links pass, one more is refused
 * with a message that says what to do (streamed: no 32 MiB buffer).
 */
static void test_link_bookkeeping(void **state)
{
        size_t passed = 0;
        struct tar_check *t = tar_check_new(drop, &passed);
        char name[64];
        int i;

        (void)state;
        assert_non_null(t);
        for (i = 0; i < TARFS_NODES_MAX; i++) {
                snprintf(name, sizeof(name), "l%d", i);
                assert_int_equal(feed_entry(t, name, '2', "target"), TAR_OK);
        }
        assert_int_equal(feed_entry(t, "one-too-many", '2', "target"), TAR_FORBIDDEN);
        assert_non_null(strstr(tar_check_error(t), "split it"));
        assert_int_equal(passed, (size_t)TARFS_NODES_MAX * TAR_BLOCK);
        tar_check_free(t);

        /* directories passed through count too */
        passed = 0;
        t = tar_check_new(drop, &passed);
        assert_non_null(t);
        for (i = 0; i < TARFS_NODES_MAX; i++) {
                snprintf(name, sizeof(name), "d%d/f", i);
                assert_int_equal(feed_entry(t, name, '0', NULL), TAR_OK);
        }
        assert_int_equal(feed_entry(t, "d-last/f", '0', NULL), TAR_FORBIDDEN);
        tar_check_free(t);
}

/* --- issue 10, item 7: the checker models the filesystem the archive builds --- */

/* a/b/l -> ../.. is the target itself; a hard link to it at the top points two levels up. */
static void add_hard_to_deep_link(struct buf *b, size_t *good)
{
        entry(b, "a/", '5', NULL, NULL);
        entry(b, "a/b/", '5', NULL, NULL);
        entry(b, "a/b/l", '2', NULL, "../..");
        *good = b->len;
        entry(b, "h", '1', NULL, "a/b/l");
        entry(b, "h/x", '0', "two levels above the target", NULL);
}

/* A hard link to a link that is harmless where it is, not where the hard link is. */
static void add_hard_relocates(struct buf *b, size_t *good)
{
        entry(b, "d/", '5', NULL, NULL);
        entry(b, "d/up", '2', NULL, "../f");
        entry(b, "d/same-dir", '1', NULL, "d/up"); /* fine: T/f from d too */
        *good = b->len;
        entry(b, "top", '1', NULL, "d/up");
}

/* s -> a/b/../.. is T while a/b is a directory; a/b -> .. then makes it T/../.. */
static void add_link_before_its_path(struct buf *b, size_t *good)
{
        entry(b, "s", '2', NULL, "a/b/../..");
        entry(b, "a/", '5', NULL, NULL);
        *good = b->len;
        entry(b, "a/b", '2', NULL, "..");
}

/*
 * The same made by a hard link: d/s -> ../e/q/../.. is T while e/q is a
 * directory; e/q hard-linked to x/dotdot (-> "..", harmless in e too) makes
 * it T/../..
 */
static void add_link_before_its_path_hard(struct buf *b, size_t *good)
{
        entry(b, "x/", '5', NULL, NULL);
        entry(b, "x/dotdot", '2', NULL, "..");
        entry(b, "e/", '5', NULL, NULL);
        entry(b, "d/", '5', NULL, NULL);
        entry(b, "d/s", '2', NULL, "../e/q/../..");
        *good = b->len;
        entry(b, "e/q", '1', NULL, "x/dotdot");
}

/* A link where an earlier entry's directory is: the engine would then write through it. */
static void add_link_over_passed_dir(struct buf *b, size_t *good)
{
        entry(b, "p/q/f", '0', "x", NULL);
        *good = b->len;
        entry(b, "p", '2', NULL, "elsewhere");
}

/* A link re-made at the same name: the model keeps the new target. */
static void add_link_remade(struct buf *b, size_t *good)
{
        entry(b, "d/", '5', NULL, NULL);
        entry(b, "d/l", '2', NULL, "x");
        entry(b, "d/l", '2', NULL, "../y");
        *good = b->len;
        entry(b, "h", '1', NULL, "d/l"); /* "../y" from the top: outside */
}

/* A link whose target goes through itself. */
static void add_link_through_itself(struct buf *b, size_t *good)
{
        entry(b, "d/", '5', NULL, NULL);
        *good = b->len;
        entry(b, "d/l", '2', NULL, "../d/l/x");
}

/* An empty pax path: Go keeps the ustar name ("" to the old checker: a nameless directory). */
static void add_pax_empty_path(struct buf *b, size_t *good)
{
        pax(b, 'x', "path", "", NULL);
        entry(b, "../escape/", '5', NULL, NULL);
}

static void add_pax_empty_path_abs(struct buf *b, size_t *good)
{
        pax(b, 'x', "path", "", NULL);
        entry(b, "/etc/cron.d/", '5', NULL, NULL);
}

/* An empty pax linkpath: Go keeps the ustar link name. */
static void add_pax_empty_linkpath(struct buf *b, size_t *good)
{
        pax(b, 'x', "linkpath", "", NULL);
        entry(b, "l", '2', NULL, "../../..");
}

/* An empty GNU long name (only its NUL): Go keeps the header's name. */
static void add_gnu_empty_name(struct buf *b, size_t *good)
{
        gnu_long(b, 'L', "");
        entry_f(b, "../escape/", '5', NULL, 0, 0755, NULL, GNU);
}

static void add_gnu_empty_link(struct buf *b, size_t *good)
{
        gnu_long(b, 'K', "");
        entry_f(b, "l", '2', NULL, 0, 0777, "/etc", GNU);
}

/* A pax record length of 20 digits: 2^64 + 31 wrapped to 31 in a size_t. */
static void add_pax_len_overflow(struct buf *b, size_t *good)
{
        static const char rec[] = "18446744073709551647 a=xxxxxxx\n"; /* 31 bytes */

        entry_f(b, "PaxHeaders/x", 'x', rec, sizeof(rec) - 1, 0644, NULL, USTAR);
        entry(b, "r", '0', "x", NULL);
}

/* A length that is a valid number but longer than the header (and one that is 0-padded). */
static void add_pax_len_past(struct buf *b, size_t *good)
{
        static const char rec[] = "9223372036854775807 path=x\n";

        entry_f(b, "PaxHeaders/x", 'x', rec, sizeof(rec) - 1, 0644, NULL, USTAR);
        entry(b, "r", '0', "x", NULL);
}

/* Go reads the prefix field of a GNU header whose atime is not a number as a name prefix. */
static void add_gnu_bad_atime(struct buf *b, size_t *good)
{
        unsigned char h[TAR_BLOCK];
        unsigned sum = 0;
        size_t i;

        header(h, "x", '0', 0, 0644, NULL, GNU, NULL);
        memcpy(h + 345, "../../etc", 9); /* not octal: Go takes it as the prefix */
        memset(h + 148, ' ', 8);
        for (i = 0; i < TAR_BLOCK; i++)
                sum += h[i];
        snprintf((char *)h + 148, 8, "%06o", sum);
        h[155] = ' ';
        put(b, h, TAR_BLOCK);
}

static void add_long_name(struct buf *b, size_t *good)
{
        char name[TARFS_PATH_MAX + 2];

        memset(name, 'n', sizeof(name) - 1);
        name[sizeof(name) - 1] = '\0';
        pax(b, 'x', "path", name, NULL);
        entry(b, "short", '0', "x", NULL);
}

static void test_issue10_model(void **state)
{
        (void)state;
        refused(add_hard_to_deep_link, TAR_FORBIDDEN, "hard link to a deep symlink");
        refused(add_hard_relocates, TAR_FORBIDDEN, "hard link relocating a symlink");
        refused(add_link_before_its_path, TAR_FORBIDDEN, "symlink before the link it passes");
        refused(add_link_before_its_path_hard, TAR_FORBIDDEN,
                "symlink before the hard link it passes");
        refused(add_link_over_passed_dir, TAR_FORBIDDEN, "symlink over a directory in use");
        refused(add_link_remade, TAR_FORBIDDEN, "re-made symlink, then hard link");
        refused(add_link_through_itself, TAR_FORBIDDEN, "symlink through itself");
}

static void test_issue10_names(void **state)
{
        (void)state;
        refused(add_pax_empty_path, TAR_FORBIDDEN, "empty pax path, ustar name with ..");
        refused(add_pax_empty_path_abs, TAR_FORBIDDEN, "empty pax path, absolute ustar name");
        refused(add_pax_empty_linkpath, TAR_FORBIDDEN, "empty pax linkpath");
        refused(add_gnu_empty_name, TAR_FORBIDDEN, "empty GNU long name");
        refused(add_gnu_empty_link, TAR_FORBIDDEN, "empty GNU long link");
        refused(add_pax_len_overflow, TAR_INVALID, "20-digit pax length");
        refused(add_pax_len_past, TAR_INVALID, "pax length past the header");
        refused(add_gnu_bad_atime, TAR_INVALID, "GNU header with a prefix in its atime");
        refused(add_long_name, TAR_INVALID, "name longer than PATH_MAX");
}

/* What the model must not refuse: ordinary archives with links, in any order. */
static void test_issue10_accepted(void **state)
{
        struct buf in = {0}, out = {0}, big = {0};
        unsigned char h[TAR_BLOCK];
        char msg[256];

        (void)state;
        entry(&in, "s", '2', NULL, "a/b");    /* before a/b exists */
        entry(&in, "a/b", '2', NULL, "../c"); /* T/c: s is T/c too */
        entry(&in, "lib/", '5', NULL, NULL);
        entry(&in, "lib/libx.so.1", '0', "elf", NULL);
        entry(&in, "lib/libx.so", '2', NULL, "libx.so.1");
        entry(&in, "lib/copy", '1', NULL, "lib/libx.so"); /* same directory */
        entry(&in, "bin/", '5', NULL, NULL);
        entry(&in, "bin/tool", '2', NULL, "../lib/libx.so.1");
        entry(&in, "bin/tool2", '1', NULL, "bin/tool");
        entry(&in, "bin/tool", '0', "replaced by a file", NULL);
        entry(&in, "a/", '5', NULL, NULL); /* a directory entry where one was passed */
        /* empty pax path and size: the header's name and size count (Go) */
        pax(&in, 'x', "path", "", "size", "", NULL);
        header(h, "from-ustar", '0', 3, 0644, NULL, USTAR, NULL);
        put(&in, h, TAR_BLOCK);
        put(&in, "abc", 3);
        pad(&in);
        /* an empty GNU long name with a long link */
        gnu_long(&in, 'L', "");
        gnu_long(&in, 'K', "lib/libx.so.1");
        entry_f(&in, "gnu-hard", '1', NULL, 0, 0644, "ignored", GNU);
        /* an empty pax path beside a GNU long name: the GNU name counts */
        gnu_long(&in, 'L', "gnu-wins");
        pax(&in, 'x', "path", "", NULL);
        entry_f(&in, "x", '0', NULL, 0, 0644, NULL, GNU);
        end(&in);
        if (check(&in, 512, &out, msg) != TAR_OK)
                fail_msg("refused: %s", msg);
        assert_int_equal(out.len, in.len);
        clear(&in);
        clear(&out);

        /* a long, deep name within PATH_MAX */
        {
                char name[TARFS_PATH_MAX + 1];
                size_t i;

                for (i = 0; i + 2 <= TARFS_PATH_MAX; i += 2)
                        memcpy(name + i, "d/", 2);
                name[i - 1] = 'f';
                name[i] = '\0';
                pax(&big, 'x', "path", name, NULL);
                entry(&big, "deep", '0', "x", NULL);
                end(&big);
                if (check(&big, 4096, &out, msg) != TAR_OK)
                        fail_msg("deep name refused: %s", msg);
                clear(&big);
                clear(&out);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_good_passes_unchanged),
            cmocka_unit_test(test_end_of_archive),
            cmocka_unit_test(test_refused),
            cmocka_unit_test(test_compressed),
            cmocka_unit_test(test_sizes_follow_go),
            cmocka_unit_test(test_prefix),
            cmocka_unit_test(test_link_bookkeeping),
            cmocka_unit_test(test_issue10_model),
            cmocka_unit_test(test_issue10_names),
            cmocka_unit_test(test_issue10_accepted),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
