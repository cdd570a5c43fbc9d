/*
 * main.c - `dockgate`, the command-line peer of dockgated.
 *
 *     dockgate [--socket PATH] [--id ID] VERB [ARGS...]
 *
 * Global options come before the verb; each verb parses its own.  Verbs
 * live in one table: name, function, usage, one line of help.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invoke.h"

#define MAIN_USAGE "usage: dockgate [--socket PATH] [--id ID] VERB [ARGS...]"

struct main_verb {
        const char *name;
        int (*fn)(struct cli *, int, char **);
        const char *usage;
        const char *help;
};

static int main_help(struct cli *cli, int argc, char **argv);

static const struct main_verb main_verbs[] = {
    {"call", invoke_verb, "call OPERATION [JSON-INPUT|-]",
     "send one call, print each frame received as a JSON line"},
    {"ps", container_ps, "ps [-a]", "list containers (-a: stopped ones too)"},
    {"run", run_verb, "run [--rm] [--name NAME] [-e KEY=VALUE]... IMAGE [CMD...]",
     "create and start a container, print its output, exit with its code"},
    {"logs", container_logs, "logs [-f] CONTAINER", "print a container's output (-f: follow)"},
    {"start", container_start, "start CONTAINER...", "start containers"},
    {"stop", container_stop, "stop [-t SECONDS] CONTAINER...", "stop containers"},
    {"rm", container_rm, "rm [-f] CONTAINER...", "remove containers (-f: running ones too)"},
    {"inspect", container_inspect, "inspect CONTAINER", "print a container's details"},
    {"version", system_version, "version", "print engine and dockgate versions"},
    {"ping", system_ping, "ping", "check that the engine answers"},
    {"help", main_help, "help [VERB]", "list verbs, or show one verb's usage"},
};

#define MAIN_NVERBS (sizeof(main_verbs) / sizeof(main_verbs[0]))

static const struct main_verb *main_find(const char *name)
{
        size_t i;

        for (i = 0; i < MAIN_NVERBS; i++)
                if (strcmp(main_verbs[i].name, name) == 0)
                        return &main_verbs[i];
        return NULL;
}

static void main_list(FILE *fp)
{
        size_t i;

        fprintf(fp,
                "%s\n\n"
                "  --socket PATH  server socket (default $DOCKGATE_SOCKET, else %s)\n"
                "  --id ID        call id echoed on every frame (default %s)\n\n"
                "verbs:\n",
                MAIN_USAGE, CLI_DEFAULT_SOCKET, CLI_DEFAULT_ID);
        for (i = 0; i < MAIN_NVERBS; i++)
                fprintf(fp, "  %-8s %s\n", main_verbs[i].name, main_verbs[i].help);
        fprintf(fp, "\nexit status: 0 success, 1 call.error, 2 usage or connection error,\n"
                    "3 stream closed before the call ended, 130 interrupted;\n"
                    "run exits with the container's exit code.\n");
}

static int main_help(struct cli *cli, int argc, char **argv)
{
        const struct main_verb *v;

        if (argc == 1) {
                main_list(stdout);
                return CLI_OK;
        }
        if (argc != 2 || *argv[1] == '-')
                return cli_usage(cli, "help [VERB]");
        if ((v = main_find(argv[1])) == NULL) {
                cli_seterr(cli, "unknown verb: %s", argv[1]);
                return CLI_USAGE;
        }
        printf("usage: dockgate %s\n  %s\n", v->usage, v->help);
        return CLI_OK;
}

/* Global options; returns the index of the verb, or -1 after printing why not. */
static int main_options(struct cli *cli, int argc, char **argv)
{
        static const struct option longopts[] = {
            {"socket", required_argument, NULL, 's'},
            {"id", required_argument, NULL, 'i'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        const char *env;
        int ch;

        env = getenv("DOCKGATE_SOCKET");
        cli->addr = env != NULL && *env != '\0' ? env : CLI_DEFAULT_SOCKET;
        cli->id = CLI_DEFAULT_ID;
        while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
                switch (ch) {
                case 's':
                        cli->addr = optarg;
                        break;
                case 'i':
                        cli->id = optarg;
                        break;
                case 'h':
                        main_list(stdout);
                        exit(CLI_OK);
                default:
                        fprintf(stderr, "%s\n", MAIN_USAGE);
                        return -1;
                }
        }
        if (!envelope_id_valid(cli->id)) {
                fprintf(stderr, "dockgate: --id: 1 to 128 printable ASCII characters\n");
                return -1;
        }
        if (optind == argc) {
                main_list(stderr);
                return -1;
        }
        return optind;
}

int main(int argc, char **argv)
{
        const struct main_verb *v;
        struct cli cli;
        char name[32];
        int first, rc;

        memset(&cli, 0, sizeof(cli));
        if ((first = main_options(&cli, argc, argv)) == -1)
                return CLI_USAGE;
        if ((v = main_find(argv[first])) == NULL) {
                fprintf(stderr, "dockgate: unknown verb: %s (see dockgate help)\n",
                        argv[first]);
                return CLI_USAGE;
        }
        /* getopt names the verb in its messages: "dockgate ps: invalid option". */
        snprintf(name, sizeof(name), "dockgate %s", v->name);
        argv[first] = name;
        rc = v->fn(&cli, argc - first, argv + first);
        fflush(stdout);
        if (rc != CLI_OK && cli.err[0] != '\0')
                fprintf(stderr, "dockgate: %s\n", cli.err);
        dgc_close(cli.conn);
        return rc;
}
