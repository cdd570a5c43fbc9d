/*
 * network.c - `dockgate network create|ls|inspect|rm|connect|disconnect`:
 * the peer's own networks (the gateway shows no other).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invoke.h"
#include "output.h"
#include "table.h"

#define NETWORK_USAGE                                                                          \
        "network create [--internal] NAME\n"                                                   \
        "       dockgate network ls\n"                                                         \
        "       dockgate network inspect NETWORK\n"                                            \
        "       dockgate network rm NETWORK...\n"                                              \
        "       dockgate network connect|disconnect NETWORK CONTAINER"

static int network_create(struct cli *cli, int argc, char **argv)
{
        static const struct option longopts[] = {
            {"internal", no_argument, NULL, 'i'},
            {NULL, 0, NULL, 0},
        };
        const char *id;
        json_t *in, *out;
        int ch, internal = 0, rc;

        optind = 0;
        while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
                if (ch != 'i')
                        return cli_usage(cli, "network create [--internal] NAME");
                internal = 1;
        }
        if (argc - optind != 1)
                return cli_usage(cli, "network create [--internal] NAME");
        if ((in = json_pack("{s:s,s:b}", "name", argv[optind], "internal", internal)) == NULL) {
                cli_seterr(cli, "invalid network name (not UTF-8?)");
                return CLI_USAGE;
        }
        rc = invoke_query(cli, "docker/network/create", in, &out);
        json_decref(in);
        if (rc != CLI_OK)
                return rc;
        if ((id = json_string_value(json_object_get(out, "networkId"))) == NULL) {
                cli_seterr(cli, "docker/network/create: output without networkId");
                rc = CLI_FAILED;
        } else {
                char *clean = output_clean(id, strlen(id));

                puts(clean != NULL ? clean : "?");
                free(clean);
        }
        json_decref(out);
        return rc;
}

/* One row of the list: {"networkId", "name", "driver", "internal", ...}. */
static void network_row(struct table *t, json_t *n)
{
        const char *id = json_string_value(json_object_get(n, "networkId"));
        char shortid[13];
        const char *row[4] = {shortid, json_string_value(json_object_get(n, "name")),
                              json_string_value(json_object_get(n, "driver")),
                              json_is_true(json_object_get(n, "internal")) ? "true" : "false"};

        snprintf(shortid, sizeof(shortid), "%s", id != NULL ? id : "");
        table_add(t, row);
}

static int network_ls(struct cli *cli, int argc, char **argv)
{
        static const char *const hdr[] = {"NETWORK ID", "NAME", "DRIVER", "INTERNAL"};
        struct table t;
        json_t *out, *n;
        size_t i;
        int rc;

        optind = 0;
        if (getopt(argc, argv, "+") != -1 || optind != argc)
                return cli_usage(cli, "network ls");
        if ((rc = invoke_query(cli, "docker/network/list", NULL, &out)) != CLI_OK)
                return rc;
        if (!json_is_array(out) || table_init(&t, 4, hdr) == -1) {
                cli_seterr(cli, "docker/network/list: output is not a list of networks");
                json_decref(out);
                return CLI_FAILED;
        }
        json_array_foreach(out, i, n)
        {
                network_row(&t, n);
        }
        if (table_print(&t) == -1) {
                cli_seterr(cli, "network ls: out of memory or write error");
                rc = CLI_FAILED;
        }
        table_free(&t);
        json_decref(out);
        return rc;
}

static int network_inspect(struct cli *cli, int argc, char **argv)
{
        json_t *out;
        int rc;

        optind = 0;
        if (getopt(argc, argv, "+") != -1 || argc - optind != 1)
                return cli_usage(cli, "network inspect NETWORK");
        rc = invoke_named(cli, "docker/network/inspect", "networkId", argv[optind], &out);
        if (rc == CLI_OK)
                output_json(out);
        json_decref(out);
        return rc;
}

static int network_rm(struct cli *cli, int argc, char **argv)
{
        optind = 0;
        if (getopt(argc, argv, "+") != -1 || optind == argc)
                return cli_usage(cli, "network rm NETWORK...");
        return each_call(cli, "docker/network/remove", "networkId", argv + optind,
                         argc - optind, NULL);
}

/* connect and disconnect: argv[0] says which. */
static int network_attach(struct cli *cli, int argc, char **argv)
{
        char op[64];
        json_t *in, *out;
        int rc;

        optind = 0;
        if (getopt(argc, argv, "+") != -1 || argc - optind != 2)
                return cli_usage(cli, "network connect|disconnect NETWORK CONTAINER");
        snprintf(op, sizeof(op), "docker/network/%s", argv[0]);
        in = json_pack("{s:s,s:s}", "networkId", argv[optind], "containerId", argv[optind + 1]);
        if (in == NULL) {
                cli_seterr(cli, "invalid name (not UTF-8?)");
                return CLI_USAGE;
        }
        rc = invoke_query(cli, op, in, &out);
        json_decref(in);
        json_decref(out);
        return rc;
}

static const struct network_cmd {
        const char *name;
        int (*fn)(struct cli *, int, char **);
} network_cmds[] = {
    {"create", network_create}, {"ls", network_ls},          {"inspect", network_inspect},
    {"rm", network_rm},         {"connect", network_attach}, {"disconnect", network_attach},
};

int network_verb(struct cli *cli, int argc, char **argv)
{
        size_t i;

        if (argc < 2)
                return cli_usage(cli, NETWORK_USAGE);
        for (i = 0; i < sizeof(network_cmds) / sizeof(network_cmds[0]); i++)
                if (strcmp(argv[1], network_cmds[i].name) == 0)
                        return network_cmds[i].fn(cli, argc - 1, argv + 1);
        return cli_usage(cli, NETWORK_USAGE);
}
