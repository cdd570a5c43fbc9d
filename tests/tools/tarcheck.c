/*
 * tarcheck.c - worker/tar.c as a filter, for the tests that use the engine
 * as the checker's oracle (tests/integration/test_hostile.py).  Test-only.
 *
 *   tarcheck < archive > passed 2> verdict
 *
 * stdout gets exactly the bytes the checker let through (what the worker
 * would write to the engine); stderr one line, "OK" or "FORBIDDEN: why" or
 * "INVALID: why"; the exit status is 0, 1 or 2 accordingly, 3 on I/O errors.
 */
#include <stdio.h>
#include <unistd.h>

#include "tar.h"

static int write_err;

static void out(void *arg, const unsigned char *p, size_t n)
{
        (void)arg;
        if (fwrite(p, 1, n, stdout) != n)
                write_err = 1;
}

int main(void)
{
        static const char *const names[] = {"OK", "FORBIDDEN", "INVALID"};
        unsigned char buf[65536];
        struct tar_check *t = tar_check_new(out, NULL);
        enum tar_status st = TAR_OK;
        ssize_t n;

        if (t == NULL)
                return 3;
        while (st == TAR_OK && (n = read(0, buf, sizeof(buf))) > 0)
                st = tar_check_feed(t, buf, (size_t)n);
        if (st == TAR_OK)
                st = tar_check_end(t);
        if (fflush(stdout) != 0 || write_err)
                return 3;
        if (st == TAR_OK)
                fprintf(stderr, "OK\n");
        else
                fprintf(stderr, "%s: %s\n", names[st], tar_check_error(t));
        tar_check_free(t);
        return (int)st;
}
