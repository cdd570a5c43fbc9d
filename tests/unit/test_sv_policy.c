/*
 * test_sv_policy.c - settling a policy (supervisor/policy.c): what each peer
 * gets when the file says little (the built-in defaults of docs/policy.md and
 * contrib/README.md), how a peer's container.defaults, container.ceilings and
 * the flat shorthand override them, and the files refused, each with the
 * message --check-policy shows, located in the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

#define MIB (1LL << 20)
#define GIB (1LL << 30)

static struct policy_report report;

/* The policy of the JSON text, or NULL with the report in `report`. */
static struct policy *parse(const char *text)
{
        json_error_t jerr;
        json_t *root = json_loads(text, 0, &jerr);
        struct policy *p;

        assert_non_null(root);
        memset(&report, 0, sizeof(report));
        p = policy_parse(root, &report);
        json_decref(root);
        return p;
}

/* The one peer of a policy that must load. */
static const struct peer_policy *peer(struct policy *p, const char *name)
{
        const struct peer_policy *pp;

        if (p == NULL)
                fail_msg("refused: %s", report.text);
        pp = policy_by_name(p, name);
        assert_non_null(pp);
        return pp;
}

/* The text must be refused, with want in the report. */
static void refused(const char *text, const char *want)
{
        struct policy *p = parse(text);

        if (p != NULL) {
                policy_free(p);
                fail_msg("accepted: %s", text);
        }
        assert_true(report.errors > 0);
        if (strstr(report.text, want) == NULL)
                fail_msg("report lacks \"%s\":\n%s", want, report.text);
}

static void test_a_peer_that_says_nothing_gets_the_builtin_defaults(void **unused)
{
        struct policy *p = parse("{\"peers\": {\"alpha\": {\"uids\": [1001]}}}");
        const struct peer_policy *pp = peer(p, "alpha");

        assert_string_equal(p->owner_label, "dockgate.owner");
        assert_int_equal(pp->defaults.memory_bytes, 512 * MIB);
        assert_int_equal(pp->defaults.nano_cpus, 1000000000);
        assert_int_equal(pp->defaults.pids_limit, 256);
        /* Ceilings default to the defaults. */
        assert_memory_equal(&pp->ceilings, &pp->defaults, sizeof(pp->ceilings));
        assert_string_equal(pp->network, "none");
        assert_int_equal(pp->quotas.containers, 256);
        assert_int_equal(pp->quotas.memory_bytes, 0);
        assert_int_equal(pp->quotas.nano_cpus, 0);
        assert_int_equal(pp->quotas.streams, 1024);
        assert_int_equal(pp->quotas.calls_per_second, 1000);
        assert_int_equal(pp->quotas.burst, 2000);
        assert_false(pp->admin);
        /* An ordinary tenant's operations, not an admin's. */
        assert_true(policy_allows(pp, "docker/container/create"));
        assert_true(policy_allows(pp, "docker/image/pull"));
        assert_false(policy_allows(pp, "docker/image/remove"));
        assert_true(policy_image_allowed(pp, "anything", NULL));
        assert_int_equal(pp->ncaps, 0);
        assert_int_equal(report.errors, 0);
        policy_free(p);
}

static void test_a_peers_own_settings_override_the_builtin_ones(void **unused)
{
        struct policy *p =
            parse("{\"ownerLabel\": \"acme.owner\", \"peers\": {"
                  "\"alpha\": {\"uids\": [1001], \"container\": {"
                  "  \"defaults\": {\"memoryBytes\": \"1GiB\", \"pidsLimit\": 100,"
                  "                \"network\": \"bridge\"},"
                  "  \"ceilings\": {\"memoryBytes\": \"4GiB\"},"
                  "  \"networks\": [\"bridge\"]},"
                  " \"quotas\": {\"callsPerSecond\": 10, \"containers\": 5}},"
                  "\"beta\": {\"uids\": [1002], \"container\": {"
                  "  \"ceilings\": {\"memoryBytes\": \"256MiB\","
                  "                \"nanoCpus\": 2000000000}}},"
                  "\"gamma\": {\"uids\": [1003], \"memoryBytes\": \"2GiB\"}}}");
        const struct peer_policy *a = peer(p, "alpha"), *b = peer(p, "beta"),
                                 *g = peer(p, "gamma");

        assert_string_equal(p->owner_label, "acme.owner");
        /* alpha: its defaults, its ceiling; what it left out is the built-in one. */
        assert_int_equal(a->defaults.memory_bytes, 1 * GIB);
        assert_int_equal(a->ceilings.memory_bytes, 4 * GIB);
        assert_int_equal(a->defaults.pids_limit, 100);
        assert_int_equal(a->ceilings.pids_limit, 100); /* no ceiling: the default */
        assert_int_equal(a->defaults.nano_cpus, 1000000000);
        assert_string_equal(a->network, "bridge");
        assert_int_equal(a->quotas.containers, 5);
        assert_int_equal(a->quotas.burst, 20); /* twice its own rate */
        assert_int_equal(a->quotas.streams, 1024);
        /* beta: a ceiling below the built-in default pulls the default down to it... */
        assert_int_equal(b->ceilings.memory_bytes, 256 * MIB);
        assert_int_equal(b->defaults.memory_bytes, 256 * MIB);
        /* ...one above it leaves the default where it was. */
        assert_int_equal(b->ceilings.nano_cpus, 2000000000);
        assert_int_equal(b->defaults.nano_cpus, 1000000000);
        /* gamma: the flat shorthand is the default and the ceiling at once. */
        assert_int_equal(g->defaults.memory_bytes, 2 * GIB);
        assert_int_equal(g->ceilings.memory_bytes, 2 * GIB);
        /* One peer's settings never leak into another's. */
        assert_int_equal(b->quotas.containers, 256);
        assert_string_equal(b->network, "none");
        policy_free(p);
}

static void test_a_burst_alone_is_a_warning_not_an_error(void **unused)
{
        struct policy *p = parse("{\"peers\": {\"alpha\": {\"uids\": [1001], \"quotas\": "
                                 "{\"callsPerSecond\": null, \"burst\": 5}}}}");
        const struct peer_policy *pp = peer(p, "alpha");

        assert_int_equal(pp->quotas.calls_per_second, 0);
        assert_int_equal(report.errors, 0);
        assert_int_equal(report.warnings, 1);
        assert_non_null(strstr(report.text, "quotas.burst has no effect without "
                                            "quotas.callsPerSecond"));
        policy_free(p);
}

static void test_bad_files_are_refused_with_the_reason_and_the_place(void **unused)
{
        refused("[]", "the policy must be a JSON object");
        refused("{\"peers\": {}}", "peers: must be an object naming at least one peer");
        refused("{\"peers\": {\"alpha\": {\"uids\": [1001]}}, \"peer\": 1}", "peer");
        /* a default above its ceiling */
        refused("{\"peers\": {\"alpha\": {\"uids\": [1001], \"container\": {"
                "\"defaults\": {\"memoryBytes\": \"1GiB\"},"
                "\"ceilings\": {\"memoryBytes\": \"512MiB\"}}}}}",
                "container.defaults.memoryBytes (1 GiB) is above "
                "container.ceilings.memoryBytes (512 MiB): a default must be allowed");
        refused("{\"peers\": {\"alpha\": {\"uids\": [1001], \"container\": {"
                "\"defaults\": {\"pidsLimit\": 300}, \"ceilings\": {\"pidsLimit\": 200}}}}}",
                "container.defaults.pidsLimit (300) is above container.ceilings.pidsLimit "
                "(200)");
        /* the shorthand and the long form of one limit */
        refused("{\"peers\": {\"alpha\": {\"uids\": [1001], \"nanoCpus\": 2000000000, "
                "\"container\": {\"ceilings\": {\"nanoCpus\": 4000000000}}}}}",
                "nanoCpus is given both as nanoCpus");
        /* a limit outside its range, located in the file */
        refused("{\"peers\": {\"alpha\": {\"uids\": [1001], \"container\": {"
                "\"defaults\": {\"memoryBytes\": \"1MiB\"}}}}}",
                "peers.alpha.container.defaults.memoryBytes");
        refused("{\"peers\": {\"alpha\": {\"uids\": [1001], \"container\": {"
                "\"ceilings\": {\"pidsLimit\": 0}}}}}",
                "peers.alpha.container.ceilings.pidsLimit");
        /* a default network the peer may not join */
        refused("{\"peers\": {\"alpha\": {\"uids\": [1001], \"container\": {"
                "\"defaults\": {\"network\": \"bridge\"}}}}}",
                "container.defaults.network \"bridge\" is not in container.networks");
        /* an unknown key under ceilings (network is a default only) */
        refused("{\"peers\": {\"alpha\": {\"uids\": [1001], \"container\": {"
                "\"ceilings\": {\"network\": \"bridge\"}}}}}",
                "peers.alpha.container.ceilings.network");
        /* one uid names one peer */
        refused("{\"peers\": {\"alpha\": {\"uids\": [1001]}, \"beta\": {\"uids\": [1001]}}}",
                "1001");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_a_peer_that_says_nothing_gets_the_builtin_defaults),
            cmocka_unit_test(test_a_peers_own_settings_override_the_builtin_ones),
            cmocka_unit_test(test_a_burst_alone_is_a_warning_not_an_error),
            cmocka_unit_test(test_bad_files_are_refused_with_the_reason_and_the_place),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
