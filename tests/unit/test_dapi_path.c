/*
 * test_dapi_path.c - the API version prefix of a Docker-API request target
 * (worker/dapi_path.c): the versions the front speaks are taken off the
 * path; others answer with the engine's wording; a prefix that is not
 * "/v1.<digits>" (a number too long for any integer, a sign, an empty part)
 * is a malformed version, never a wrapped-around number.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dapi_path.h"

static int status;
static char err[256];

static int parse(const char *url, struct dpath *p)
{
        status = 0;
        err[0] = '\0';
        return dpath_parse(url, p, &status, err, sizeof(err));
}

static void refused(const char *url, int want_status, const char *want)
{
        struct dpath p;

        if (parse(url, &p) == 0) {
                dpath_clear(&p);
                fail_msg("accepted: %s", url);
        }
        assert_int_equal(status, want_status);
        if (strstr(err, want) == NULL)
                fail_msg("%s: \"%s\" lacks \"%s\"", url, err, want);
}

static void test_a_spoken_version_is_taken_off(void **unused)
{
        struct dpath p;

        assert_int_equal(parse("/v1.41/containers/json?all=1", &p), 0);
        assert_int_equal(p.api_minor, 41);
        assert_string_equal(p.path, "/containers/json");
        dpath_clear(&p);
        assert_int_equal(parse("/v1.12/_ping", &p), 0);
        assert_int_equal(p.api_minor, 12);
        dpath_clear(&p);
        assert_int_equal(parse("/v01.024/version", &p), 0); /* leading zeros, as the engine */
        assert_int_equal(p.api_minor, 24);
        dpath_clear(&p);
        assert_int_equal(parse("/containers/json", &p), 0);
        assert_int_equal(p.api_minor, DPATH_API_MAX);
        dpath_clear(&p);
}

static void test_other_versions_answer_in_the_engines_words(void **unused)
{
        refused("/v1.44/containers/json", 400,
                "client version 1.44 is too new. Maximum supported API version is 1.41");
        refused("/v1.0123/containers/json", 400, "client version 1.123 is too new");
        refused("/v1.11/containers/json", 400,
                "client version 1.11 is too old. Minimum supported API version is 1.12");
}

static void test_a_malformed_version_is_never_a_wrapped_number(void **unused)
{
        /* larger than any unsigned: sscanf's %u had no defined answer */
        refused("/v99999999999.1/containers/json", 400, "malformed API version");
        refused("/v4294967297.41/containers/json", 400, "malformed API version");
        refused("/v1.4294967337/containers/json", 400, "malformed API version");
        refused("/v1.99999999999999999999/containers/json", 400, "malformed API version");
        refused("/v1.1000/containers/json", 400, "malformed API version");
        /* a sign, where %u took "-5" as 4294967291 */
        refused("/v1.-5/containers/json", 400, "malformed API version");
        refused("/v1.+41/containers/json", 400, "a character no route takes");
        refused("/v2.41/containers/json", 400, "malformed API version");
        refused("/v1./containers/json", 400, "malformed API version");
        refused("/v1/containers/json", 400, "malformed API version");
        refused("/v1.41x/containers/json", 400, "malformed API version");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_a_spoken_version_is_taken_off),
            cmocka_unit_test(test_other_versions_answer_in_the_engines_words),
            cmocka_unit_test(test_a_malformed_version_is_never_a_wrapped_number),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
