/*
 * test_sv_quota.c - quota holds (supervisor/quota.c): calls in flight of one
 * peer racing for the last slot of a quota (both read the same usage from
 * the engine): exactly one wins, and a released hold gives its slot back; a
 * hold the engine's list already shows is not counted twice; another peer's
 * holds are its own; usage is counted from the engine's list by owner label.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "quota.h"

#define MIB (1LL << 20)
#define OWNER "dockgate.owner"

static const struct policy_limits dflt = {256 * MIB, 500000000, 64};

/* The engine's list as JSON text. */
static json_t *list_of(const char *text)
{
        json_t *l = json_loads(text, 0, NULL);

        assert_true(json_is_array(l));
        return l;
}

static struct quota_usage count(const json_t *list, const char *peer)
{
        struct quota_usage u;

        quota_count(list, OWNER, peer, &dflt, &u);
        return u;
}

static void test_two_creates_for_the_last_slot_one_wins(void **unused)
{
        struct quota *q = quota_new();
        const struct policy_quotas qs = {.containers = 2};
        json_t *list = list_of("[{\"Id\": \"1\", \"Names\": [\"/alpha.old\"], \"State\": "
                               "\"exited\", \"Labels\": {\"" OWNER "\": \"alpha\"}}]");
        struct quota_usage u = count(list, "alpha");
        struct quota_hold *a, *b, *c;
        struct quota_over o;

        assert_int_equal(u.containers, 1);
        /* Both read the same list (one slot left) before either is created. */
        a = quota_hold_new(q, "alpha", QUOTA_HOLD_CREATE, "alpha.a", 0, 0);
        b = quota_hold_new(q, "alpha", QUOTA_HOLD_CREATE, "alpha.b", 0, 0);
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(quota_take(a, list, &u, &qs, &o), 0);
        assert_int_equal(quota_take(b, list, &u, &qs, &o), -1);
        assert_string_equal(o.quota, "containers");
        assert_int_equal(o.limit, 2);
        assert_int_equal(o.used, 2); /* the one listed and a's hold */
        assert_int_equal(o.asked, 1);
        quota_release(b);
        /* a's call ended without a container (the engine refused it): its slot is back. */
        quota_release(a);
        c = quota_hold_new(q, "alpha", QUOTA_HOLD_CREATE, "alpha.c", 0, 0);
        assert_int_equal(quota_take(c, list, &u, &qs, &o), 0);
        quota_release(c);
        json_decref(list);
        quota_free(q);
}

static void test_a_hold_the_list_shows_counts_once(void **unused)
{
        struct quota *q = quota_new();
        const struct policy_quotas qs = {.containers = 2};
        json_t *before = list_of("[]"),
               *after = list_of("[{\"Id\": \"1\", \"Names\": [\"/alpha.a\"], \"State\": "
                                "\"created\", \"Labels\": {\"" OWNER "\": \"alpha\"}}]");
        struct quota_usage u0 = count(before, "alpha"), u1 = count(after, "alpha");
        struct quota_hold *a = quota_hold_new(q, "alpha", QUOTA_HOLD_CREATE, "alpha.a", 0, 0),
                          *b = quota_hold_new(q, "alpha", QUOTA_HOLD_CREATE, "alpha.b", 0, 0),
                          *c = quota_hold_new(q, "alpha", QUOTA_HOLD_CREATE, "alpha.c", 0, 0);
        struct quota_over o;

        assert_int_equal(quota_take(a, before, &u0, &qs, &o), 0);
        /* a's container is made and listed while its call is still open. */
        assert_int_equal(u1.containers, 1);
        assert_int_equal(quota_take(b, after, &u1, &qs, &o), 0);
        /* now a (listed) and b (held) fill the quota */
        assert_int_equal(quota_take(c, after, &u1, &qs, &o), -1);
        assert_int_equal(o.used, 2);
        quota_release(a);
        quota_release(b);
        quota_release(c);
        json_decref(before);
        json_decref(after);
        quota_free(q);
}

static void test_two_starts_for_the_last_memory_one_wins(void **unused)
{
        struct quota *q = quota_new();
        const struct policy_quotas qs = {.memory_bytes = 1024 * MIB};
        json_t *list = list_of("[{\"Id\": \"s1\", \"State\": \"running\", \"Labels\": {\"" OWNER
                               "\": \"alpha\", \"" OWNER ".memory\": \"268435456\"}},"
                               " {\"Id\": \"s2\", \"State\": \"exited\", \"Labels\": {\"" OWNER
                               "\": \"alpha\"}},"
                               " {\"Id\": \"s3\", \"State\": \"exited\", \"Labels\": {\"" OWNER
                               "\": \"alpha\"}}]");
        struct quota_usage u = count(list, "alpha");
        struct quota_hold *a = quota_hold_new(q, "alpha", QUOTA_HOLD_START, "s2", 512 * MIB, 0),
                          *b = quota_hold_new(q, "alpha", QUOTA_HOLD_START, "s3", 512 * MIB, 0);
        struct quota_over o;

        assert_int_equal(u.live, 1);
        assert_int_equal(u.memory_bytes, 256 * MIB);
        assert_int_equal(quota_take(a, list, &u, &qs, &o), 0);
        assert_int_equal(quota_take(b, list, &u, &qs, &o), -1);
        assert_string_equal(o.quota, "memoryBytes");
        assert_int_equal(o.used, 768 * MIB);
        assert_int_equal(o.asked, 512 * MIB);
        quota_release(a);
        assert_int_equal(quota_take(b, list, &u, &qs, &o), 0);
        quota_release(b);
        json_decref(list);
        quota_free(q);
}

static void test_another_peers_holds_are_its_own(void **unused)
{
        struct quota *q = quota_new();
        const struct policy_quotas qs = {.containers = 1};
        json_t *list = list_of("[]");
        struct quota_usage u = count(list, "alpha");
        struct quota_hold *a = quota_hold_new(q, "alpha", QUOTA_HOLD_CREATE, "alpha.x", 0, 0),
                          *b = quota_hold_new(q, "beta", QUOTA_HOLD_CREATE, "beta.x", 0, 0);
        struct quota_over o;

        assert_int_equal(quota_take(a, list, &u, &qs, &o), 0);
        assert_int_equal(quota_take(b, list, &u, &qs, &o), 0);
        quota_release(a);
        quota_release(b);
        json_decref(list);
        quota_free(q);
}

static void test_usage_is_the_peers_own_by_owner_label(void **unused)
{
        json_t *list =
            list_of("[{\"State\": \"running\", \"Labels\": {\"" OWNER "\": \"alpha\", \"" OWNER
                    ".memory\": \"1048576\", \"" OWNER ".nanocpus\": \"2000000000\"}},"
                    " {\"State\": \"paused\", \"Labels\": {\"" OWNER "\": \"alpha\"}},"
                    " {\"State\": \"exited\", \"Labels\": {\"" OWNER "\": \"alpha\"}},"
                    " {\"State\": \"running\", \"Labels\": {\"" OWNER "\": \"beta\"}},"
                    " {\"State\": \"running\", \"Labels\": {\"" OWNER ".memory\": \"1\"}},"
                    " {\"State\": \"running\"}]");
        struct quota_usage u = count(list, "alpha");

        assert_int_equal(u.containers, 3);
        assert_int_equal(u.live, 2);
        assert_int_equal(u.paused, 1);
        /* the paused one was made without stamped limits: it counts the defaults */
        assert_int_equal(u.memory_bytes, 1 * MIB + dflt.memory_bytes);
        assert_int_equal(u.nano_cpus, 2000000000 + dflt.nano_cpus);
        json_decref(list);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_two_creates_for_the_last_slot_one_wins),
            cmocka_unit_test(test_a_hold_the_list_shows_counts_once),
            cmocka_unit_test(test_two_starts_for_the_last_memory_one_wins),
            cmocka_unit_test(test_another_peers_holds_are_its_own),
            cmocka_unit_test(test_usage_is_the_peers_own_by_owner_label),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
