/*
 * test_sv_create_body.c - docker/container/create's body from input and
 * policy (supervisor/create_body.c): the confinement and limits always set,
 * the owner label stamped, and every refusal with its code and field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "create_body.h"
#include "policy.h"

/* A policy from JSON text, through the real parser. */
static struct policy *policy_of(const char *text)
{
        struct policy_report r;
        json_error_t je;
        json_t *root = json_loads(text, 0, &je);
        struct policy *p;

        if (root == NULL)
                fail_msg("bad test policy: %s", je.text);
        memset(&r, 0, sizeof(r));
        p = policy_parse(root, &r);
        json_decref(root);
        if (p == NULL)
                fail_msg("test policy refused: %s", r.text);
        return p;
}

static const char *const plain = "{\"peers\": {\"alpha\": {\"uids\": [1001]}}}";

/* Builds input (JSON text) for the first peer of policy text; returns build's result. */
static int build(const char *ptext, const char *input, struct create_plan *plan,
                 struct create_error *err)
{
        struct policy *p = policy_of(ptext);
        json_t *in = json_loads(input, 0, NULL);
        int rc;

        assert_non_null(in);
        rc = create_body_build(in, &p->peers[0], p->owner_label, plan, err);
        json_decref(in);
        policy_unref(p);
        return rc;
}

static json_t *hc_of(const struct create_plan *plan)
{
        return json_object_get(plan->body, "HostConfig");
}

static json_int_t int_at(json_t *obj, const char *key)
{
        json_t *v = json_object_get(obj, key);

        if (!json_is_integer(v))
                fail_msg("%s is not an integer", key);
        return json_integer_value(v);
}

/* Refused with code, and a message that holds want. */
static void refused(const char *ptext, const char *input, enum dg_err code, const char *want)
{
        struct create_plan plan;
        struct create_error err;

        if (build(ptext, input, &plan, &err) != -1)
                fail_msg("%s accepted", input);
        assert_null(plan.body);
        if (err.code != code)
                fail_msg("%s: code %d, wanted %d (%s)", input, err.code, code, err.text);
        if (strstr(err.text, want) == NULL)
                fail_msg("%s: \"%s\" lacks \"%s\"", input, err.text, want);
}

/* Inputs that one policy refuses, each with its code and a part of its message. */
struct refusal {
        const char *input;
        enum dg_err code;
        const char *want;
};

static void refused_each(const char *ptext, const struct refusal *r, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++)
                refused(ptext, r[i].input, r[i].code, r[i].want);
}

#define REFUSED_EACH(ptext, table)                                                             \
        refused_each((ptext), (table), sizeof(table) / sizeof((table)[0]))

/* The string at key, or a failure naming key. */
static const char *str_at(json_t *obj, const char *key)
{
        json_t *v = json_object_get(obj, key);

        if (!json_is_string(v))
                fail_msg("%s is not a string", key);
        return json_string_value(v);
}

/* The i-th alias the plan gives the container on network id. */
static const char *alias_at(const struct create_plan *plan, const char *id, size_t i)
{
        json_t *ep = json_object_get(
            json_object_get(json_object_get(plan->body, "NetworkingConfig"), "EndpointsConfig"),
            id);
        json_t *v = json_array_get(json_object_get(ep, "Aliases"), i);

        if (!json_is_string(v))
                fail_msg("no alias %zu on %s", i, id);
        return json_string_value(v);
}

static void test_confinement_and_defaults(void **state)
{
        struct create_plan plan;
        struct create_error err;
        json_t *hc, *labels;

        (void)state;
        assert_int_equal(
            build(plain, "{\"image\": \"alpine\", \"cmd\": [\"true\"]}", &plan, &err), 0);
        hc = hc_of(&plan);
        assert_string_equal(str_at(plan.body, "Image"), "alpine");
        assert_false(json_is_true(json_object_get(hc, "Privileged")));
        assert_string_equal(
            json_string_value(json_array_get(json_object_get(hc, "CapDrop"), 0)), "ALL");
        assert_string_equal(
            json_string_value(json_array_get(json_object_get(hc, "SecurityOpt"), 0)),
            "no-new-privileges");
        assert_string_equal(str_at(hc, "IpcMode"), "private");
        assert_int_equal(json_array_size(json_object_get(hc, "Devices")), 0);
        assert_string_equal(str_at(hc, "NetworkMode"), "none");
        /* the peer's defaults, no swap beyond memory, and the plan says the same */
        assert_int_equal(int_at(hc, "Memory"), 512LL << 20);
        assert_int_equal(int_at(hc, "MemorySwap"), int_at(hc, "Memory"));
        assert_int_equal(int_at(hc, "NanoCpus"), 1000000000LL);
        assert_int_equal(int_at(hc, "PidsLimit"), 256);
        assert_int_equal(plan.memory_bytes, 512LL << 20);
        assert_int_equal(plan.nano_cpus, 1000000000LL);
        /* logs keep their bytes */
        assert_string_equal(str_at(json_object_get(hc, "LogConfig"), "Type"), "local");
        /* owned, with the limits stamped for the quota */
        labels = json_object_get(plan.body, "Labels");
        assert_string_equal(str_at(labels, "dockgate.owner"), "alpha");
        assert_string_equal(str_at(labels, "dockgate.owner.memory"), "536870912");
        assert_null(json_object_get(hc, "Mounts"));
        assert_string_equal(plan.name, "");
        assert_string_equal(plan.network, "");
        create_body_clear(&plan);
}

static void test_inputs_copied_field_by_field(void **state)
{
        struct create_plan plan;
        struct create_error err;
        json_t *hc;

        (void)state;
        assert_int_equal(build(plain,
                               "{\"image\": \"alpine\", \"name\": \"web-1\", \"tty\": true,"
                               " \"env\": [\"A=1\"], \"user\": \"1000\","
                               " \"labels\": {\"app\": \"x\"}, \"limits\": {\"memoryBytes\": "
                               "67108864}, \"tmpfs\": {\"/tmp\": \"size=1m,noexec\"},"
                               " \"restartPolicy\": \"on-failure:3\"}",
                               &plan, &err),
                         0);
        hc = hc_of(&plan);
        assert_string_equal(plan.name, "web-1");
        assert_true(json_is_true(json_object_get(plan.body, "Tty")));
        assert_string_equal(
            json_string_value(json_array_get(json_object_get(plan.body, "Env"), 0)), "A=1");
        assert_string_equal(str_at(plan.body, "User"), "1000");
        assert_string_equal(str_at(json_object_get(plan.body, "Labels"), "app"), "x");
        assert_int_equal(int_at(hc, "Memory"), 67108864);
        assert_string_equal(str_at(json_object_get(hc, "Tmpfs"), "/tmp"), "size=1m,noexec");
        assert_int_equal(int_at(json_object_get(hc, "RestartPolicy"), "MaximumRetryCount"), 3);
        /* nothing else of the input reaches the body */
        assert_null(json_object_get(plan.body, "name"));
        assert_null(json_object_get(plan.body, "limits"));
        create_body_clear(&plan);
}

static void test_limits_within_ceilings(void **state)
{
        (void)state;
        refused(plain, "{\"image\": \"a\", \"limits\": {\"memoryBytes\": 1099511627776}}",
                DG_FORBIDDEN, "input.limits.memoryBytes: 1099511627776 is above");
        refused("{\"peers\": {\"alpha\": {\"uids\": [1], \"container\": {\"ceilings\": "
                "{\"pidsLimit\": 10}}}}}",
                "{\"image\": \"a\", \"limits\": {\"pidsLimit\": 11}}", DG_FORBIDDEN,
                "input.limits.pidsLimit");
        refused("{\"peers\": {\"alpha\": {\"uids\": [1], \"container\": "
                "{\"forceReadOnlyRootfs\": true}}}}",
                "{\"image\": \"a\", \"readOnlyRootfs\": false}", DG_FORBIDDEN,
                "input.readOnlyRootfs");
}

static void test_refusals(void **state)
{
        static const struct refusal refusals[] = {
            {"{\"image\": \"\"}", DG_INVALID_INPUT, "input.image: required"},
            {"{\"image\": \"a\", \"name\": \"-x\"}", DG_INVALID_INPUT, "input.name"},
            {"{\"image\": \"a\", \"name\": \"..\"}", DG_INVALID_INPUT, "input.name"},
            {"{\"image\": \"a\", \"env\": [\"NOEQUALS\"]}", DG_INVALID_INPUT, "input.env"},
            {"{\"image\": \"a\", \"env\": [\"=x\"]}", DG_INVALID_INPUT, "input.env"},
            {"{\"image\": \"a\", \"labels\": {\"dockgate.owner\": \"beta\"}}", DG_FORBIDDEN,
             "reserved"},
            {"{\"image\": \"a\", \"labels\": {\"dockgate.owner.memory\": \"1\"}}", DG_FORBIDDEN,
             "reserved"},
            {"{\"image\": \"a\", \"tmpfs\": {\"tmp\": \"\"}}", DG_INVALID_INPUT, "input.tmpfs"},
            {"{\"image\": \"a\", \"tmpfs\": {\"/a/../etc\": \"\"}}", DG_INVALID_INPUT,
             "input.tmpfs"},
            {"{\"image\": \"a\", \"tmpfs\": {\"/t\": \"suid\"}}", DG_FORBIDDEN, "input.tmpfs"},
            {"{\"image\": \"a\", \"restartPolicy\": \"always:3\"}", DG_INVALID_INPUT,
             "input.restartPolicy"},
            {"{\"image\": \"a\", \"restartPolicy\": \"on-failure:1001\"}", DG_INVALID_INPUT,
             "input.restartPolicy"},
            {"{\"image\": \"a\", \"ports\": {\"80/tcp\": \"8080\"}}", DG_FORBIDDEN,
             "no host port range"},
        };

        (void)state;
        REFUSED_EACH(plain, refusals);
}

/* The workload knobs (create_knobs.c) against a policy that allows some of each. */
static const char *const roomy =
    "{\"peers\": {\"alpha\": {\"uids\": [1], \"container\": {"
    "\"ceilings\": {\"nanoCpus\": 2000000000},"
    "\"ulimits\": {\"nofile\": 4096},"
    "\"healthcheck\": {\"minIntervalMs\": 500, \"maxRetries\": 5},"
    "\"allowedCapabilities\": [\"NET_BIND_SERVICE\"], \"runtimes\": [\"runsc\"],"
    "\"bindRoots\": [\"/srv/ro\", \"/srv/rw:rw\"],"
    "\"ports\": {\"hostAddresses\": [\"127.0.0.1\"], \"hostPortRanges\": "
    "[\"20000-20009\"]}}}}}";

static void test_workload_knobs(void **state)
{
        static const struct refusal refusals[] = {
            {"{\"image\": \"a\", \"ulimits\": {\"nofile\": \"8192\"}}", DG_FORBIDDEN,
             "ceiling of 4096"},
            {"{\"image\": \"a\", \"ulimits\": {\"rtprio\": \"1\"}}", DG_FORBIDDEN,
             "only nofile"},
            {"{\"image\": \"a\", \"ulimits\": {\"core\": \"1\"}}", DG_FORBIDDEN,
             "ceiling of 0"},
            {"{\"image\": \"a\", \"healthcheck\": {\"test\": [\"CMD\", \"x\"], \"intervalMs\": "
             "10}}",
             DG_FORBIDDEN, "minimum of 500"},
            {"{\"image\": \"a\", \"healthcheck\": {\"test\": [\"CMD\", \"x\"], \"retries\": "
             "9}}",
             DG_FORBIDDEN, "ceiling of 5"},
            {"{\"image\": \"a\", \"healthcheck\": {\"test\": [\"SHELL\"]}}", DG_INVALID_INPUT,
             "CMD-SHELL"},
            {"{\"image\": \"a\", \"cpuQuota\": 300000}", DG_FORBIDDEN, "3.00 CPUs"},
            {"{\"image\": \"a\", \"cpusetCpus\": \"0-3\"}", DG_FORBIDDEN, "4 CPUs"},
            {"{\"image\": \"a\", \"cpusetCpus\": \"0-x\"}", DG_INVALID_INPUT, "ranges"},
            {"{\"image\": \"a\", \"memorySwap\": 1073741824}", DG_FORBIDDEN, "may not swap"},
            {"{\"image\": \"a\", \"shmSize\": 1099511627776}", DG_FORBIDDEN, "memory limit"},
            {"{\"image\": \"a\", \"capAdd\": [\"SYS_ADMIN\"]}", DG_FORBIDDEN,
             "allowed capabilities"},
            {"{\"image\": \"a\", \"runtime\": \"kata\"}", DG_FORBIDDEN, "runtimes"},
            {"{\"image\": \"a\", \"hostname\": \"-bad\"}", DG_INVALID_INPUT, "hostname"},
            {"{\"image\": \"a\", \"extraHosts\": [\"db:nowhere\"]}", DG_INVALID_INPUT,
             "IP address"},
            {"{\"image\": \"a\", \"ports\": {\"80\": \"0.0.0.0:20001\"}}", DG_FORBIDDEN,
             "host address 0.0.0.0"},
            {"{\"image\": \"a\", \"ports\": {\"80\": \"30000\"}}", DG_FORBIDDEN,
             "outside this peer's ranges"},
            {"{\"image\": \"a\", \"binds\": {\"/d\": \"/etc\"}}", DG_FORBIDDEN,
             "not beneath a bind root"},
            {"{\"image\": \"a\", \"binds\": {\"/d\": \"/srv/ro/x:rw\"}}", DG_FORBIDDEN,
             "read-only"},
            {"{\"image\": \"a\", \"autoRemove\": true, \"restartPolicy\": \"always\"}",
             DG_INVALID_INPUT, "restart policy"},
        };
        struct create_plan plan;
        struct create_error err;
        json_t *hc, *hcheck, *ul;

        (void)state;
        assert_int_equal(
            build(roomy,
                  "{\"image\": \"a\", \"healthcheck\": {\"test\": [\"CMD-SHELL\", \"true\"], "
                  "\"intervalMs\": 500, \"retries\": 2}, \"ulimits\": {\"nofile\": "
                  "\"1024:2048\"}, \"cpuQuota\": 150000, \"cpusetCpus\": \"0-1\", "
                  "\"shmSize\": 1048576, \"stopSignal\": \"SIGINT\", \"stopTimeout\": 3, "
                  "\"init\": true, \"hostname\": \"web\", \"domainname\": \"ex.test\", "
                  "\"extraHosts\": [\"db:10.0.0.2\"], \"dns\": [\"127.0.0.53\"], "
                  "\"autoRemove\": true, \"capAdd\": [\"CAP_NET_BIND_SERVICE\"], "
                  "\"runtime\": \"runsc\", \"ports\": {\"80\": \"\", \"81/udp\": "
                  "\"127.0.0.1:20005\"}, \"binds\": {\"/d\": \"/srv/rw/p:rw\", \"/e\": "
                  "\"/srv/ro/q\"}}",
                  &plan, &err),
            0);
        hc = hc_of(&plan);
        hcheck = json_object_get(plan.body, "Healthcheck");
        assert_int_equal(int_at(hcheck, "Interval"), 500000000LL);
        assert_int_equal(int_at(hcheck, "Retries"), 2);
        ul = json_array_get(json_object_get(hc, "Ulimits"), 0);
        assert_string_equal(str_at(ul, "Name"), "nofile");
        assert_int_equal(int_at(ul, "Hard"), 2048);
        assert_int_equal(int_at(hc, "CpuQuota"), 150000);
        assert_null(json_object_get(hc, "NanoCpus"));
        assert_int_equal(plan.nano_cpus, 1500000000LL);
        assert_int_equal(int_at(hc, "ShmSize"), 1048576);
        assert_true(json_is_true(json_object_get(hc, "Init")));
        assert_true(json_is_true(json_object_get(hc, "AutoRemove")));
        assert_string_equal(str_at(hc, "Runtime"), "runsc");
        assert_string_equal(json_string_value(json_array_get(json_object_get(hc, "CapAdd"), 0)),
                            "NET_BIND_SERVICE");
        assert_string_equal(str_at(plan.body, "Hostname"), "web");
        assert_int_equal(plan.nports, 2);
        assert_int_equal(plan.ports[0].host, 0); /* picked by the handler */
        assert_string_equal(plan.ports[0].ctr, "80/tcp");
        assert_int_equal(plan.ports[1].host, 20005);
        assert_int_equal(plan.nbinds, 2);
        assert_false(plan.binds[0].read_only);
        assert_true(plan.binds[1].read_only);
        create_body_clear(&plan);

        REFUSED_EACH(roomy, refusals);
}

/* Risky capabilities may not even be listed as allowed. */
static void test_policy_refuses_risky_allowed_caps(void **state)
{
        struct policy_report r;
        json_t *root = json_loads("{\"peers\": {\"a\": {\"uids\": [1], \"container\": "
                                  "{\"allowedCapabilities\": [\"SYS_ADMIN\"]}}}}",
                                  0, NULL);

        (void)state;
        memset(&r, 0, sizeof(r));
        assert_null(policy_parse(root, &r));
        assert_non_null(strstr(r.text, "allowedCapabilities[0]"));
        json_decref(root);
}

static void test_volumes_are_named_never_host_paths(void **state)
{
        static const struct refusal refusals[] = {
            {"{\"image\": \"a\", \"volumes\": {\"/data\": \"/etc\"}}", DG_FORBIDDEN,
             "bind mounts of host paths"},
            {"{\"image\": \"a\", \"volumes\": {\"/data\": \"./x\"}}", DG_FORBIDDEN,
             "bind mounts"},
            {"{\"image\": \"a\", \"volumes\": {\"/\": \"v\"}}", DG_INVALID_INPUT,
             "input.volumes"},
            {"{\"image\": \"a\", \"volumes\": {\"/d\": \"v:rx\"}}", DG_INVALID_INPUT,
             "input.volumes"},
        };
        struct create_plan plan;
        struct create_error err;

        (void)state;
        REFUSED_EACH(plain, refusals);
        assert_int_equal(build(plain,
                               "{\"image\": \"a\", \"volumes\": {\"/d\": \"v1:ro\", "
                               "\"/e\": \"v2\"}}",
                               &plan, &err),
                         0);
        assert_int_equal(plan.nvolumes, 2);
        assert_string_equal(plan.volumes[0].ref, "v1");
        assert_string_equal(plan.volumes[0].path, "/d");
        assert_true(plan.volumes[0].read_only);
        assert_false(plan.volumes[1].read_only);
        /* mounted only once resolved, by the resolved name */
        assert_int_equal(json_array_size(json_object_get(hc_of(&plan), "Mounts")), 0);
        create_body_mount(&plan, 0, "alpha.v1");
        assert_string_equal(
            json_string_value(json_object_get(
                json_array_get(json_object_get(hc_of(&plan), "Mounts"), 0), "Source")),
            "alpha.v1");
        create_body_clear(&plan);
}

static void test_networks(void **state)
{
        const char *bridged = "{\"peers\": {\"alpha\": {\"uids\": [1], \"container\": "
                              "{\"networks\": [\"bridge\"]}}}}";
        struct create_plan plan;
        struct create_error err;

        (void)state;
        refused(plain, "{\"image\": \"a\", \"network\": \"host\"}", DG_FORBIDDEN, "host");
        refused(plain, "{\"image\": \"a\", \"network\": \"container:x\"}", DG_FORBIDDEN,
                "namespace");
        refused(plain, "{\"image\": \"a\", \"network\": \"bridge\"}", DG_FORBIDDEN, "bridge");
        /* an engine network the policy lists goes straight into the body */
        assert_int_equal(
            build(bridged, "{\"image\": \"a\", \"network\": \"bridge\"}", &plan, &err), 0);
        assert_string_equal(str_at(hc_of(&plan), "NetworkMode"), "bridge");
        assert_string_equal(plan.network, "");
        create_body_clear(&plan);
        /* any other is one of the peer's own, resolved first */
        assert_int_equal(build(plain,
                               "{\"image\": \"a\", \"name\": \"db\", \"network\": "
                               "\"mine\"}",
                               &plan, &err),
                         0);
        assert_string_equal(plan.network, "mine");
        assert_string_equal(str_at(hc_of(&plan), "NetworkMode"), "none");
        assert_int_equal(create_body_network(&plan, "abc123", "host", &err), -1);
        assert_int_equal(err.code, DG_FORBIDDEN);
        assert_int_equal(create_body_network(&plan, "abc123", "bridge", &err), 0);
        assert_string_equal(str_at(hc_of(&plan), "NetworkMode"), "abc123");
        assert_string_equal(alias_at(&plan, "abc123", 0), "db");
        create_body_clear(&plan);
        /* more aliases on the peer's own network, after its name */
        assert_int_equal(build(plain,
                               "{\"image\": \"a\", \"name\": \"db\", \"network\": "
                               "\"mine\", \"networkAliases\": [\"cache\"]}",
                               &plan, &err),
                         0);
        assert_int_equal(create_body_network(&plan, "abc123", "bridge", &err), 0);
        assert_string_equal(alias_at(&plan, "abc123", 1), "cache");
        create_body_clear(&plan);
        /* not on none nor on an engine network: others would resolve them */
        refused(plain, "{\"image\": \"a\", \"networkAliases\": [\"x\"]}", DG_FORBIDDEN,
                "aliases only on a network of your own");
        refused(bridged,
                "{\"image\": \"a\", \"network\": \"bridge\", \"networkAliases\": [\"x\"]}",
                DG_FORBIDDEN, "aliases only on a network of your own");
        refused(plain,
                "{\"image\": \"a\", \"network\": \"mine\", \"networkAliases\": [\"-x\"]}",
                DG_INVALID_INPUT, "networkAliases");
}

static void test_policy_capabilities_and_runtime(void **state)
{
        struct create_plan plan;
        struct create_error err;

        (void)state;
        assert_int_equal(build("{\"peers\": {\"alpha\": {\"uids\": [1], \"container\": "
                               "{\"capabilities\": [\"CAP_CHOWN\"], \"runtime\": \"runsc\"}}}}",
                               "{\"image\": \"a\"}", &plan, &err),
                         0);
        assert_string_equal(
            json_string_value(json_array_get(json_object_get(hc_of(&plan), "CapAdd"), 0)),
            "CHOWN");
        assert_string_equal(str_at(hc_of(&plan), "Runtime"), "runsc");
        create_body_clear(&plan);
}

/*
 * refuseRoot (issue 10, item 9): no uid 0 and no gid 0.  A uid alone gets
 * its own number as gid, so that the engine takes neither the image's gid
 * (0 for a uid the image does not know) nor its supplementary groups.
 */
static void test_refuse_root_gives_no_group_root(void **state)
{
        static const char *const strict =
            "{\"peers\": {\"alpha\": {\"uids\": [1], \"container\": {\"refuseRoot\": true}}}}";
        static const struct {
                const char *user, *want;
        } ok[] = {{"1000", "1000:1000"},
                  {"1000:2000", "1000:2000"},
                  {"4294967294", "4294967294:4294967294"}};
        static const char *const bad[] = {"0",         "00",      "1000:0",  "1000:00",
                                          "+0",        "1000:+0", "1000:-0", "root",
                                          "1000:root", "-1",      "1000:",   " 1000"};
        struct create_plan plan;
        struct create_error err;
        char input[128];
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                snprintf(input, sizeof(input), "{\"image\": \"a\", \"user\": \"%s\"}",
                         ok[i].user);
                if (build(strict, input, &plan, &err) != 0)
                        fail_msg("%s refused: %s", ok[i].user, err.text);
                assert_string_equal(str_at(plan.body, "User"), ok[i].want);
                create_body_clear(&plan);
        }
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                snprintf(input, sizeof(input), "{\"image\": \"a\", \"user\": \"%s\"}", bad[i]);
                refused(strict, input, DG_FORBIDDEN, "input.user");
        }
        refused(strict, "{\"image\": \"a\"}", DG_FORBIDDEN, "input.user");
        /* without refuseRoot the user is the peer's business, as written */
        assert_int_equal(build(plain, "{\"image\": \"a\", \"user\": \"1000\"}", &plan, &err),
                         0);
        assert_string_equal(str_at(plan.body, "User"), "1000");
        create_body_clear(&plan);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_confinement_and_defaults),
            cmocka_unit_test(test_inputs_copied_field_by_field),
            cmocka_unit_test(test_limits_within_ceilings),
            cmocka_unit_test(test_refusals),
            cmocka_unit_test(test_volumes_are_named_never_host_paths),
            cmocka_unit_test(test_networks),
            cmocka_unit_test(test_workload_knobs),
            cmocka_unit_test(test_policy_refuses_risky_allowed_caps),
            cmocka_unit_test(test_policy_capabilities_and_runtime),
            cmocka_unit_test(test_refuse_root_gives_no_group_root),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
