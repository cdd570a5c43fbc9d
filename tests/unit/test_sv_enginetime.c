/* test_sv_enginetime.c - supervisor/enginetime.c: the times the engine's filters take. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "enginetime.h"

#define NOW ((time_t)1764682813) /* 2025-12-02T13:40:13Z */

static double parsed(const char *s)
{
        double t = -1;

        if (enginetime_parse(s, NOW, &t) != 0)
                fail_msg("%s refused", s);
        return t;
}

static void refused(const char *s)
{
        double t;

        if (enginetime_parse(s, NOW, &t) == 0)
                fail_msg("%s accepted as %f", s, t);
}

static void test_durations_count_back_from_now(void **unused)
{
        assert_true(parsed("24h") == NOW - 86400);
        assert_true(parsed("1h30m") == NOW - 5400);
        assert_true(parsed("90s") == NOW - 90);
        assert_true(parsed("1.5h") == NOW - 5400);
        assert_true(parsed("1500ms") == NOW - 1.5);
        assert_true(parsed("10m5s") == NOW - 605);
        refused("10x");
        refused("h");
        refused("1e3s");
        refused("0x10h");
        refused("-1h");
        refused("");
}

static void test_unix_seconds_and_dates(void **unused)
{
        double created;
        json_t *v;

        assert_true(parsed("1700000000") == 1700000000.0);
        assert_true(parsed("1700000000.5") == 1700000000.5);
        assert_true(parsed("2025-12-02T13:40:13Z") == (double)NOW);
        assert_true(parsed("2025-12-02T14:40:13+01:00") == (double)NOW);
        assert_true(parsed("2025-12-02T13:40:13") == (double)NOW);
        assert_true(parsed("2025-12-02") == (double)(NOW - 13 * 3600 - 40 * 60 - 13));
        refused("1.2.3");
        refused("2025-13-02");
        refused("2025-12-02T25:00:00Z");
        refused("2025-12-02T13:40:13+1");
        refused("2025-12-02 13:40:13");
        /* list elements: containers' integers, networks' RFC 3339 with nanoseconds */
        v = json_integer(1700000000);
        assert_int_equal(enginetime_created(v, &created), 0);
        assert_true(created == 1700000000.0);
        json_decref(v);
        v = json_string("2025-12-02T13:40:13.250000000Z");
        assert_int_equal(enginetime_created(v, &created), 0);
        assert_true(created == NOW + 0.25);
        json_decref(v);
        v = json_string("yesterday");
        assert_int_equal(enginetime_created(v, &created), -1);
        json_decref(v);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_durations_count_back_from_now),
            cmocka_unit_test(test_unix_seconds_and_dates),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
