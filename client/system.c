/*
 * system.c - the system verbs of the dockgate tool: version and ping.
 */
#include <getopt.h>
#include <stdio.h>

#include "invoke.h"
#include "output.h"

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
