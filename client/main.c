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
    {"ps", container_ps, "ps [-a] [-q] [--filter KEY=VALUE]... [--format TEMPLATE]",
     "list containers (-a: stopped ones too, -q: IDs only)"},
    {"run", run_verb,
     "run [-d] [-i] [-t] [--rm] [--name NAME] [-e KEY=VALUE]... [-p PORTS] [-v SRC:DST]\n"
     "       [--network NET] [-m SIZE] [--cpus N] [OPTIONS] IMAGE [CMD...]",
     "create and start a container, print its output (-it: interactively, -d: its ID), "
     "exit with its code"},
    {"create", create_verb, "create [OPTIONS as for run] IMAGE [CMD...]",
     "create a container, print its ID"},
    {"exec", exec_verb, "exec [-i] [-t] [-e KEY=VALUE]... [-w DIR] [-u USER] CONTAINER CMD...",
     "run a command in a running container (-i: stdin, -t: terminal), exit with its code"},
    {"attach", attach_verb, "attach [--no-stdin] CONTAINER",
     "connect to a container's main process, exit with its code"},
    {"cp", cp_verb, "cp CONTAINER:SRC DEST|-  or  cp SRC|- CONTAINER:DEST",
     "copy files or directories between a container and here"},
    {"build", build_verb,
     "build [-t NAME[:TAG]] [-f FILE] [--build-arg KEY[=VALUE]]... [--target STAGE]\n"
     "       [--label KEY=VALUE]... [--no-cache] DIR",
     "build an image from DIR's Dockerfile, tagged as yours (<you>/NAME:TAG)"},
    {"logs", container_logs, "logs [-f] [-t] [--tail N] [--since TIME] CONTAINER",
     "print a container's output (-f: follow, -t: timestamps)"},
    {"start", container_start, "start CONTAINER...", "start containers"},
    {"stop", container_stop, "stop [-t SECONDS] CONTAINER...", "stop containers"},
    {"rm", container_rm, "rm [-f] CONTAINER...", "remove containers (-f: running ones too)"},
    {"inspect", container_inspect, "inspect [-f TEMPLATE] CONTAINER...",
     "print a container's details (-f '{{.State.Status}}', '{{json .}}')"},
    {"wait", lifecycle_wait, "wait CONTAINER...",
     "wait for containers to stop, print their exit codes"},
    {"kill", lifecycle_kill, "kill [-s SIGNAL] CONTAINER...",
     "send containers a signal (default SIGKILL)"},
    {"restart", lifecycle_restart, "restart [-t SECONDS] CONTAINER...", "restart containers"},
    {"pause", lifecycle_pause, "pause CONTAINER...", "pause all processes in containers"},
    {"unpause", lifecycle_unpause, "unpause CONTAINER...", "unpause containers"},
    {"top", lifecycle_top, "top CONTAINER", "list a container's processes"},
    {"stats", watch_stats, "stats [--no-stream] CONTAINER",
     "a line of resource usage per sample (--no-stream: one)"},
    {"events", watch_events, "events [--since TIME] [--until TIME] [--type TYPE]...",
     "a line per event about your containers (TIME: UNIX seconds, 10m, RFC 3339)"},
    {"pull", image_pull, "pull IMAGE[:TAG|@DIGEST]", "pull an image, showing progress"},
    {"images", image_list, "images", "list images"},
    {"image", image_inspect,
     "image inspect [-f TEMPLATE] IMAGE... | image ls | image pull IMAGE",
     "an image's details"},
    {"info", system_info, "info [-f TEMPLATE]",
     "the host's CPUs, memory and free disk, and your quotas"},
    {"network", network_verb,
     "network create [--internal] NAME | ls | inspect NETWORK | rm NETWORK...\n"
     "       dockgate network connect|disconnect NETWORK CONTAINER",
     "manage your networks"},
    {"volume", volume_verb, "volume create [NAME] | ls | inspect VOLUME | rm [-f] VOLUME...",
     "manage your volumes"},
    {"version", system_version, "version", "print engine and dockgate versions"},
    {"ping", system_ping, "ping", "check that the engine answers"},
    {"usage", usage_verb, "usage [--peer NAME] [--json]",
     "print a peer's accounting (--peer: admins only)"},
    {"audit", audit_verb, "audit verify FILE...",
     "check an audit log's hash chain, oldest file first (offline)"},
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
        fprintf(fp,
                "\nexit status: 0 success, 1 call.error, 2 usage or connection error,\n"
                "3 stream closed before the call ended, 130 interrupted;\n"
                "run exits with the container's exit code (wait prints it and exits 0),\n"
                "or as docker run does: 125 the gateway refused or failed, 126 the command\n"
                "cannot be run, 127 it was not found.\n");
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

/* The flag a getopt refused, named, with the nearest one or why it is refused (flags.c). */
static void main_flag_error(const char *who)
{
        char why[256];

        if (flags_explain(why, sizeof(why)))
                fprintf(stderr, "%s: %s\n", who, why);
}

/*
 * What to do next, said where the answer alone would not: a missing image
 * is pulled first.
 */
static void main_hint(struct cli *cli)
{
        const char *ref = strstr(cli->err, "no such image: ");
        size_t n = strlen(cli->err);

        if (strcmp(cli->errcode, "NOT_FOUND") != 0 || ref == NULL)
                return;
        ref += strlen("no such image: ");
        snprintf(cli->err + n, sizeof(cli->err) - n, " (pull it first: dockgate pull %.*s)",
                 (int)strcspn(ref, " ;,)"), ref);
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
                        main_flag_error("dockgate");
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
        if (rc == CLI_USAGE)
                main_flag_error(name);
        /* run and create fail as docker's do: 125 the gateway, 126/127 the command. */
        if ((strcmp(v->name, "run") == 0 || strcmp(v->name, "create") == 0) && rc != CLI_OK &&
            rc != CLI_ABORTED && cli.err[0] != '\0')
                rc = cli_run_status(&cli);
        main_hint(&cli);
        if (rc != CLI_OK && cli.err[0] != '\0')
                fprintf(stderr, "dockgate: %s\n", cli.err);
        dgc_close(cli.conn);
        return rc;
}
