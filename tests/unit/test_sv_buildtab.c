/* test_sv_buildtab.c - supervisor/buildtab.c: build.concurrent, per peer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <errno.h>

#include <cmocka.h>

#include "buildtab.h"

static void test_a_peer_gets_at_most_max_slots(void **unused)
{
        struct buildtab *t = buildtab_new(NULL, NULL);
        struct build_slot *a1 = buildtab_take(t, "alpha", 2);
        struct build_slot *a2 = buildtab_take(t, "alpha", 2);

        assert_non_null(a1);
        assert_non_null(a2);
        errno = 0;
        assert_null(buildtab_take(t, "alpha", 2));
        assert_int_equal(errno, EBUSY);
        assert_int_equal(buildtab_running(t, "alpha"), 2);
        /* another peer's builds are counted apart */
        struct build_slot *b = buildtab_take(t, "beta", 1);
        assert_non_null(b);
        assert_null(buildtab_take(t, "beta", 1));
        /* a release frees a slot, and the last one the entry */
        buildtab_release(a1);
        assert_int_equal(buildtab_running(t, "alpha"), 1);
        a1 = buildtab_take(t, "alpha", 2);
        assert_non_null(a1);
        buildtab_release(a1);
        buildtab_release(a2);
        assert_int_equal(buildtab_running(t, "alpha"), 0);
        buildtab_release(NULL);
        assert_int_equal(buildtab_running(t, "beta"), 1);
        assert_null(buildtab_take(t, "beta", 1));
        buildtab_free(t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_a_peer_gets_at_most_max_slots),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
