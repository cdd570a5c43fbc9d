/*
 * test_sv_bindroot.c - host paths beneath a bind root: what is refused, and a
 * symlink swapped in and out by another thread while the check runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "bindroot.h"

static char base[32], root[64], outside[64];

static void mk(const char *dirpath, const char *name, int dir)
{
        char p[512];

        snprintf(p, sizeof(p), "%s%s", dirpath, name);
        if (dir)
                assert_int_equal(mkdir(p, 0755), 0);
        else {
                int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
                assert_true(fd >= 0);
                close(fd);
        }
}

static int setup(void **state)
{
        char p[512];
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int s;

        snprintf(base, sizeof(base), "/tmp/dgbr.XXXXXX");
        assert_non_null(mkdtemp(base));
        snprintf(root, sizeof(root), "%s/root", base);
        snprintf(outside, sizeof(outside), "%s/outside", base);
        mk(root, "", 1);
        mk(outside, "", 1);
        mk(outside, "/secret", 0);
        mk(root, "/a", 1);
        mk(root, "/a/file", 0);
        snprintf(p, sizeof(p), "%s/up", root);
        assert_int_equal(symlink(outside, p), 0);
        snprintf(p, sizeof(p), "%s/in", root);
        assert_int_equal(symlink("a", p), 0); /* even one that stays inside */
        snprintf(p, sizeof(p), "%s/fifo", root);
        assert_int_equal(mkfifo(p, 0600), 0);
        assert_true(strlen(root) + 6 < sizeof(sa.sun_path));
        memcpy(sa.sun_path, root, strlen(root));
        memcpy(sa.sun_path + strlen(root), "/sock", 6);
        s = socket(AF_UNIX, SOCK_STREAM, 0);
        assert_true(s >= 0);
        assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
        close(s);
        mk(root, "/engine", 1);
        mk(root, "/engine/data", 1);
        *state = NULL;
        return 0;
}

static int teardown(void **state)
{
        char cmd[200];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
        return system(cmd) == 0 ? 0 : -1;
}

static int resolve(const char *rel, char *err, size_t errlen)
{
        static const char *forbidden[3];
        char host[512], out[4096];
        static char engine[256];

        snprintf(engine, sizeof(engine), "%s/engine/data", root);
        forbidden[0] = engine;
        forbidden[1] = "/run/docker.sock";
        forbidden[2] = NULL;
        snprintf(host, sizeof(host), "%s%s", root, rel);
        return bindroot_resolve(root, host, forbidden, out, sizeof(out), err, errlen);
}

static void test_plain_paths_resolve(void **state)
{
        char err[256], out[4096];

        assert_int_equal(bindroot_resolve(root, root, NULL, out, sizeof(out), err, sizeof(err)),
                         0);
        assert_string_equal(out, root);
        /* With the engine's files inside, the root as a whole is refused. */
        assert_int_equal(resolve("", err, sizeof(err)), -1);
        assert_int_equal(resolve("/a", err, sizeof(err)), 0);
        assert_int_equal(resolve("/a/file", err, sizeof(err)), 0);
}

static void expect_refused(const char *rel, const char *why)
{
        char err[256] = "";

        assert_int_equal(resolve(rel, err, sizeof(err)), -1);
        if (strstr(err, why) == NULL)
                fail_msg("%s: \"%s\" does not say \"%s\"", rel, err, why);
}

static void test_refusals(void **state)
{
        expect_refused("/up", "not a directory or regular file"); /* the link itself */
        expect_refused("/up/secret", "symlink");
        expect_refused("/in/file", "symlink");
        expect_refused("/a/../up/secret", "no \".\"");
        expect_refused("/a/./file", "no \".\"");
        expect_refused("/a//file", "no \".\"");
        expect_refused("/a/", "trailing");
        expect_refused("/fifo", "not a directory or regular file");
        expect_refused("/sock", "not a directory or regular file");
        expect_refused("/missing", "does not exist");
        expect_refused("/engine", "engine's own files");      /* holds the data root */
        expect_refused("/engine/data", "engine's own files"); /* is it */
}

static void test_outside_and_prefix_tricks(void **state)
{
        char err[256], out[4096], host[512];

        snprintf(host, sizeof(host), "%s-sibling",
                 root); /* /x/root-sibling is not in /x/root */
        assert_int_equal(bindroot_resolve(root, host, NULL, out, sizeof(out), err, sizeof(err)),
                         -1);
        assert_non_null(strstr(err, "not beneath"));
        assert_int_equal(
            bindroot_resolve(root, "relative/a", NULL, out, sizeof(out), err, sizeof(err)), -1);
        assert_int_equal(bindroot_root_ok("/", err, sizeof(err)), -1);
        assert_int_equal(bindroot_root_ok("/tmp/../etc", err, sizeof(err)), -1);
        snprintf(host, sizeof(host), "%s/in", root);
        assert_int_equal(bindroot_root_ok(host, err, sizeof(err)), -1); /* a symlink */
        assert_non_null(strstr(err, "canonical"));
        assert_int_equal(bindroot_root_ok(root, err, sizeof(err)), 0);
}

static void test_devices_refused(void **state)
{
        char p[512], err[256];

        snprintf(p, sizeof(p), "%s/null", root);
        if (mknod(p, S_IFCHR | 0600, makedev(1, 3)) != 0)
                skip(); /* not root: no device to try */
        expect_refused("/null", "not a directory or regular file");
        unlink(p);
        (void)err;
}

/* --- the race --- */

static volatile int racing;

/* Swaps root/race between a real directory and a symlink to outside, as fast as it can. */
static void *swapper(void *arg)
{
        char race[256], dir[256], link[256];

        snprintf(race, sizeof(race), "%s/race", root);
        snprintf(dir, sizeof(dir), "%s/race.dir", root);
        snprintf(link, sizeof(link), "%s/race.link", root);
        while (racing) {
                rename(dir, race);  /* the real directory appears */
                rename(race, dir);  /* and goes */
                rename(link, race); /* the symlink appears */
                rename(race, link);
        }
        return arg;
}

static void test_symlink_swap_race(void **state)
{
        char p[512], host[512], err[256];
        struct stat in, st;
        pthread_t t;
        int fd, ok = 0, refused = 0, i;

        snprintf(p, sizeof(p), "%s/race.dir", root);
        assert_int_equal(mkdir(p, 0755), 0);
        snprintf(p, sizeof(p), "%s/race.dir/secret", root);
        fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(stat(p, &in), 0);
        snprintf(p, sizeof(p), "%s/race.link", root);
        assert_int_equal(symlink(outside, p), 0);
        snprintf(host, sizeof(host), "%s/race/secret", root);

        racing = 1;
        assert_int_equal(pthread_create(&t, NULL, swapper, NULL), 0);
        for (i = 0; i < 20000; i++) {
                fd = bindroot_open(root, host, NULL, err, sizeof(err));
                if (fd < 0) {
                        refused++;
                        continue;
                }
                /* Whatever it opened must be the inside file, never outside/secret. */
                assert_int_equal(fstat(fd, &st), 0);
                close(fd);
                assert_true(st.st_ino == in.st_ino && st.st_dev == in.st_dev);
                ok++;
        }
        racing = 0;
        pthread_join(t, NULL);
        /* Both outcomes happened, so the swap really raced the check. */
        print_message("race: %d resolved inside, %d refused\n", ok, refused);
        assert_true(refused > 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_plain_paths_resolve),
            cmocka_unit_test(test_refusals),
            cmocka_unit_test(test_outside_and_prefix_tricks),
            cmocka_unit_test(test_devices_refused),
            cmocka_unit_test(test_symlink_swap_race),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
