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
        char rec[8192], one[4096];
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

/* A symlink replaced by a directory of the same name is still treated as a link (refused). */
static void test_link_bookkeeping(void **state)
{
        struct buf in = {0}, out = {0};
        char name[64];
        int i;

        (void)state;
        for (i = 0; i < TAR_LINKS_MAX; i++) {
                snprintf(name, sizeof(name), "l%d", i);
                entry(&in, name, '2', NULL, "target");
        }
        end(&in);
        assert_int_equal(check(&in, 4096, &out, NULL), TAR_OK);
        clear(&out);
        in.len -= 2 * TAR_BLOCK;
        entry(&in, "one-too-many", '2', NULL, "target");
        end(&in);
        assert_int_equal(check(&in, 4096, &out, NULL), TAR_FORBIDDEN);
        clear(&in);
        clear(&out);
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
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
