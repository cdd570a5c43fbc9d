/*
 * test_sv_build_images.c - the images a build may use
 * (supervisor/build_images.c): what the peer's allowlist admits, what a
 * worker's malformed report gets, and how the engine's presence answer is
 * judged (absent is refused: a build never pulls).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "build_images.h"
#include "policy.h"

static const char *const ptext =
    "{\"peers\": {\"alpha\": {\"uids\": [1001],"
    " \"images\": [\"dgtest:*\", \"registry.local/base/*:1.*\"]}}}";

static struct policy *pol;

static int setup(void **state)
{
        struct policy_report r;
        json_t *root = json_loads(ptext, 0, NULL);

        (void)state;
        assert_non_null(root);
        memset(&r, 0, sizeof(r));
        pol = policy_parse(root, &r);
        json_decref(root);
        if (pol == NULL)
                fail_msg("test policy refused: %s", r.text);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        policy_unref(pol);
        return 0;
}

/* Checks the report given as JSON text; returns the result, err filled. */
static int check(const char *report, struct build_images_error *err)
{
        json_t *images = json_loads(report, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        int rc;

        assert_non_null(images);
        memset(err, 0, sizeof(*err));
        rc = build_images_check(&pol->peers[0], images, err);
        json_decref(images);
        return rc;
}

static void allowed_images_pass(void **state)
{
        struct build_images_error e;

        (void)state;
        assert_int_equal(check("[]", &e), 0);
        /* No tag is :latest, as for create; dgtest:* admits it. */
        assert_int_equal(check("[{\"ref\": \"dgtest\", \"line\": 1}]", &e), 0);
        assert_int_equal(check("[{\"ref\": \"dgtest:latest\", \"line\": 1},"
                               " {\"ref\": \"registry.local/base/py:1.2\", \"line\": 7}]",
                               &e),
                         0);
}

static void disallowed_image_is_forbidden_with_its_line(void **state)
{
        struct build_images_error e;

        (void)state;
        assert_int_equal(check("[{\"ref\": \"dgtest:1\", \"line\": 1},"
                               " {\"ref\": \"alpine:3.19\", \"line\": 4}]",
                               &e),
                         -1);
        assert_int_equal(e.code, DG_FORBIDDEN);
        assert_non_null(strstr(e.text, "line 4"));
        assert_non_null(strstr(e.text, "alpine:3.19"));
        /* The pattern's tag part is enforced: 2.0 is not 1.*. */
        assert_int_equal(check("[{\"ref\": \"registry.local/base/py:2.0\", \"line\": 2}]", &e),
                         -1);
        assert_int_equal(e.code, DG_FORBIDDEN);
        /* A digest is not a tag the pattern admits. */
        assert_int_equal(
            check("[{\"ref\": \"registry.local/base/py@sha256:00\", \"line\": 2}]", &e), -1);
        assert_int_equal(e.code, DG_FORBIDDEN);
}

static void malformed_reports_are_invalid(void **state)
{
        static const char *const bad[] = {
            "{}",
            "[\"dgtest\"]",
            "[{\"ref\": \"dgtest\"}]",
            "[{\"ref\": \"dgtest\", \"line\": 0}]",
            "[{\"ref\": \"dgtest\", \"line\": 1000001}]",
            "[{\"ref\": \"dgtest\", \"line\": \"1\"}]",
            "[{\"ref\": \"dgtest\", \"line\": 1, \"pull\": true}]",
            "[{\"ref\": 5, \"line\": 1}]",
            "[{\"ref\": \"\", \"line\": 1}]",
            "[{\"ref\": \"../dgtest\", \"line\": 1}]",
            "[{\"ref\": \"dgtest/\", \"line\": 1}]",
            "[{\"ref\": \"dgtest?x=1\", \"line\": 1}]",
            /* dgtest:* would admit the prefix; the NUL must not hide the rest. */
            "[{\"ref\": \"dgtest:1\\u0000/../../x\", \"line\": 1}]",
        };
        struct build_images_error e;

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (check(bad[i], &e) != -1 || e.code != DG_INVALID_INPUT)
                        fail_msg("accepted or wrong code: %s", bad[i]);
        }
}

static void too_many_images_are_invalid(void **state)
{
        json_t *a = json_array();
        struct build_images_error e;

        (void)state;
        for (int i = 0; i <= BUILD_IMAGES_MAX; i++)
                json_array_append_new(a, json_pack("{s:s,s:i}", "ref", "dgtest", "line", 1));
        assert_int_equal(build_images_check(&pol->peers[0], a, &e), -1);
        assert_int_equal(e.code, DG_INVALID_INPUT);
        json_array_remove(a, 0);
        assert_int_equal(build_images_check(&pol->peers[0], a, &e), 0);
        json_decref(a);
}

static void presence_is_judged_from_the_engine_status(void **state)
{
        struct build_images_error e;

        (void)state;
        assert_int_equal(build_image_present(200, "dgtest:latest", 1, &e), 0);
        memset(&e, 0, sizeof(e));
        assert_int_equal(build_image_present(404, "dgtest:gone", 3, &e), -1);
        assert_int_equal(e.code, DG_NOT_FOUND);
        assert_non_null(strstr(e.text, "line 3"));
        assert_non_null(strstr(e.text, "dgtest:gone"));
        assert_non_null(strstr(e.text, "pull it first"));
        assert_int_equal(build_image_present(0, "dgtest", 1, &e), -1);
        assert_int_equal(e.code, DG_UNAVAILABLE);
        assert_int_equal(build_image_present(500, "dgtest", 1, &e), -1);
        assert_int_equal(e.code, DG_DOCKER_ERROR);
        /* Anything but 200 is not "present", a redirect or 304 included. */
        assert_int_equal(build_image_present(304, "dgtest", 1, &e), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(allowed_images_pass),
            cmocka_unit_test(disallowed_image_is_forbidden_with_its_line),
            cmocka_unit_test(malformed_reports_are_invalid),
            cmocka_unit_test(too_many_images_are_invalid),
            cmocka_unit_test(presence_is_judged_from_the_engine_status),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
