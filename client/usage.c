/*
 * usage.c - `dockgate usage [--peer NAME] [--json]`: a peer's accounting
 * (gateway/usage) as a table for people, or as one JSON line for programs.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "invoke.h"
#include "output.h"

#define USAGE_USAGE "usage [--peer NAME] [--json]"

/* Server text for a terminal: control characters shown as '?' (output_clean). */
static void usage_puts(const char *s, int width)
{
        char *clean = output_clean(s != NULL ? s : "-", s != NULL ? strlen(s) : 1);

        printf("%-*s", width, clean != NULL ? clean : "?");
        free(clean);
}

static void usage_bytes(char *buf, size_t len, double v)
{
        static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
        size_t u = 0;

        while (v >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
                v /= 1024;
                u++;
        }
        snprintf(buf, len, u == 0 ? "%.0f %s" : "%.1f %s", v, unit[u]);
}

static double usage_num(json_t *obj, const char *key)
{
        return json_number_value(json_object_get(obj, key));
}

static void usage_summary(json_t *u)
{
        json_t *ctrs = json_object_get(u, "containers");
        char in[32], out[32], mem[32], peak[32];

        usage_bytes(in, sizeof(in), usage_num(u, "bytesReceived"));
        usage_bytes(out, sizeof(out), usage_num(u, "bytesSent"));
        usage_bytes(mem, sizeof(mem), usage_num(u, "memoryBytes"));
        usage_bytes(peak, sizeof(peak), usage_num(u, "memoryPeakBytes"));
        printf("%-12s", "PEER");
        usage_puts(json_string_value(json_object_get(u, "peer")), 0);
        printf("\n%-12s", "SINCE");
        usage_puts(json_string_value(json_object_get(u, "since")), 0);
        printf("\n%-12s%.0f\n", "CALLS", usage_num(json_object_get(u, "calls"), "total"));
        printf("%-12s%s received, %s sent\n", "BYTES", in, out);
        printf("%-12s%.0f live\n", "STREAMS", usage_num(u, "liveStreams"));
        printf("%-12s%.0f owned, %.0f running\n", "CONTAINERS", usage_num(ctrs, "owned"),
               usage_num(ctrs, "running"));
        printf("%-12s%.3f s\n", "CPU", usage_num(u, "cpuSeconds"));
        printf("%-12s%s now, %s peak\n", "MEMORY", mem, peak);
        printf("%-12s", "SAMPLED");
        usage_puts(json_string_value(json_object_get(u, "sampledAt")), 0);
        printf("\n");
}

static void usage_calls(json_t *u)
{
        json_t *by = json_object_get(json_object_get(u, "calls"), "byOperation"), *res, *n;
        const char *op, *code;

        if (json_object_size(by) == 0)
                return;
        printf("\n%-36s %-16s %10s\n", "OPERATION", "RESULT", "CALLS");
        json_object_foreach(by, op, res)
        {
                json_object_foreach(res, code, n)
                {
                        usage_puts(op, 36);
                        printf(" ");
                        usage_puts(code, 16);
                        printf(" %10.0f\n", json_number_value(n));
                }
        }
}

static void usage_containers(json_t *u)
{
        json_t *items = json_object_get(json_object_get(u, "containers"), "items"), *c;
        size_t i;

        if (json_array_size(items) == 0)
                return;
        printf("\n%-14s %-8s %12s %12s\n", "CONTAINER", "RUNNING", "CPU (s)", "MEMORY");
        json_array_foreach(items, i, c)
        {
                char id[13], mem[32];
                snprintf(id, sizeof(id), "%s",
                         json_string_value(json_object_get(c, "id")) != NULL
                             ? json_string_value(json_object_get(c, "id"))
                             : "-");
                usage_bytes(mem, sizeof(mem), usage_num(c, "memoryBytes"));
                usage_puts(id, 14);
                printf(" %-8s %12.3f %12s\n",
                       json_is_true(json_object_get(c, "running")) ? "yes" : "no",
                       usage_num(c, "cpuSeconds"), mem);
        }
}

int usage_verb(struct cli *cli, int argc, char **argv)
{
        static const struct option longopts[] = {
            {"peer", required_argument, NULL, 'p'},
            {"json", no_argument, NULL, 'j'},
            {NULL, 0, NULL, 0},
        };
        const char *peer = NULL;
        json_t *input, *out;
        int ch, as_json = 0, rc;

        optind = 0;
        while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
                if (ch == 'p')
                        peer = optarg;
                else if (ch == 'j')
                        as_json = 1;
                else
                        return cli_usage(cli, USAGE_USAGE);
        }
        if (optind != argc)
                return cli_usage(cli, USAGE_USAGE);
        input = peer != NULL ? json_pack("{s:s}", "peer", peer) : json_object();
        if (input == NULL) {
                cli_seterr(cli, "--peer: not a valid UTF-8 name");
                return CLI_USAGE;
        }
        rc = invoke_query(cli, "gateway/usage", input, &out);
        json_decref(input);
        if (rc != CLI_OK)
                return rc;
        if (!json_is_object(out)) {
                cli_seterr(cli, "gateway/usage: the server's output is not an object");
                json_decref(out);
                return CLI_FAILED;
        }
        if (as_json) {
                json_dumpf(out, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
                fputc('\n', stdout);
        } else {
                usage_summary(out);
                usage_calls(out);
                usage_containers(out);
        }
        json_decref(out);
        return CLI_OK;
}
