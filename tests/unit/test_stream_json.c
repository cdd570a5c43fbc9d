/*
 * test_stream_json.c - worker/stream_json.c: engine JSON lines reassembled
 * across any split of the body, each object handed on once, in order.
 * (The refusals end the call, which needs a live session: they are proved
 * by the integration tests.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stream_json.h"

static json_t *seen; /* the objects handed on, in order */

static int collect(struct stream *st, json_t *obj)
{
        (void)st;
        json_array_append(seen, obj);
        return 0;
}

static const char BODY[] = "{\"status\":\"Pulling\",\"id\":\"a\"}\r\n"
                           "\n"
                           "  \r\n"
                           "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1,"
                           "\"total\":2}}\n"
                           "{\"n\":18446744073709551615}\n"
                           "{\"last\":true}"; /* no newline at the end */

static void run(size_t step, size_t flags)
{
        struct stream st;
        struct stream_json j;
        size_t off, n, len = strlen(BODY);

        memset(&st, 0, sizeof(st));
        seen = json_array();
        stream_json_init(&j, &st, collect, flags);
        assert_int_equal(stream_json_head(&j, 200), 0);
        for (off = 0; off < len; off += n) {
                n = len - off < step ? len - off : step;
                assert_int_equal(stream_json_body(&j, BODY + off, n), 0);
        }
        assert_int_equal(stream_json_done(&j), 0);
        stream_json_clear(&j);
}

static void test_every_split(void **state)
{
        size_t step;

        (void)state;
        for (step = 1; step <= strlen(BODY); step++) {
                run(step, JSON_DECODE_INT_AS_REAL);
                assert_int_equal(json_array_size(seen), 4);
                assert_string_equal(
                    json_string_value(json_object_get(json_array_get(seen, 0), "id")), "a");
                assert_true(json_is_real(json_object_get(
                    json_object_get(json_array_get(seen, 1), "progressDetail"), "total")));
                assert_true(json_number_value(json_object_get(json_array_get(seen, 2), "n")) >
                            1.8e19);
                assert_true(json_is_true(json_object_get(json_array_get(seen, 3), "last")));
                json_decref(seen);
        }
}

static void test_integers_kept(void **state)
{
        (void)state;
        /* Without INT_AS_REAL an integer past int64 is refused by jansson: the kinds
         * that can meet one (stats) decode as reals; the others keep exact integers. */
        seen = json_array();
        {
                struct stream st;
                struct stream_json j;
                static const char two[] = "{\"t\":1795684980418457860}\n{\"u\":2}\n";

                memset(&st, 0, sizeof(st));
                stream_json_init(&j, &st, collect, 0);
                assert_int_equal(stream_json_body(&j, two, strlen(two)), 0);
                assert_int_equal(stream_json_done(&j), 0);
                stream_json_clear(&j);
        }
        assert_int_equal(json_array_size(seen), 2);
        assert_true(json_integer_value(json_object_get(json_array_get(seen, 0), "t")) ==
                    1795684980418457860LL);
        json_decref(seen);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_every_split),
            cmocka_unit_test(test_integers_kept),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
