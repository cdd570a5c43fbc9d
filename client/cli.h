/*
 * cli.h - the dockgate command-line tool: shared state, exit statuses, and
 * the verbs listed in main.c's verb table.
 */
#ifndef DG_CLI_H
#define DG_CLI_H

#include "dgclient.h"

#define CLI_DEFAULT_SOCKET "/run/dockgate/dockgate.sock"
#define CLI_DEFAULT_ID "c1"

/* Exit statuses: a verb returns one of these (run returns the container's code). */
enum cli_exit {
        CLI_OK = 0,
        CLI_FAILED = 1,   /* call.error, or output the tool could not use */
        CLI_USAGE = 2,    /* bad arguments, or no connection to the server */
        CLI_CLOSED = 3,   /* the server closed (or broke) the stream before a terminal frame */
        CLI_ABORTED = 130 /* interrupted by SIGINT (128 + 2, as shells report it) */
};

struct cli {
        const char *addr; /* --socket */
        const char *id;   /* --id: the call id of every call */
        struct dgc *conn; /* opened by the first call, reused by the next ones */
        int forced;       /* a second SIGINT: give up at once, no cleanup calls */
        char errcode[32]; /* the code of the last call.error, "" otherwise */
        char err[1024];   /* printed by main when a verb fails; "" when nothing to say */
};

/* cli.c */
void cli_seterr(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_usage(struct cli *cli, const char *usage);

/* container.c: logs of a container to stdout/stderr, as `logs` and run print them. */
int container_follow_logs(struct cli *cli, const char *container, int follow);

/* Verbs: argv[0] is the verb's name; each returns an exit status. */
int invoke_verb(struct cli *cli, int argc, char **argv);
int container_ps(struct cli *cli, int argc, char **argv);
int container_logs(struct cli *cli, int argc, char **argv);
int container_rm(struct cli *cli, int argc, char **argv);
int container_start(struct cli *cli, int argc, char **argv);
int container_stop(struct cli *cli, int argc, char **argv);
int container_inspect(struct cli *cli, int argc, char **argv);
int run_verb(struct cli *cli, int argc, char **argv);
int system_version(struct cli *cli, int argc, char **argv);
int system_ping(struct cli *cli, int argc, char **argv);

#endif
