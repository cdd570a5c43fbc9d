/*
 * system.c - the system verbs of the dockgate tool: version, ping and info.
 */
#include <getopt.h>
#include <stdio.h>

#include "invoke.h"
#include "output.h"
#include "template.h"
#include "units.h"

int system_version(struct cli *cli, int argc, char **argv)
{
        json_t *out;
        int rc;

        optind = 0;
        if (getopt(argc, argv, "+") != -1 || optind != argc)
                return cli_usage(cli, "version");
        if ((rc = invoke_query(cli, "docker/system/version", NULL, &out)) != CLI_OK)
                return rc;
        if (json_is_object(out))
                output_kv(out, 0);
        else
                output_json(out);
        json_decref(out);
        return CLI_OK;
}

int system_ping(struct cli *cli, int argc, char **argv)
{
        json_t *out;
        int rc;

        optind = 0;
        if (getopt(argc, argv, "+") != -1 || optind != argc)
                return cli_usage(cli, "ping");
        if ((rc = invoke_query(cli, "docker/system/ping", NULL, &out)) != CLI_OK)
                return rc;
        if (!json_is_true(json_object_get(out, "ok"))) {
                cli_seterr(cli, "docker/system/ping: the engine did not answer ok");
                rc = CLI_FAILED;
        } else
                printf("OK\n");
        json_decref(out);
        return rc;
}

static void info_quota(const char *what, json_t *q)
{
        json_t *lim = json_object_get(q, "limit");

        if (json_is_integer(lim))
                printf(" %s: %lld used of %lld (%lld left)\n", what,
                       (long long)json_integer_value(json_object_get(q, "used")),
                       (long long)json_integer_value(lim),
                       (long long)json_integer_value(json_object_get(q, "left")));
        else
                printf(" %s: %lld used (no quota)\n", what,
                       (long long)json_integer_value(json_object_get(q, "used")));
}

/* info [-f TEMPLATE]: the host as the gateway shows it to this peer, and its quotas. */
int system_info(struct cli *cli, int argc, char **argv)
{
        char size[32], err[256];
        const char *format = NULL;
        json_t *out, *peer, *disk, *rt;
        size_t i;
        int ch, rc;

        optind = 0;
        while ((ch = getopt(argc, argv, "+f:")) != -1) {
                if (ch != 'f')
                        return cli_usage(cli, "info [-f TEMPLATE]");
                format = optarg;
        }
        if (optind != argc)
                return cli_usage(cli, "info [-f TEMPLATE]");
        if ((rc = invoke_query(cli, "docker/system/info", NULL, &out)) != CLI_OK)
                return rc;
        if (format != NULL) {
                if (template_render(stdout, format, out, err, sizeof(err), 0) < 0) {
                        cli_seterr(cli, "%s", err);
                        rc = CLI_FAILED;
                } else
                        putchar('\n');
                json_decref(out);
                return rc;
        }
        peer = json_object_get(out, "peer");
        disk = json_object_get(out, "disk");
        printf("Server Version: %s\n",
               json_string_value(json_object_get(out, "engineVersion")));
        printf("Operating System: %s\n", json_string_value(json_object_get(out, "os")));
        printf("OSType: %s\nArchitecture: %s\nKernel Version: %s\n",
               json_string_value(json_object_get(out, "osType")),
               json_string_value(json_object_get(out, "architecture")),
               json_string_value(json_object_get(out, "kernelVersion")));
        printf("CPUs: %lld\n", (long long)json_integer_value(json_object_get(out, "cpus")));
        units_bytes(size, sizeof(size),
                    (double)json_integer_value(json_object_get(out, "memoryBytes")));
        printf("Total Memory: %s\n", size);
        if (json_is_object(disk)) {
                units_bytes(size, sizeof(size),
                            (double)json_integer_value(json_object_get(disk, "freeBytes")));
                printf("Data Root Free: %s\n", size);
        }
        printf("Runtimes:");
        json_array_foreach(json_object_get(out, "runtimes"), i, rt)
        {
                printf(" %s", json_string_value(rt));
        }
        printf("\nPeer: %s\n", json_string_value(json_object_get(peer, "name")));
        info_quota("Containers", json_object_get(peer, "containers"));
        info_quota("Memory (bytes, live)", json_object_get(peer, "memoryBytes"));
        info_quota("NanoCPUs (live)", json_object_get(peer, "nanoCpus"));
        info_quota("Streams", json_object_get(peer, "streams"));
        json_decref(out);
        return CLI_OK;
}
