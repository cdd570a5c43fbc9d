/*
 * test_sv_imageown.c - whose an image is (supervisor/imageown.c): another
 * peer's namespace in every spelling the engine reads, owner labels, names
 * hidden from lists, references the engine could read as IDs, admins.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "broker.h"
#include "imageown.h"
#include "policy.h"

static const char *const ptext = "{\"peers\": {"
                                 "\"alpha\": {\"uids\": [1001], \"images\": [\"*\"]},"
                                 "\"beta\": {\"uids\": [1002], \"images\": [\"*\"]},"
                                 "\"root\": {\"uids\": [0], \"admin\": true}}}";

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

static struct call as(const char *name)
{
        struct call c;

        memset(&c, 0, sizeof(c));
        c.policy = pol;
        c.peer = policy_by_name(pol, name);
        assert_non_null(c.peer);
        return c;
}

static void references(void **state)
{
        struct call a = as("alpha"), r = as("root");

        (void)state;
        assert_true(image_ref_foreign(&a, "beta/app"));
        assert_true(image_ref_foreign(&a, "beta/app:1"));
        assert_true(image_ref_foreign(&a, "docker.io/beta/app"));
        assert_true(image_ref_foreign(&a, "index.docker.io/beta/app@sha256:00"));
        assert_false(image_ref_foreign(&a, "alpha/app"));
        assert_false(image_ref_foreign(&a, "dgtest:latest"));
        assert_false(image_ref_foreign(&a, "betamax/app"));             /* not a peer's name */
        assert_false(image_ref_foreign(&a, "registry.local/beta/app")); /* a registry's */
        assert_false(image_ref_foreign(&r, "beta/app"));                /* admins see all */
        assert_true(image_ref_own(&a, "alpha/app"));
        assert_true(image_ref_own(&a, "docker.io/alpha/app"));
        assert_false(image_ref_own(&a, "alphabet/app"));
        assert_true(policy_image_own(a.peer, "alpha/x"));
        assert_false(policy_image_own(a.peer, "beta/x"));
}

static void ids(void **state)
{
        (void)state;
        assert_true(image_ref_may_be_id("sha256:abc123"));
        assert_true(image_ref_may_be_id("abc123"));
        assert_true(image_ref_may_be_id("cafe")); /* a name the engine also tries as an ID */
        assert_false(image_ref_may_be_id("dgtest"));
        assert_false(image_ref_may_be_id("abc:1"));
        assert_false(image_ref_may_be_id(""));
        assert_false(image_ref_may_be_id(NULL));
}

/* A bare name is tried in the peer's own namespace first; nothing else is. */
static void own_first(void **state)
{
        struct call a = as("alpha"), r = as("root");
        char out[600], longref[520];

        (void)state;
        assert_true(image_own_candidate(&a, "app", out, sizeof(out)));
        assert_string_equal(out, "alpha/app");
        assert_true(image_own_candidate(&a, "bfc_web:1.0", out, sizeof(out)));
        assert_string_equal(out, "alpha/bfc_web:1.0");
        assert_true(image_own_candidate(
            &a,
            "dgtest@sha256:"
            "0000000000000000000000000000000000000000000000000000000000000000",
            out, sizeof(out)));
        assert_false(image_own_candidate(&a, "alpha/app", out, sizeof(out))); /* own already */
        assert_false(image_own_candidate(&a, "beta/app", out, sizeof(out)));  /* another's */
        assert_false(
            image_own_candidate(&a, "library/app", out, sizeof(out))); /* a namespace */
        assert_false(image_own_candidate(&a, "docker.io/app", out, sizeof(out)));
        assert_false(image_own_candidate(&a, "registry.local/app", out, sizeof(out)));
        assert_false(image_own_candidate(&a, "sha256:abc123", out, sizeof(out))); /* an ID */
        assert_false(image_own_candidate(&a, "a b", out, sizeof(out))); /* not a reference */
        assert_false(image_own_candidate(&a, NULL, out, sizeof(out)));
        assert_false(image_own_candidate(&r, "app", out, sizeof(out))); /* admins: as given */
        assert_false(image_own_candidate(&a, "app", out, 9));           /* no room */
        memset(longref, 'a', 510);
        longref[510] = '\0';
        assert_false(image_own_candidate(&a, longref, out, sizeof(out))); /* over 512 with it */
}

static void documents_and_lists(void **state)
{
        struct call a = as("alpha"), b = as("beta"), r = as("root");
        json_t *built = json_loads("{\"Id\": \"sha256:1\", \"RepoTags\": [\"beta/app:1\"],"
                                   " \"Config\": {\"Labels\": {\"dockgate.owner\": \"beta\"}}}",
                                   0, NULL);
        json_t *tagged = json_loads("{\"RepoTags\": [\"dgtest:latest\", \"beta/copy:1\"],"
                                    " \"RepoDigests\": [\"beta/copy@sha256:2\"],"
                                    " \"Labels\": null}",
                                    0, NULL);
        json_t *only = json_loads("{\"RepoTags\": [\"beta/copy:1\"], \"Labels\": {}}", 0, NULL);
        json_t *list =
            json_pack("[O,O,O,{s:[s]}]", built, tagged, only, "RepoTags", "dgtest:2");

        (void)state;
        assert_true(image_doc_foreign(&a, built));
        assert_false(image_doc_foreign(&b, built));
        assert_false(image_doc_foreign(&r, built));
        assert_false(image_doc_foreign(&a, tagged)); /* a shared image, one of beta's names */
        assert_true(image_doc_shared_names(&a, tagged));
        assert_true(image_doc_foreign(&a, only)); /* every name is beta's */
        image_list_own(&a, list);
        assert_int_equal(json_array_size(list), 2);
        /* tagged is kept, without beta's names */
        assert_int_equal(json_array_size(json_object_get(json_array_get(list, 0), "RepoTags")),
                         1);
        assert_string_equal(json_string_value(json_array_get(
                                json_object_get(json_array_get(list, 0), "RepoTags"), 0)),
                            "dgtest:latest");
        assert_int_equal(
            json_array_size(json_object_get(json_array_get(list, 0), "RepoDigests")), 0);
        json_decref(built);
        json_decref(tagged);
        json_decref(only);
        json_decref(list);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(references),
            cmocka_unit_test(ids),
            cmocka_unit_test(own_first),
            cmocka_unit_test(documents_and_lists),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
