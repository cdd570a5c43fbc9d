/*
 * container.c - the container verbs of the dockgate tool: ps, logs, rm,
 * start, stop, inspect.  Each builds one operation's input and prints its
 * output; run (run.c) strings several together.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "invoke.h"
#include "output.h"
#include "template.h"

#define PS_USAGE "ps [-a] [-q] [--filter KEY=VALUE]... [--format TEMPLATE]"

/* What a ps template sees: docker's field names for one list element. */
static json_t *ps_view(json_t *c)
{
        json_t *names = json_object_get(c, "names"), *v, *out;
        const char *id = json_string_value(json_object_get(c, "containerId")), *k;
        char shortid[13], *buf = NULL, *lab = NULL, *ports = NULL;
        size_t i, len = 0, llen = 0, plen = 0;
        FILE *f;

        snprintf(shortid, sizeof(shortid), "%s", id ? id : "");
        if ((f = open_memstream(&buf, &len)) != NULL) {
                json_array_foreach(names, i, v)
                {
                        const char *n = json_string_value(v);
                        fprintf(f, "%s%s", i ? "," : "", n ? n + (n[0] == '/') : "");
                }
                fclose(f);
        }
        if ((f = open_memstream(&lab, &llen)) != NULL) {
                i = 0;
                json_object_foreach(json_object_get(c, "labels"), k, v)
                {
                        fprintf(f, "%s%s=%s", i++ ? "," : "", k,
                                json_string_value(v) ? json_string_value(v) : "");
                }
                fclose(f);
        }
        if ((f = open_memstream(&ports, &plen)) != NULL) {
                i = 0;
                json_object_foreach(json_object_get(c, "ports"), k, v)
                {
                        fprintf(f, "%s%s->%s", i++ ? ", " : "",
                                json_string_value(v) ? json_string_value(v) : "", k);
                }
                fclose(f);
        }
        out = json_pack("{s:s,s:s,s:s?,s:s?,s:s?,s:s,s:s,s:s?,s:O?}", "ID", shortid, "Names",
                        buf ? buf : "", "Image", json_string_value(json_object_get(c, "image")),
                        "Status", json_string_value(json_object_get(c, "status")), "State",
                        json_string_value(json_object_get(c, "state")), "Labels",
                        lab ? lab : "", "Ports", ports ? ports : "", "Health",
                        json_string_value(json_object_get(c, "health")), "CreatedAt",
                        json_object_get(c, "created"));
        free(buf);
        free(lab);
        free(ports);
        return out;
}

static int ps_print(struct cli *cli, json_t *list, int quiet, const char *format)
{
        char err[256];
        json_t *c, *view;
        size_t i;

        if (!quiet && format == NULL)
                return output_ps(list) == -1 ? -1 : 0;
        json_array_foreach(list, i, c)
        {
                if (quiet) {
                        const char *id = json_string_value(json_object_get(c, "containerId"));
                        printf("%.12s\n", id ? id : "");
                        continue;
                }
                if ((view = ps_view(c)) == NULL)
                        return -1;
                if (template_render(stdout, format, view, err, sizeof(err), 0) < 0) {
                        json_decref(view);
                        cli_seterr(cli, "%s", err);
                        return -1;
                }
                putchar('\n');
                json_decref(view);
        }
        return 0;
}

int container_ps(struct cli *cli, int argc, char **argv)
{
        static const struct option longopts[] = {
            {"all", no_argument, NULL, 'a'},
            {"quiet", no_argument, NULL, 'q'},
            {"filter", required_argument, NULL, 'f'},
            {"format", required_argument, NULL, 'F'},
            {NULL, 0, NULL, 0},
        };
        json_t *in, *out, *filters;
        const char *format = NULL;
        char err[256];
        int ch, all = 0, quiet = 0, rc;

        if ((filters = json_array()) == NULL)
                return CLI_FAILED;
        optind = 0;
        while ((ch = getopt_long(argc, argv, "+aqf:", longopts, NULL)) != -1) {
                if (ch == 'a')
                        all = 1;
                else if (ch == 'q')
                        quiet = 1;
                else if (ch == 'f')
                        json_array_append_new(filters, json_string(optarg));
                else if (ch == 'F')
                        format = optarg;
                else {
                        json_decref(filters);
                        return cli_usage(cli, PS_USAGE);
                }
        }
        if (optind != argc) {
                json_decref(filters);
                return cli_usage(cli, PS_USAGE);
        }
        if (format != NULL && template_check(format, err, sizeof(err)) < 0) {
                json_decref(filters);
                cli_seterr(cli, "--format: %s", err);
                return CLI_USAGE;
        }
        in = json_pack("{s:b,s:o}", "all", all, "filters", filters);
        rc = invoke_query(cli, "docker/container/list", in, &out);
        json_decref(in);
        if (rc != CLI_OK)
                return rc;
        if (!json_is_array(out)) {
                cli_seterr(cli, "docker/container/list: output is not a list of containers");
                rc = CLI_FAILED;
        } else if (ps_print(cli, out, quiet, format) == -1) {
                if (cli->err[0] == '\0')
                        cli_seterr(cli, "ps: out of memory or write error");
                rc = CLI_FAILED;
        }
        json_decref(out);
        return rc;
}

static int container_log_record(struct cli *cli, json_t *output, void *arg)
{
        const char *ts = json_string_value(json_object_get(output, "timestamp"));
        const char *stream = json_string_value(json_object_get(output, "stream"));
        char err[256];

        (void)arg;
        /* -t: docker's "<RFC 3339 nanoseconds> " before the record, on its own stream. */
        if (ts != NULL) {
                FILE *f = stream != NULL && strcmp(stream, "stderr") == 0 ? stderr : stdout;
                fflush(stdout);
                fprintf(f, "%s ", ts);
                fflush(f);
        }
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

#define LOGS_USAGE "logs [-f] [-t] [--tail N|all] [--since TIME] CONTAINER"

int container_logs(struct cli *cli, int argc, char **argv)
{
        static const struct option longopts[] = {
            {"follow", no_argument, NULL, 'f'},
            {"timestamps", no_argument, NULL, 't'},
            {"tail", required_argument, NULL, 'n'},
            {"since", required_argument, NULL, 's'},
            {NULL, 0, NULL, 0},
        };
        struct invoke_hooks h = {NULL, container_log_record, NULL};
        const char *tail = NULL;
        json_int_t since = -1;
        int ch, follow = 0, ts = 0, rc;
        json_t *in;

        optind = 0;
        while ((ch = getopt_long(argc, argv, "+ftn:", longopts, NULL)) != -1) {
                if (ch == 'f')
                        follow = 1;
                else if (ch == 't')
                        ts = 1;
                else if (ch == 'n')
                        tail = optarg;
                else if (ch == 's') {
                        if (watch_parse_time(optarg, time(NULL), &since) < 0) {
                                cli_seterr(cli,
                                           "--since %s: UNIX seconds, a duration such as "
                                           "10m, or an RFC 3339 time",
                                           optarg);
                                return CLI_USAGE;
                        }
                } else
                        return cli_usage(cli, LOGS_USAGE);
        }
        if (argc - optind != 1)
                return cli_usage(cli, LOGS_USAGE);
        if (tail != NULL && strcmp(tail, "all") != 0 &&
            strspn(tail, "0123456789") != strlen(tail)) {
                cli_seterr(cli, "--tail %s: a number of lines or all", tail);
                return CLI_USAGE;
        }
        in = json_pack("{s:s,s:b,s:b,s:b,s:b}", "containerId", argv[optind], "follow", follow,
                       "stdout", 1, "stderr", 1, "timestamps", ts);
        if (in == NULL) {
                cli_seterr(cli, "invalid container name");
                return CLI_USAGE;
        }
        if (tail != NULL)
                json_object_set_new(in, "tail", json_string(tail));
        if (since >= 0)
                json_object_set_new(in, "since", json_integer(since));
        rc = invoke_run(cli, "docker/container/logs", in, &h);
        json_decref(in);
        return rc;
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

/* inspect and image inspect: the document, or -f TEMPLATE applied to it. */
int container_inspect_doc(struct cli *cli, int argc, char **argv, const char *op,
                          const char *key, const char *usage)
{
        static const struct option longopts[] = {
            {"format", required_argument, NULL, 'f'},
            {NULL, 0, NULL, 0},
        };
        const char *format = NULL;
        char err[256];
        json_t *out;
        int ch, rc, i, first;

        optind = 0;
        while ((ch = getopt_long(argc, argv, "+f:", longopts, NULL)) != -1) {
                if (ch != 'f')
                        return cli_usage(cli, usage);
                format = optarg;
        }
        if (optind == argc)
                return cli_usage(cli, usage);
        if (format != NULL && template_check(format, err, sizeof(err)) < 0) {
                cli_seterr(cli, "--format: %s", err);
                return CLI_USAGE;
        }
        first = optind;
        for (i = first, rc = CLI_OK; i < argc; i++) {
                int one = invoke_named(cli, op, key, argv[i], &out);
                if (one != CLI_OK) {
                        rc = rc == CLI_OK ? one : rc;
                        continue;
                }
                if (format == NULL)
                        output_json(out);
                else if (template_render(stdout, format, out, err, sizeof(err), 0) < 0) {
                        cli_seterr(cli, "%s", err);
                        rc = CLI_FAILED;
                } else
                        putchar('\n');
                json_decref(out);
        }
        fflush(stdout);
        return rc;
}

int container_inspect(struct cli *cli, int argc, char **argv)
{
        return container_inspect_doc(cli, argc, argv, "docker/container/inspect", "containerId",
                                     "inspect [-f TEMPLATE] CONTAINER...");
}
