/*
 * test_sv_resolve.c - how a peer's reference is read (supervisor/resolve.c):
 * a full ID first and alone, then a name in the caller's own namespace,
 * then an ID prefix among the caller's own resources (an admin: the
 * engine's own reading instead); an ambiguous prefix finds nothing; another
 * tenant's names, IDs and labels never match.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "resolve.h"

#define OWNER "dockgate.owner"
#define ID_A1 "abc1000000000000000000000000000000000000000000000000000000000000"
#define ID_A2 "abc2000000000000000000000000000000000000000000000000000000000000"
#define ID_B1 "abd1000000000000000000000000000000000000000000000000000000000000"

static const struct resolve_who alpha = {"alpha", OWNER, 0}, beta = {"beta", OWNER, 0},
                                root = {"root", OWNER, 1};

/* An inspect document of a container: its ID, engine-side name and owner. */
static json_t *container(const char *id, const char *name, const char *owner)
{
        json_t *d = json_pack("{s:s,s:s,s:{s:{}}}", "Id", id, "Name", name, "Config", "Labels");

        if (owner != NULL)
                json_object_set_new(json_object_get(json_object_get(d, "Config"), "Labels"),
                                    OWNER, json_string(owner));
        return d;
}

/* The steps tried for ref by who, in order, until one is RESOLVE_NONE. */
static void order(enum resolve_kind_id kind, const char *ref, int admin, const int *want,
                  size_t n)
{
        int step = resolve_first(kind, ref);

        for (size_t i = 0; i < n; i++) {
                assert_int_equal(step, want[i]);
                step = resolve_next(kind, ref, admin, step);
        }
        assert_int_equal(step, RESOLVE_NONE);
}

static void test_the_order_in_which_a_reference_is_read(void **unused)
{
        const int id[] = {RESOLVE_ID}, name_prefix[] = {RESOLVE_NAME, RESOLVE_PREFIX},
                  name[] = {RESOLVE_NAME}, admin[] = {RESOLVE_NAME, RESOLVE_ENGINE};

        /* a full ID is nothing else (engine-side names all hold a '.') */
        order(RESOLVE_CONTAINER, ID_A1, 0, id, 1);
        order(RESOLVE_NETWORK, ID_A1, 0, id, 1);
        order(RESOLVE_CONTAINER, ID_A1, 1, id, 1);
        /* hex digits: a name first, then a prefix of the caller's own */
        order(RESOLVE_CONTAINER, "abc", 0, name_prefix, 2);
        order(RESOLVE_NETWORK, "abc", 0, name_prefix, 2);
        /* not hex: a name only */
        order(RESOLVE_CONTAINER, "web", 0, name, 1);
        order(RESOLVE_CONTAINER, "ABC", 0, name, 1);
        /* volumes are named, never prefixed; 64 hex digits are a name too */
        order(RESOLVE_VOLUME, "abc", 0, name, 1);
        order(RESOLVE_VOLUME, ID_A1, 0, name, 1);
        /* an admin: its own name, then the engine's reading over everything */
        order(RESOLVE_CONTAINER, "abc", 1, admin, 2);
        order(RESOLVE_CONTAINER, "beta.web", 1, admin, 2);
        /* not a reference at all: nothing is asked */
        assert_int_equal(resolve_first(RESOLVE_CONTAINER, ""), RESOLVE_NONE);
        assert_int_equal(resolve_first(RESOLVE_CONTAINER, ".."), RESOLVE_NONE);
        assert_int_equal(resolve_first(RESOLVE_CONTAINER, "a/b"), RESOLVE_NONE);
        assert_int_equal(resolve_first(RESOLVE_CONTAINER, "-x"), RESOLVE_NONE);
}

static void test_a_name_is_the_callers_own(void **unused)
{
        json_t *mine = container(ID_A1, "/alpha.web", "alpha"),
               *theirs = container(ID_B1, "/beta.web", "beta"),
               /* a name that looks like alpha's on a resource beta owns */
                   *planted = container(ID_B1, "/alpha.web", "beta"),
               *unlabelled = container(ID_A1, "/alpha.web", NULL);

        assert_int_equal(resolve_accepts(RESOLVE_CONTAINER, RESOLVE_NAME, "web", &alpha, mine),
                         1);
        assert_int_equal(resolve_accepts(RESOLVE_CONTAINER, RESOLVE_NAME, "web", &beta, theirs),
                         1);
        /* beta's "web" is never alpha's, whatever the engine answered */
        assert_int_equal(
            resolve_accepts(RESOLVE_CONTAINER, RESOLVE_NAME, "web", &alpha, theirs), 0);
        assert_int_equal(resolve_accepts(RESOLVE_CONTAINER, RESOLVE_NAME, "web", &beta, mine),
                         0);
        assert_int_equal(
            resolve_accepts(RESOLVE_CONTAINER, RESOLVE_NAME, "web", &alpha, planted), 0);
        assert_int_equal(
            resolve_accepts(RESOLVE_CONTAINER, RESOLVE_NAME, "web", &alpha, unlabelled), 0);
        /* the namespaced name spelled out is another name ("alpha.alpha.web") */
        assert_int_equal(
            resolve_accepts(RESOLVE_CONTAINER, RESOLVE_NAME, "alpha.web", &alpha, mine), 0);
        /* an admin's engine reading takes anyone's, by name or ID */
        assert_int_equal(
            resolve_accepts(RESOLVE_CONTAINER, RESOLVE_ENGINE, "beta.web", &root, theirs), 1);
        json_decref(mine);
        json_decref(theirs);
        json_decref(planted);
        json_decref(unlabelled);
}

static void test_a_full_id_is_exactly_that_resource(void **unused)
{
        json_t *mine = container(ID_A1, "/alpha.web", "alpha"),
               *theirs = container(ID_B1, "/beta.web", "beta"),
               *bad = container("abc", "/alpha.web", "alpha");

        assert_int_equal(resolve_accepts(RESOLVE_CONTAINER, RESOLVE_ID, ID_A1, &alpha, mine),
                         1);
        assert_int_equal(resolve_accepts(RESOLVE_CONTAINER, RESOLVE_ID, ID_B1, &alpha, theirs),
                         0);
        /* the engine answered for another ID than the one asked */
        assert_int_equal(resolve_accepts(RESOLVE_CONTAINER, RESOLVE_ID, ID_A2, &alpha, mine),
                         0);
        /* an engine document without a valid ID */
        assert_int_equal(resolve_accepts(RESOLVE_CONTAINER, RESOLVE_ID, ID_A1, &alpha, bad),
                         -1);
        json_decref(mine);
        json_decref(theirs);
        json_decref(bad);
}

static void test_a_prefix_is_matched_among_the_callers_own(void **unused)
{
        json_t *list = json_pack("[{s:s,s:{s:s}},{s:s,s:{s:s}},{s:s,s:{s:s}}]", "Id", ID_A1,
                                 "Labels", OWNER, "alpha", "Id", ID_A2, "Labels", OWNER,
                                 "alpha", "Id", ID_B1, "Labels", OWNER, "beta");
        const char *m;

        assert_non_null(list);
        assert_non_null(m = resolve_pick("abc1", &alpha, list));
        assert_string_equal(m, ID_A1);
        /* two of alpha's: ambiguous, nothing */
        assert_null(resolve_pick("abc", &alpha, list));
        /* beta's ID never makes alpha's prefix ambiguous ("ab": A1, A2 and B1)... */
        assert_null(resolve_pick("abd", &alpha, list));
        /* ...and beta's "ab" is beta's one */
        assert_non_null(m = resolve_pick("ab", &beta, list));
        assert_string_equal(m, ID_B1);
        assert_null(resolve_pick("abe", &alpha, list));
        json_decref(list);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_the_order_in_which_a_reference_is_read),
            cmocka_unit_test(test_a_name_is_the_callers_own),
            cmocka_unit_test(test_a_full_id_is_exactly_that_resource),
            cmocka_unit_test(test_a_prefix_is_matched_among_the_callers_own),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
