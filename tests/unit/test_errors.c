/* test_errors.c - error names are PROTOCOL.md section 4's, and so is retryability. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "errors.h"

static void test_names_and_retryable(void **state)
{
        static const struct {
                enum dg_err e;
                const char *name;
                bool retry;
        } t[] = {
            {DG_PROTOCOL_ERROR, "PROTOCOL_ERROR", false},
            {DG_INVALID_INPUT, "INVALID_INPUT", false},
            {DG_UNAUTHENTICATED, "UNAUTHENTICATED", false},
            {DG_FORBIDDEN, "FORBIDDEN", false},
            {DG_NOT_FOUND, "NOT_FOUND", false},
            {DG_CONFLICT, "CONFLICT", false},
            {DG_QUOTA_EXCEEDED, "QUOTA_EXCEEDED", false},
            {DG_RATE_LIMITED, "RATE_LIMITED", true},
            {DG_UNAVAILABLE, "UNAVAILABLE", true},
            {DG_TIMEOUT, "TIMEOUT", true},
            {DG_DOCKER_ERROR, "DOCKER_ERROR", false},
            {DG_ABORTED, "ABORTED", false},
            {DG_INTERNAL, "INTERNAL", false},
        };
        size_t i;

        (void)state;
        assert_int_equal(sizeof(t) / sizeof(t[0]), DG_ERR_COUNT - 1);
        for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                assert_string_equal(dg_err_name(t[i].e), t[i].name);
                assert_int_equal(dg_err_parse(t[i].name), t[i].e);
                assert_int_equal(dg_err_retryable(t[i].e), t[i].retry);
        }
        assert_string_equal(dg_err_name(DG_OK), "OK");
        assert_false(dg_err_retryable(DG_OK));
        assert_null(dg_err_name(DG_ERR_COUNT));
        assert_null(dg_err_name((enum dg_err) - 1));
        assert_false(dg_err_retryable(DG_ERR_COUNT));
}

static void test_parse_rejects(void **state)
{
        (void)state;
        assert_int_equal(dg_err_parse("OK"), -1);
        assert_int_equal(dg_err_parse("not_found"), -1);
        assert_int_equal(dg_err_parse("NOT_FOUND "), -1);
        assert_int_equal(dg_err_parse(""), -1);
        assert_int_equal(dg_err_parse(NULL), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_names_and_retryable),
            cmocka_unit_test(test_parse_rejects),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
