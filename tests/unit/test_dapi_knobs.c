/* test_dapi_knobs.c - worker/dapi_knobs.c through dcreate_translate: the CLI's create
 * bodies for -p, --ulimit and --health-* as native inputs, and what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dapi_create.h"

static char err[512];
static int status;

/* The input body (with Image added) translates to; NULL when refused (status, err set). */
static json_t *tr(const char *body)
{
        json_t *b = json_loads(body, 0, NULL), *in = json_object();

        assert_non_null(b);
        json_object_set_new(b, "Image", json_string("img"));
        status = 0;
        err[0] = '\0';
        if (dcreate_translate(b, NULL, in, &status, err, sizeof(err)) == -1) {
                json_decref(in);
                in = NULL;
        }
        json_decref(b);
        return in;
}

static void refused(const char *body, int want, const char *words)
{
        assert_null(tr(body));
        assert_int_equal(status, want);
        if (strstr(err, words) == NULL)
                fail_msg("%s: \"%s\" lacks \"%s\"", body, err, words);
}

static void field_is(json_t *in, const char *key, const char *json)
{
        json_t *want = json_loads(json, JSON_DECODE_ANY, NULL);

        assert_non_null(want);
        if (!json_equal(json_object_get(in, key), want)) {
                char *got = json_dumps(json_object_get(in, key), JSON_ENCODE_ANY);

                fail_msg("%s: %s, not %s", key, got ? got : "(none)", json);
        }
        json_decref(want);
}

static void test_ports_as_the_cli_sends_them(void **unused)
{
        json_t *in;

        /* -p 127.0.0.1::80 -p 8080:81 -p 53/udp */
        in = tr("{\"ExposedPorts\": {\"80/tcp\": {}, \"81/tcp\": {}, \"53/udp\": {}},"
                " \"HostConfig\": {\"PortBindings\": {"
                "\"80/tcp\": [{\"HostIp\": \"127.0.0.1\", \"HostPort\": \"\"}],"
                "\"81/tcp\": [{\"HostIp\": \"\", \"HostPort\": \"8080\"}],"
                "\"53/udp\": [{\"HostIp\": \"::1\", \"HostPort\": \"53\"}]},"
                " \"PublishAllPorts\": false}}");
        assert_non_null(in);
        field_is(in, "ports",
                 "{\"80/tcp\": \"127.0.0.1:\", \"81/tcp\": \"8080\","
                 " \"53/udp\": \"::1:53\"}");
        assert_null(json_object_get(in, "publishAllPorts"));
        json_decref(in);
        /* --expose 90 alone publishes nothing; with -P it is published on a picked port */
        in = tr("{\"ExposedPorts\": {\"90/tcp\": {}}}");
        assert_null(json_object_get(in, "ports"));
        json_decref(in);
        in = tr("{\"ExposedPorts\": {\"90/tcp\": {}}, \"HostConfig\": {\"PublishAllPorts\": "
                "true, \"PortBindings\": {\"91\": [{\"HostPort\": \"0\"}]}}}");
        field_is(in, "ports", "{\"90/tcp\": \"\", \"91/tcp\": \"0\"}");
        field_is(in, "publishAllPorts", "true");
        json_decref(in);
        /* the CLI's defaults: nothing */
        in = tr("{\"ExposedPorts\": null, \"HostConfig\": {\"PortBindings\": {},"
                " \"PublishAllPorts\": false}}");
        assert_int_equal(json_object_size(in), 1);
        json_decref(in);
}

static void test_ports_refused(void **unused)
{
        refused("{\"HostConfig\": {\"PortBindings\": {\"80/tcp\": [{\"HostPort\": \"1\"},"
                " {\"HostPort\": \"2\"}]}}}",
                403, "one host binding per container port");
        refused("{\"HostConfig\": {\"PortBindings\": {\"80/tcp\": [{\"HostPort\": "
                "\"8000-8001\"}]}}}",
                403, "ranges are not supported");
        refused("{\"HostConfig\": {\"PortBindings\": {\"80/sctp\": []}}}", 400,
                "keys are container ports");
        refused("{\"HostConfig\": {\"PortBindings\": {\"80\": [{\"HostPort\": \"1\"}],"
                " \"80/tcp\": [{\"HostPort\": \"2\"}]}}}",
                400, "bound twice");
        refused("{\"HostConfig\": {\"PortBindings\": {\"80/tcp\": [{\"HostPort\": \"1\","
                " \"Proto\": \"x\"}]}}}",
                400, "Proto: unknown field");
        refused("{\"HostConfig\": {\"PortBindings\": {\"80/tcp\": [{\"HostPort\": 1}]}}}", 400,
                "strings");
        refused("{\"HostConfig\": {\"PortBindings\": {\"80/tcp\": [{\"HostPort\": \"x1\"}]}}}",
                400, "a port number");
        refused("{\"ExposedPorts\": {\"0/tcp\": {}}}", 400, "ExposedPorts.0/tcp");
        refused("{\"HostConfig\": {\"PublishAllPorts\": 1}}", 400, "true or false");
}

static void test_ulimits(void **unused)
{
        json_t *in;

        in = tr("{\"HostConfig\": {\"Ulimits\": [{\"Name\": \"nofile\", \"Soft\": 1024, "
                "\"Hard\": 2048}, {\"Name\": \"core\", \"Soft\": 0, \"Hard\": 0}]}}");
        field_is(in, "ulimits", "{\"nofile\": \"1024:2048\", \"core\": \"0:0\"}");
        json_decref(in);
        in = tr("{\"HostConfig\": {\"Ulimits\": []}}");
        assert_null(json_object_get(in, "ulimits"));
        json_decref(in);
        refused("{\"HostConfig\": {\"Ulimits\": [{\"Name\": \"nofile\", \"Soft\": -1, "
                "\"Hard\": -1}]}}",
                403, "unlimited");
        refused("{\"HostConfig\": {\"Ulimits\": [{\"Name\": \"nofile\", \"Soft\": 3, "
                "\"Hard\": 2}]}}",
                400, "Soft <= Hard");
        refused("{\"HostConfig\": {\"Ulimits\": [{\"Name\": \"nofile\", \"Soft\": 1, "
                "\"Hard\": 1}, {\"Name\": \"nofile\", \"Soft\": 2, \"Hard\": 2}]}}",
                400, "set twice");
        refused("{\"HostConfig\": {\"Ulimits\": [{\"Name\": \"nofile\", \"Soft\": 1}]}}", 400,
                "Soft and Hard integers");
        refused("{\"HostConfig\": {\"Ulimits\": {\"nofile\": 1}}}", 400, "a list");
}

static void test_health(void **unused)
{
        json_t *in;

        in = tr("{\"Healthcheck\": {\"Test\": [\"CMD-SHELL\", \"true\"], \"Interval\": "
                "200000000, \"Timeout\": 1500000000, \"StartPeriod\": 0, \"Retries\": 2}}");
        field_is(in, "healthcheck",
                 "{\"test\": [\"CMD-SHELL\", \"true\"], \"intervalMs\": 200,"
                 " \"timeoutMs\": 1500, \"retries\": 2}");
        json_decref(in);
        in = tr("{\"Healthcheck\": {\"Test\": [\"NONE\"]}}");
        field_is(in, "healthcheck", "{\"test\": [\"NONE\"]}");
        json_decref(in);
        /* what the CLI sends without --health-*: nothing */
        in = tr("{\"Healthcheck\": null}");
        assert_null(json_object_get(in, "healthcheck"));
        json_decref(in);
        in = tr("{\"Healthcheck\": {\"Test\": [], \"Interval\": 0}}");
        assert_null(json_object_get(in, "healthcheck"));
        json_decref(in);
        refused("{\"Healthcheck\": {\"Interval\": 1000000000}}", 403, "Test: required");
        refused("{\"Healthcheck\": {\"Test\": [\"NONE\"], \"Retries\": 1}}", 400,
                "takes nothing else");
        refused("{\"Healthcheck\": {\"Test\": [\"CMD-SHELL\", \"a\", \"b\"]}}", 400,
                "CMD-SHELL");
        refused("{\"Healthcheck\": {\"Test\": [\"RUN\", \"a\"]}}", 400, "Healthcheck.Test");
        refused("{\"Healthcheck\": {\"Test\": [\"CMD\", 1]}}", 400, "a list of strings");
        refused("{\"Healthcheck\": {\"Test\": [\"CMD\", \"x\"], \"Interval\": 999}}", 400,
                "1 ms to 24 h");
        refused("{\"Healthcheck\": {\"Test\": [\"CMD\", \"x\"], \"Retries\": -1}}", 400,
                "Retries");
        refused("{\"Healthcheck\": {\"Test\": [\"CMD\", \"x\"], \"StartInterval\": 1}}", 400,
                "StartInterval: unknown field");
}

static void test_process_and_cpu_fields(void **unused)
{
        json_t *in;

        in = tr("{\"Hostname\": \"web\", \"Domainname\": \"ex.test\", \"StopSignal\": "
                "\"SIGINT\", \"HostConfig\": {\"Init\": true, \"ShmSize\": 1048576, "
                "\"CpuQuota\": 50000, \"CpuPeriod\": 100000, \"CpusetCpus\": \"0\", "
                "\"ExtraHosts\": [\"db:192.0.2.7\"], \"Dns\": [\"127.0.0.53\"]}}");
        assert_non_null(in);
        field_is(in, "hostname", "\"web\"");
        field_is(in, "domainname", "\"ex.test\"");
        field_is(in, "stopSignal", "\"SIGINT\"");
        field_is(in, "init", "true");
        field_is(in, "shmSize", "1048576");
        field_is(in, "cpuQuota", "50000");
        field_is(in, "cpuPeriod", "100000");
        field_is(in, "cpusetCpus", "\"0\"");
        field_is(in, "extraHosts", "[\"db:192.0.2.7\"]");
        field_is(in, "dns", "[\"127.0.0.53\"]");
        json_decref(in);
        /* the CLI's defaults: nothing but the image */
        in = tr("{\"Hostname\": \"\", \"Domainname\": \"\", \"HostConfig\": {\"Init\": "
                "null, \"ShmSize\": 0, \"CpuQuota\": 0, \"CpuPeriod\": 0, \"CpusetCpus\": "
                "\"\", \"ExtraHosts\": null, \"Dns\": []}}");
        assert_int_equal(json_object_size(in), 1);
        json_decref(in);
        refused("{\"HostConfig\": {\"CpuQuota\": -1}}", 400, "a positive integer");
        refused("{\"HostConfig\": {\"DnsSearch\": [\"x\"]}}", 403, "DnsSearch");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_ports_as_the_cli_sends_them),
            cmocka_unit_test(test_ports_refused),
            cmocka_unit_test(test_ulimits),
            cmocka_unit_test(test_health),
            cmocka_unit_test(test_process_and_cpu_fields),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
