/*
 * volume.c - `dockgate volume create|ls|inspect|rm`: the peer's own named
 * volumes (the gateway shows no other, and no host paths).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invoke.h"
#include "output.h"
#include "table.h"

#define VOLUME_USAGE                                                                           \
        "volume create [NAME]\n"                                                               \
        "       dockgate volume ls\n"                                                          \
        "       dockgate volume inspect VOLUME\n"                                              \
        "       dockgate volume rm [-f] VOLUME..."

/* Without a name the gateway picks one; either way it is printed. */
static int volume_create(struct cli *cli, int argc, char **argv)
{
        const char *name;
        json_t *in, *out;
        int rc;

        optind = 0;
        if (getopt(argc, argv, "+") != -1 || argc - optind > 1)
                return cli_usage(cli, "volume create [NAME]");
        if (argc - optind == 1)
                in = json_pack("{s:s}", "name", argv[optind]);
        else
                in = json_object();
        if (in == NULL) {
                cli_seterr(cli, "invalid volume name (not UTF-8?)");
                return CLI_USAGE;
        }
        rc = invoke_query(cli, "docker/volume/create", in, &out);
        json_decref(in);
        if (rc != CLI_OK)
                return rc;
        if ((name = json_string_value(json_object_get(out, "volumeName"))) == NULL) {
                cli_seterr(cli, "docker/volume/create: output without volumeName");
                rc = CLI_FAILED;
        } else {
                char *clean = output_clean(name, strlen(name));

                puts(clean != NULL ? clean : "?");
                free(clean);
        }
        json_decref(out);
        return rc;
}

static int volume_ls(struct cli *cli, int argc, char **argv)
{
        static const char *const hdr[] = {"DRIVER", "VOLUME NAME"};
        const char *row[2];
        struct table t;
        json_t *out, *v;
        size_t i;
        int rc;

        optind = 0;
        if (getopt(argc, argv, "+") != -1 || optind != argc)
                return cli_usage(cli, "volume ls");
        if ((rc = invoke_query(cli, "docker/volume/list", NULL, &out)) != CLI_OK)
                return rc;
        if (!json_is_array(out) || table_init(&t, 2, hdr) == -1) {
                cli_seterr(cli, "docker/volume/list: output is not a list of volumes");
                json_decref(out);
                return CLI_FAILED;
        }
        json_array_foreach(out, i, v)
        {
                row[0] = json_string_value(json_object_get(v, "driver"));
                row[1] = json_string_value(json_object_get(v, "volumeName"));
                table_add(&t, row);
        }
        if (table_print(&t) == -1) {
                cli_seterr(cli, "volume ls: out of memory or write error");
                rc = CLI_FAILED;
        }
        table_free(&t);
        json_decref(out);
        return rc;
}

static int volume_inspect(struct cli *cli, int argc, char **argv)
{
        json_t *out;
        int rc;

        optind = 0;
        if (getopt(argc, argv, "+") != -1 || argc - optind != 1)
                return cli_usage(cli, "volume inspect VOLUME");
        rc = invoke_named(cli, "docker/volume/inspect", "volumeName", argv[optind], &out);
        if (rc == CLI_OK)
                output_json(out);
        json_decref(out);
        return rc;
}

static int volume_rm(struct cli *cli, int argc, char **argv)
{
        json_t *extra = NULL;
        int ch, force = 0, rc;

        optind = 0;
        while ((ch = getopt(argc, argv, "+f")) != -1) {
                if (ch != 'f')
                        return cli_usage(cli, "volume rm [-f] VOLUME...");
                force = 1;
        }
        if (optind == argc)
                return cli_usage(cli, "volume rm [-f] VOLUME...");
        if (force)
                extra = json_pack("{s:b}", "force", 1);
        rc = each_call(cli, "docker/volume/remove", "volumeName", argv + optind, argc - optind,
                       extra);
        json_decref(extra);
        return rc;
}

static const struct volume_cmd {
        const char *name;
        int (*fn)(struct cli *, int, char **);
} volume_cmds[] = {
    {"create", volume_create},
    {"ls", volume_ls},
    {"inspect", volume_inspect},
    {"rm", volume_rm},
};

int volume_verb(struct cli *cli, int argc, char **argv)
{
        size_t i;

        if (argc < 2)
                return cli_usage(cli, VOLUME_USAGE);
        for (i = 0; i < sizeof(volume_cmds) / sizeof(volume_cmds[0]); i++)
                if (strcmp(argv[1], volume_cmds[i].name) == 0)
                        return volume_cmds[i].fn(cli, argc - 1, argv + 1);
        return cli_usage(cli, VOLUME_USAGE);
}
