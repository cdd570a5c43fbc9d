/* test_log.c - line format, level filtering, fatal exits. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

/* Runs fn in a child with stderr on a pipe; returns what it wrote and its exit status. */
static void capture(void (*fn)(void), char *out, size_t outlen, int *status)
{
        int pfd[2];
        size_t n = 0;
        ssize_t r;
        pid_t pid;

        assert_int_equal(pipe(pfd), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                dup2(pfd[1], STDERR_FILENO);
                close(pfd[0]);
                close(pfd[1]);
                fn();
                fflush(stderr);
                _exit(0);
        }
        close(pfd[1]);
        while (n + 1 < outlen && (r = read(pfd[0], out + n, outlen - n - 1)) > 0)
                n += (size_t)r;
        out[n] = '\0';
        close(pfd[0]);
        assert_int_equal(waitpid(pid, status, 0), pid);
}

static void emit_levels(void)
{
        log_init("tester", 0, LOG_LVL_INFO);
        log_info("info %d", 1);
        log_debug("hidden");
        log_warnx("warnx");
        errno = ENOENT;
        log_warn("warn");
        log_set_level(LOG_LVL_DEBUG);
        log_debug("shown");
}

static void emit_fatalx(void)
{
        log_init("dying", 0, LOG_LVL_ERROR);
        log_info("not shown");
        fatalx("bye %s", "now");
}

static void emit_fatal(void)
{
        log_init("dying", 0, LOG_LVL_ERROR);
        errno = EACCES;
        fatal("cannot");
}

static void test_lines(void **state)
{
        char out[2048], want[256];
        int status;
        long pid;

        (void)state;
        capture(emit_levels, out, sizeof(out), &status);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        assert_int_equal(sscanf(out, "tester[%ld]: ", &pid), 1);
        snprintf(want, sizeof(want),
                 "tester[%ld]: info 1\ntester[%ld]: warnx\ntester[%ld]: warn: %s\n"
                 "tester[%ld]: shown\n",
                 pid, pid, pid, strerror(ENOENT), pid);
        assert_string_equal(out, want);
}

static void test_fatal_exits(void **state)
{
        char out[2048];
        int status;

        (void)state;
        capture(emit_fatalx, out, sizeof(out), &status);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
        assert_non_null(strstr(out, "]: bye now\n"));
        assert_null(strstr(out, "not shown"));
        capture(emit_fatal, out, sizeof(out), &status);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
        assert_non_null(strstr(out, "cannot: "));
        assert_non_null(strstr(out, strerror(EACCES)));
}

static void test_level_parse(void **state)
{
        (void)state;
        assert_int_equal(log_level_parse("error"), LOG_LVL_ERROR);
        assert_int_equal(log_level_parse("warn"), LOG_LVL_WARN);
        assert_int_equal(log_level_parse("info"), LOG_LVL_INFO);
        assert_int_equal(log_level_parse("debug"), LOG_LVL_DEBUG);
        assert_int_equal(log_level_parse("DEBUG"), -1);
        assert_int_equal(log_level_parse(""), -1);
        assert_int_equal(log_level_parse(NULL), -1);
        log_set_level(LOG_LVL_WARN);
        assert_int_equal(log_get_level(), LOG_LVL_WARN);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_lines),
            cmocka_unit_test(test_fatal_exits),
            cmocka_unit_test(test_level_parse),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
