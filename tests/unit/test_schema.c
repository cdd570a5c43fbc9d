/* test_schema.c - the operation table and schema_check's exactness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schema.h"

/* Every operationId of PROTOCOL.md section 5. */
static const char *const protocol_ops[] = {
    "docker/system/ping",
    "docker/system/version",
    "docker/system/info",
    "docker/system/df",
    "docker/system/events",
    "gateway/whoami",
    "gateway/usage",
    "docker/container/create",
    "docker/container/start",
    "docker/container/stop",
    "docker/container/restart",
    "docker/container/kill",
    "docker/container/pause",
    "docker/container/unpause",
    "docker/container/remove",
    "docker/container/list",
    "docker/container/inspect",
    "docker/container/wait",
    "docker/container/logs",
    "docker/container/stats",
    "docker/container/top",
    "docker/container/exec",
    "docker/container/exec/create", /* exec instances by ID: docs/operations.md */
    "docker/exec/start",
    "docker/exec/inspect",
    "docker/exec/resize",
    "docker/container/attach",
    "docker/container/resize",
    "docker/container/archive/get",
    "docker/container/archive/put",
    "docker/image/pull",
    "docker/image/build",
    "docker/image/list",
    "docker/image/tag",
    "docker/image/prune",
    "docker/image/inspect",
    "docker/image/remove",
    "docker/network/create",
    "docker/network/list",
    "docker/network/inspect",
    "docker/network/remove",
    "docker/network/connect",
    "docker/network/disconnect",
    "docker/network/prune",
    "docker/volume/create",
    "docker/volume/list",
    "docker/volume/inspect",
    "docker/volume/remove",
    "docker/volume/prune",
    "docker/container/prune",
    "docker/container/rename",
    "docker/container/update",
};
#define NOPS (sizeof(protocol_ops) / sizeof(protocol_ops[0]))

/* Runs schema_check on op with input given as JSON text. */
static int check(const char *op, const char *input, char *err, size_t errlen)
{
        const struct op_desc *s = op_desc_find(op);
        json_error_t e;
        json_t *in;
        int rc;

        if (s == NULL)
                fail_msg("no schema for %s", op);
        in = json_loads(input, JSON_DECODE_ANY, &e);
        if (in == NULL)
                fail_msg("bad test JSON %s: %s", input, e.text);
        rc = schema_check(s, in, err, errlen);
        json_decref(in);
        return rc;
}

static void ok(const char *op, const char *input)
{
        char err[256];

        if (check(op, input, err, sizeof(err)) != 0)
                fail_msg("%s %s refused: %s", op, input, err);
}

static void bad(const char *op, const char *input, const char *want)
{
        char err[256];

        if (check(op, input, err, sizeof(err)) != -1)
                fail_msg("%s %s accepted", op, input);
        if (strstr(err, want) == NULL)
                fail_msg("%s %s: error \"%s\" lacks \"%s\"", op, input, err, want);
}

static void test_table_matches_protocol(void **state)
{
        const struct op_desc *s;
        size_t i, j;

        (void)state;
        for (i = 0; i < NOPS; i++)
                if (op_desc_find(protocol_ops[i]) == NULL)
                        fail_msg("missing %s", protocol_ops[i]);
        for (j = 0; j < OPID__COUNT; j++) {
                s = &op_descs[j];
                /* every row is where its id says, and complete */
                assert_int_equal(s->id, j);
                assert_non_null(s->name);
                assert_non_null(s->fields);
                assert_non_null(s->verb);
                assert_ptr_equal(op_desc_find(s->name), s);
                for (i = 0; i < NOPS; i++)
                        if (strcmp(protocol_ops[i], s->name) == 0)
                                break;
                if (i == NOPS)
                        fail_msg("%s is not in PROTOCOL.md", s->name);
                assert_true(s->carriage_json || s->carriage_raw);
                /* the field naming the resource is a required string of the input */
                if (s->resource != NULL) {
                        const struct field_spec *f;
                        for (f = s->fields; f->name != NULL; f++)
                                if (strcmp(f->name, s->resource) == 0)
                                        break;
                        if (f->name == NULL || f->kind != F_STRING || !f->required)
                                fail_msg("%s: resource field %s is not a required string",
                                         s->name, s->resource);
                }
        }
        assert_int_equal(OPID__COUNT, NOPS);
        assert_null(op_desc_find("docker/container/Create"));
        assert_null(op_desc_find("docker/container/create/"));
        assert_null(op_desc_find(""));
        assert_null(op_desc_find(NULL));
}

static void test_carriage_and_types(void **state)
{
        const struct op_desc *s;

        (void)state;
        s = op_desc_find("docker/container/exec");
        assert_int_equal(s->type, OP_SUBSCRIPTION);
        assert_true(s->carriage_json && s->carriage_raw);
        s = op_desc_find("docker/container/attach");
        assert_int_equal(s->type, OP_RAW);
        assert_true(!s->carriage_json && s->carriage_raw);
        s = op_desc_find("docker/container/archive/get");
        assert_true(s->type == OP_RAW && !s->carriage_json && s->carriage_raw);
        s = op_desc_find("docker/container/archive/put");
        assert_true(s->type == OP_RAW && !s->carriage_json && s->carriage_raw);
        s = op_desc_find("docker/container/logs");
        assert_true(s->type == OP_SUBSCRIPTION && s->carriage_json && !s->carriage_raw);
        s = op_desc_find("docker/image/pull");
        assert_int_equal(s->type, OP_SUBSCRIPTION);
        s = op_desc_find("docker/system/events");
        assert_int_equal(s->type, OP_SUBSCRIPTION);
        s = op_desc_find("docker/container/create");
        assert_true(s->type == OP_MUTATION && s->carriage_json && !s->carriage_raw);
        s = op_desc_find("docker/container/list");
        assert_int_equal(s->type, OP_QUERY);
        s = op_desc_find("docker/volume/remove");
        assert_int_equal(s->type, OP_MUTATION);
        s = op_desc_find("docker/network/inspect");
        assert_int_equal(s->type, OP_QUERY);
}

static void test_input_must_be_object(void **state)
{
        char err[256];

        (void)state;
        bad("docker/system/ping", "[]", "input: must be an object");
        bad("docker/system/ping", "null", "input: must be an object");
        assert_int_equal(
            schema_check(op_desc_find("docker/system/ping"), NULL, err, sizeof(err)), -1);
        assert_int_equal(schema_check(NULL, NULL, err, sizeof(err)), -1);
        ok("docker/system/ping", "{}");
        bad("docker/system/ping", "{\"x\":1}", "input.x: unknown field");
        ok("docker/image/list", "{}");
        bad("docker/image/list", "{\"all\":true}", "input.all: unknown field");
}

static void test_create(void **state)
{
        (void)state;
        ok("docker/container/create",
           "{\"image\":\"busybox\",\"name\":\"web-1\",\"cmd\":[\"sh\",\"-c\",\"\"],"
           "\"entrypoint\":[],\"env\":[\"A=1\"],\"labels\":{\"team\":\"x\"},\"workingDir\":\"/"
           "\","
           "\"user\":\"1000:1000\",\"tty\":false,\"openStdin\":true,"
           "\"limits\":{\"memoryBytes\":4194304,\"nanoCpus\":1000000,\"pidsLimit\":1},"
           "\"network\":\"none\",\"readOnlyRootfs\":true,\"tmpfs\":{\"/tmp\":\"size=64m\"},"
           "\"volumes\":{\"data\":\"/data\"},\"ports\":{\"80/tcp\":\"8080\"},"
           "\"restartPolicy\":\"no\"}");
        ok("docker/container/create", "{\"image\":\"busybox\"}");
        bad("docker/container/create", "{}", "input.image: missing");
        bad("docker/container/create", "{\"image\":\"\"}", "input.image: must be a string");
        bad("docker/container/create", "{\"image\":1}", "input.image: must be a string");
        bad("docker/container/create", "{\"image\":\"b\",\"privileged\":true}",
            "input.privileged: unknown field");
        bad("docker/container/create", "{\"image\":\"b\",\"HostConfig\":{}}",
            "input.HostConfig: unknown field");
        /* limits: integers only, in range, no unknown sub-fields */
        bad("docker/container/create", "{\"image\":\"b\",\"limits\":{\"memoryBytes\":1.5e9}}",
            "input.limits.memoryBytes: must be an integer between");
        bad("docker/container/create", "{\"image\":\"b\",\"limits\":{\"memoryBytes\":\"1g\"}}",
            "input.limits.memoryBytes");
        bad("docker/container/create", "{\"image\":\"b\",\"limits\":{\"memoryBytes\":true}}",
            "input.limits.memoryBytes");
        bad("docker/container/create", "{\"image\":\"b\",\"limits\":{\"memoryBytes\":4194303}}",
            "input.limits.memoryBytes");
        ok("docker/container/create",
           "{\"image\":\"b\",\"limits\":{\"memoryBytes\":1099511627776}}");
        bad("docker/container/create",
            "{\"image\":\"b\",\"limits\":{\"memoryBytes\":1099511627777}}",
            "input.limits.memoryBytes");
        bad("docker/container/create", "{\"image\":\"b\",\"limits\":{\"nanoCpus\":999999}}",
            "input.limits.nanoCpus");
        bad("docker/container/create", "{\"image\":\"b\",\"limits\":{\"pidsLimit\":0}}",
            "input.limits.pidsLimit");
        bad("docker/container/create", "{\"image\":\"b\",\"limits\":{\"pidsLimit\":-1}}",
            "input.limits.pidsLimit");
        bad("docker/container/create", "{\"image\":\"b\",\"limits\":{\"swap\":1}}",
            "input.limits.swap: unknown field");
        bad("docker/container/create", "{\"image\":\"b\",\"limits\":[]}",
            "input.limits: must be an object");
        /* booleans are booleans */
        bad("docker/container/create", "{\"image\":\"b\",\"tty\":1}",
            "input.tty: must be a boolean");
        bad("docker/container/create", "{\"image\":\"b\",\"tty\":\"true\"}", "input.tty");
        bad("docker/container/create", "{\"image\":\"b\",\"readOnlyRootfs\":null}",
            "input.readOnlyRootfs");
}

static void test_string_lists(void **state)
{
        char buf[8192];
        int i, n;

        (void)state;
        bad("docker/container/create", "{\"image\":\"b\",\"cmd\":\"sh\"}",
            "input.cmd: must be an array");
        bad("docker/container/create", "{\"image\":\"b\",\"cmd\":[\"sh\",1]}", "input.cmd[1]");
        bad("docker/container/create", "{\"image\":\"b\",\"env\":[null]}", "input.env[0]");
        /* 256 items pass, 257 do not */
        n = snprintf(buf, sizeof(buf), "{\"image\":\"b\",\"env\":[");
        for (i = 0; i < 256; i++)
                n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s\"A=1\"", i ? "," : "");
        snprintf(buf + n, sizeof(buf) - (size_t)n, "]}");
        ok("docker/container/create", buf);
        snprintf(buf + n, sizeof(buf) - (size_t)n, ",\"B=2\"]}");
        bad("docker/container/create", buf, "input.env: must be an array of 0..256");
        /* item length: 4096 bytes pass, 4097 do not */
        n = snprintf(buf, sizeof(buf), "{\"image\":\"b\",\"cmd\":[\"");
        memset(buf + n, 'x', 4096);
        snprintf(buf + n + 4096, sizeof(buf) - (size_t)n - 4096, "\"]}");
        ok("docker/container/create", buf);
        memset(buf + n, 'x', 4097);
        snprintf(buf + n + 4097, sizeof(buf) - (size_t)n - 4097, "\"]}");
        bad("docker/container/create", buf, "input.cmd[0]");
        /* exec needs a non-empty cmd */
        ok("docker/container/exec", "{\"containerId\":\"c\",\"cmd\":[\"true\"]}");
        bad("docker/container/exec", "{\"containerId\":\"c\",\"cmd\":[]}", "input.cmd");
        bad("docker/container/exec", "{\"containerId\":\"c\"}", "input.cmd: missing");
        bad("docker/container/exec", "{\"cmd\":[\"true\"]}", "input.containerId: missing");
        ok("docker/container/exec",
           "{\"containerId\":\"c\",\"cmd\":[\"sh\"],\"tty\":true,"
           "\"stdin\":true,\"env\":[],\"workingDir\":\"/w\",\"user\":\"u\"}");
        ok("docker/system/events",
           "{\"since\":0,\"until\":1099511627776,\"types\":[\"container\"]}");
        bad("docker/system/events", "{\"since\":1099511627777}", "input.since");
        bad("docker/system/events", "{\"since\":-1}", "input.since");
}

static void test_string_maps(void **state)
{
        char buf[8192];
        int i, n;

        (void)state;
        bad("docker/container/create", "{\"image\":\"b\",\"labels\":[]}",
            "input.labels: must be an object");
        bad("docker/container/create", "{\"image\":\"b\",\"labels\":{\"k\":1}}",
            "input.labels.k");
        bad("docker/container/create", "{\"image\":\"b\",\"labels\":{\"k\":{}}}",
            "input.labels.k");
        bad("docker/container/create", "{\"image\":\"b\",\"labels\":{\"\":\"v\"}}",
            "input.labels: keys");
        ok("docker/container/create", "{\"image\":\"b\",\"labels\":{\"k\":\"\"}}");
        n = snprintf(buf, sizeof(buf), "{\"image\":\"b\",\"labels\":{");
        for (i = 0; i < 64; i++)
                n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s\"k%d\":\"v\"", i ? "," : "",
                              i);
        snprintf(buf + n, sizeof(buf) - (size_t)n, "}}");
        ok("docker/container/create", buf);
        snprintf(buf + n, sizeof(buf) - (size_t)n, ",\"k64\":\"v\"}}");
        bad("docker/container/create", buf, "input.labels: must be an object of at most 64");
        bad("docker/container/create", "{\"image\":\"b\",\"volumes\":{\"/\":true}}",
            "input.volumes./");
        bad("docker/container/create", "{\"image\":\"b\",\"tmpfs\":\"/tmp\"}", "input.tmpfs");
        bad("docker/container/create", "{\"image\":\"b\",\"ports\":{\"80\":80}}",
            "input.ports.80");
}

static void test_strings_with_nul(void **state)
{
        const struct op_desc *s = op_desc_find("docker/container/start");
        char err[256];
        json_t *in;

        (void)state;
        in = json_object();
        json_object_set_new(in, "containerId", json_stringn("ab\0c", 4));
        assert_int_equal(schema_check(s, in, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "input.containerId"));
        json_decref(in);
        /* a key with an embedded NUL is not "containerId" */
        in = json_object();
        json_object_set_new(in, "containerId", json_string("c"));
        json_object_setn_new(in, "containerId\0x", 13, json_string("c"));
        assert_int_equal(schema_check(s, in, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "unknown field"));
        json_decref(in);
        /* nor in a string list */
        s = op_desc_find("docker/container/exec");
        in = json_pack("{s:s, s:[s]}", "containerId", "c", "cmd", "x");
        json_array_append_new(json_object_get(in, "cmd"), json_stringn("a\0", 2));
        assert_int_equal(schema_check(s, in, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "input.cmd[1]"));
        json_decref(in);
}

static void test_containers(void **state)
{
        char buf[600], id[300];
        const char *ops[] = {"docker/container/start", "docker/container/pause",
                             "docker/container/unpause", "docker/container/inspect",
                             "docker/container/top"};
        size_t i;

        (void)state;
        memset(id, 'c', 256);
        id[256] = '\0';
        for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
                ok(ops[i], "{\"containerId\":\"abc\"}");
                bad(ops[i], "{}", "input.containerId: missing");
                bad(ops[i], "{\"containerId\":\"\"}", "input.containerId");
                bad(ops[i], "{\"containerId\":null}", "input.containerId");
                bad(ops[i], "{\"containerId\":\"a\",\"force\":true}",
                    "input.force: unknown field");
                snprintf(buf, sizeof(buf), "{\"containerId\":\"%s\"}", id);
                ok(ops[i], buf);
        }
        id[256] = 'c';
        id[257] = '\0';
        snprintf(buf, sizeof(buf), "{\"containerId\":\"%s\"}", id);
        bad("docker/container/start", buf, "input.containerId: must be a string of 1..256");

        ok("docker/container/rename", "{\"containerId\":\"a\",\"name\":\"web\"}");
        ok("docker/container/update",
           "{\"containerId\":\"a\",\"limits\":{\"memoryBytes\":8388608},"
           "\"restartPolicy\":\"no\"}");
        bad("docker/container/update", "{\"containerId\":\"a\",\"limits\":{\"cpuShares\":2}}",
            "input.limits.cpuShares");
        bad("docker/container/update", "{\"containerId\":\"a\",\"memory\":1}", "input.memory");
        bad("docker/container/rename", "{\"containerId\":\"a\"}", "input.name: missing");
        bad("docker/container/rename", "{\"containerId\":\"a\",\"name\":\"\"}", "input.name");
        ok("docker/container/prune", "{\"filters\":[\"label=a=b\"]}");
        bad("docker/container/prune", "{\"all\":true}", "input.all: unknown field");
        ok("docker/container/stop", "{\"containerId\":\"a\",\"timeoutSeconds\":0}");
        ok("docker/container/restart", "{\"containerId\":\"a\",\"timeoutSeconds\":3600}");
        bad("docker/container/stop", "{\"containerId\":\"a\",\"timeoutSeconds\":3601}",
            "input.timeoutSeconds: must be an integer between 0 and 3600");
        bad("docker/container/stop", "{\"containerId\":\"a\",\"timeoutSeconds\":-1}",
            "input.timeoutSeconds");
        bad("docker/container/stop", "{\"containerId\":\"a\",\"timeoutSeconds\":10.0}",
            "input.timeoutSeconds");
        ok("docker/container/kill", "{\"containerId\":\"a\",\"signal\":\"SIGKILL\"}");
        bad("docker/container/kill", "{\"containerId\":\"a\",\"signal\":9}", "input.signal");
        ok("docker/container/remove",
           "{\"containerId\":\"a\",\"force\":true,\"removeVolumes\":false}");
        ok("docker/container/list", "{\"all\":true}");
        bad("docker/container/list", "{\"all\":\"yes\"}", "input.all");
        ok("docker/container/wait", "{\"containerId\":\"a\",\"condition\":\"not-running\"}");
        ok("docker/container/logs",
           "{\"containerId\":\"a\",\"follow\":true,\"stdout\":true,"
           "\"stderr\":false,\"timestamps\":true,\"tail\":\"all\",\"since\":5}");
        bad("docker/container/logs", "{\"containerId\":\"a\",\"tail\":10}", "input.tail");
        bad("docker/container/logs", "{\"containerId\":\"a\",\"tail\":\"\"}", "input.tail");
        ok("docker/container/stats", "{\"containerId\":\"a\",\"stream\":false}");
        ok("docker/container/attach", "{\"containerId\":\"a\",\"stdin\":true,\"logs\":true}");
        bad("docker/container/attach", "{\"containerId\":\"a\",\"tty\":true}",
            "input.tty: unknown");
        ok("docker/container/resize", "{\"containerId\":\"a\",\"rows\":24,\"cols\":80}");
        bad("docker/container/resize", "{\"containerId\":\"a\",\"rows\":24}",
            "input.cols: missing");
        bad("docker/container/resize", "{\"containerId\":\"a\",\"cols\":80}",
            "input.rows: missing");
        bad("docker/container/resize", "{\"containerId\":\"a\",\"rows\":0,\"cols\":80}",
            "input.rows");
        bad("docker/container/resize", "{\"containerId\":\"a\",\"rows\":24,\"cols\":10001}",
            "input.cols");
        bad("docker/container/resize", "{\"containerId\":\"a\",\"rows\":true,\"cols\":1}",
            "input.rows");
        ok("docker/container/archive/get", "{\"containerId\":\"a\",\"path\":\"/etc\"}");
        bad("docker/container/archive/get", "{\"containerId\":\"a\"}", "input.path: missing");
        bad("docker/container/archive/put", "{\"path\":\"/\"}", "input.containerId: missing");
        ok("gateway/usage", "{\"peer\":\"alice\"}");
        ok("gateway/usage", "{}");
}

static void test_images_networks_volumes(void **state)
{
        (void)state;
        ok("docker/image/pull", "{\"image\":\"127.0.0.1:5000/busybox\",\"tag\":\"latest\"}");
        bad("docker/image/pull", "{\"tag\":\"latest\"}", "input.image: missing");
        ok("docker/image/inspect", "{\"image\":\"busybox\"}");
        bad("docker/image/inspect", "{}", "input.image: missing");
        ok("docker/image/remove", "{\"image\":\"busybox\",\"force\":true}");
        bad("docker/image/remove", "{\"force\":true}", "input.image: missing");
        ok("docker/network/create", "{\"name\":\"n\",\"internal\":true}");
        bad("docker/network/create", "{\"internal\":true}", "input.name: missing");
        ok("docker/network/list", "{}");
        ok("docker/network/inspect", "{\"networkId\":\"n\"}");
        bad("docker/network/remove", "{}", "input.networkId: missing");
        ok("docker/network/connect", "{\"networkId\":\"n\",\"containerId\":\"c\"}");
        bad("docker/network/disconnect", "{\"networkId\":\"n\"}", "input.containerId: missing");
        ok("docker/volume/create", "{}");
        ok("docker/volume/create", "{\"name\":\"v\"}");
        bad("docker/volume/create", "{\"name\":\"\"}", "input.name");
        bad("docker/volume/create", "{\"driver\":\"local\"}", "input.driver: unknown field");
        ok("docker/volume/list", "{}");
        ok("docker/volume/inspect", "{\"volumeName\":\"v\"}");
        ok("docker/volume/remove", "{\"volumeName\":\"v\",\"force\":false}");
        bad("docker/volume/remove", "{\"force\":false}", "input.volumeName: missing");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_table_matches_protocol),
            cmocka_unit_test(test_carriage_and_types),
            cmocka_unit_test(test_input_must_be_object),
            cmocka_unit_test(test_create),
            cmocka_unit_test(test_string_lists),
            cmocka_unit_test(test_string_maps),
            cmocka_unit_test(test_strings_with_nul),
            cmocka_unit_test(test_containers),
            cmocka_unit_test(test_images_networks_volumes),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
