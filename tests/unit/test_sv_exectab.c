/* test_sv_exectab.c - supervisor/exectab.c: whose exec IDs are whose, and the table's bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "exectab.h"

#define NOW ((time_t)1764682813)

static struct exec_entry entry(const char *peer, int n, const char *cid)
{
        struct exec_entry e;

        memset(&e, 0, sizeof(e));
        snprintf(e.peer, sizeof(e.peer), "%s", peer);
        snprintf(e.eid, sizeof(e.eid), "%064d", n);
        snprintf(e.cid, sizeof(e.cid), "%s", cid);
        return e;
}

static void test_an_id_is_only_its_peers(void **unused)
{
        struct exectab *t = exectab_new();
        struct exec_entry a = entry("alpha", 1, "c1");

        assert_non_null(exectab_add(t, &a, NOW));
        assert_non_null(exectab_find(t, "alpha", a.eid, NOW));
        /* beta asking for alpha's ID gets what it gets for one that never was */
        assert_null(exectab_find(t, "beta", a.eid, NOW));
        assert_null(exectab_find(t, "alpha", "0", NOW));
        exectab_drop(t, a.eid);
        assert_null(exectab_find(t, "alpha", a.eid, NOW));
        exectab_free(t);
}

static void test_entries_go_with_their_container_and_when_idle(void **unused)
{
        struct exectab *t = exectab_new();
        struct exec_entry a = entry("alpha", 1, "c1"), b = entry("alpha", 2, "c2"),
                          c = entry("alpha", 3, "c1");
        struct exec_entry *live;

        assert_non_null(exectab_add(t, &a, NOW));
        assert_non_null(exectab_add(t, &b, NOW));
        assert_non_null(live = exectab_add(t, &c, NOW));
        exectab_drop_container(t, "c1");
        assert_null(exectab_find(t, "alpha", a.eid, NOW));
        assert_null(exectab_find(t, "alpha", c.eid, NOW));
        assert_non_null(exectab_find(t, "alpha", b.eid, NOW));
        /* idle past the TTL: gone; a live session is kept however long it runs */
        assert_non_null(live = exectab_add(t, &c, NOW));
        live->live = 1;
        assert_null(exectab_find(t, "alpha", b.eid, NOW + EXECTAB_TTL_SECS + 1));
        assert_non_null(exectab_find(t, "alpha", c.eid, NOW + 10 * EXECTAB_TTL_SECS));
        exectab_free(t);
}

static void test_a_full_table_replaces_the_entry_idle_longest(void **unused)
{
        struct exectab *t = exectab_new();
        struct exec_entry e, *p;
        int i;

        for (i = 0; i < EXECTAB_PER_PEER; i++) {
                e = entry("alpha", i, "c1");
                assert_non_null(p = exectab_add(t, &e, NOW + i));
                p->live = i > 0; /* all but the first run a session */
        }
        assert_int_equal(exectab_count(t, "alpha"), EXECTAB_PER_PEER);
        e = entry("beta", 1000, "c9"); /* another peer's bound is its own */
        assert_non_null(exectab_add(t, &e, NOW));
        e = entry("alpha", 1001, "c1");
        assert_non_null(exectab_add(t, &e, NOW + 100));
        assert_int_equal(exectab_count(t, "alpha"), EXECTAB_PER_PEER);
        e = entry("alpha", 0, "c1");
        assert_null(exectab_find(t, "alpha", e.eid, NOW + 100));
        /* every one of alpha's entries runs a session now, but the newest */
        e = entry("alpha", 1001, "c1");
        exectab_find(t, "alpha", e.eid, NOW + 100)->live = 1;
        assert_int_equal(exectab_room(t, "alpha", NOW + 100), 0);
        e = entry("alpha", 1002, "c1");
        assert_null(exectab_add(t, &e, NOW + 100));
        exectab_free(t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_an_id_is_only_its_peers),
            cmocka_unit_test(test_entries_go_with_their_container_and_when_idle),
            cmocka_unit_test(test_a_full_table_replaces_the_entry_idle_longest),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
