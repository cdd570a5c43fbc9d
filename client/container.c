/*
 * container.c - the container verbs of the dockgate tool: ps, logs, rm,
 * start, stop, inspect.  Each builds one operation's input and prints its
 * output; run (run.c) strings several together.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "invoke.h"
#include "output.h"

int container_ps(struct cli *cli, int argc, char **argv)
{
        json_t *in, *out;
        int ch, all = 0, rc;

        optind = 0;
        while ((ch = getopt(argc, argv, "+a")) != -1) {
                if (ch != 'a')
                        return cli_usage(cli, "ps [-a]");
                all = 1;
        }
        if (optind != argc)
                return cli_usage(cli, "ps [-a]");
        in = all ? json_pack("{s:b}", "all", 1) : json_object();
        rc = invoke_query(cli, "docker/container/list", in, &out);
        json_decref(in);
        if (rc != CLI_OK)
                return rc;
        if (!json_is_array(out)) {
                cli_seterr(cli, "docker/container/list: output is not a list of containers");
                rc = CLI_FAILED;
        } else if (output_ps(out) == -1) {
                cli_seterr(cli, "ps: out of memory or write error");
                rc = CLI_FAILED;
        }
        json_decref(out);
        return rc;
}

static int container_log_record(struct cli *cli, json_t *output, void *arg)
{
        char err[256];

        (void)arg;
        if (output_record(output, err, sizeof(err)) == -1) {
                cli_seterr(cli, "%s", err);
                return -1;
        }
        return 0;
}

/* Follows or dumps a container's logs; run uses it too. */
int container_follow_logs(struct cli *cli, const char *container, int follow)
{
        struct invoke_hooks h = {NULL, container_log_record, NULL};
        json_t *in;
        int rc;

        in = json_pack("{s:s, s:b, s:b, s:b}", "containerId", container, "follow", follow,
                       "stdout", 1, "stderr", 1);
        if (in == NULL) {
                cli_seterr(cli, "invalid container name");
                return CLI_USAGE;
        }
        rc = invoke_run(cli, "docker/container/logs", in, &h);
        json_decref(in);
        return rc;
}

int container_logs(struct cli *cli, int argc, char **argv)
{
        int ch, follow = 0;

        optind = 0;
        while ((ch = getopt(argc, argv, "+f")) != -1) {
                if (ch != 'f')
                        return cli_usage(cli, "logs [-f] CONTAINER");
                follow = 1;
        }
        if (argc - optind != 1)
                return cli_usage(cli, "logs [-f] CONTAINER");
        return container_follow_logs(cli, argv[optind], follow);
}

/* Runs op on each container named in argv[first..argc) (each.c). */
static int container_each(struct cli *cli, const char *op, int first, int argc, char **argv,
                          json_t *extra)
{
        return each_call(cli, op, "containerId", argv + first, argc - first, extra);
}

int container_rm(struct cli *cli, int argc, char **argv)
{
        int ch, force = 0, rc;
        json_t *extra;

        optind = 0;
        while ((ch = getopt(argc, argv, "+f")) != -1) {
                if (ch != 'f')
                        return cli_usage(cli, "rm [-f] CONTAINER...");
                force = 1;
        }
        if (optind == argc)
                return cli_usage(cli, "rm [-f] CONTAINER...");
        extra = force ? json_pack("{s:b}", "force", 1) : NULL;
        rc = container_each(cli, "docker/container/remove", optind, argc, argv, extra);
        json_decref(extra);
        return rc;
}

int container_start(struct cli *cli, int argc, char **argv)
{
        optind = 0;
        if (getopt(argc, argv, "+") != -1 || optind == argc)
                return cli_usage(cli, "start CONTAINER...");
        return container_each(cli, "docker/container/start", optind, argc, argv, NULL);
}

int container_stop(struct cli *cli, int argc, char **argv)
{
        json_t *extra = NULL;
        long timeout = -1;
        char *end;
        int ch, rc;

        optind = 0;
        while ((ch = getopt(argc, argv, "+t:")) != -1) {
                if (ch != 't')
                        return cli_usage(cli, "stop [-t SECONDS] CONTAINER...");
                timeout = strtol(optarg, &end, 10);
                if (*optarg == '\0' || *end != '\0' || timeout < 0 || timeout > INT_MAX)
                        return cli_usage(cli, "stop [-t SECONDS] CONTAINER...");
        }
        if (optind == argc)
                return cli_usage(cli, "stop [-t SECONDS] CONTAINER...");
        if (timeout >= 0)
                extra = json_pack("{s:I}", "timeoutSeconds", (json_int_t)timeout);
        rc = container_each(cli, "docker/container/stop", optind, argc, argv, extra);
        json_decref(extra);
        return rc;
}

int container_inspect(struct cli *cli, int argc, char **argv)
{
        json_t *out;
        int rc;

        optind = 0;
        if (getopt(argc, argv, "+") != -1 || argc - optind != 1)
                return cli_usage(cli, "inspect CONTAINER");
        rc = invoke_named(cli, "docker/container/inspect", "containerId", argv[optind], &out);
        if (rc == CLI_OK)
                output_json(out);
        json_decref(out);
        return rc;
}
