/*
 * invoke.h - running one call to its terminal frame, for the dockgate tool.
 *
 * SIGINT is kept blocked except while waiting for the server, so it can
 * only arrive there: the first one sends call.aborted and the call still
 * waits for its terminal frame; a second one gives up at once.
 */
#ifndef DG_INVOKE_H
#define DG_INVOKE_H

#include <jansson.h>

#include "cli.h"

struct invoke_hooks {
        /* Every frame of the call, as received (may be NULL). */
        void (*frame)(const struct dgc_frame *f, void *arg);
        /*
         * Each call.responded output (may be NULL).  Returning -1 (with
         * cli->err set) aborts the call, which then fails with CLI_FAILED.
         */
        int (*output)(struct cli *cli, json_t *output, void *arg);
        void *arg;
};

/* Runs op; input is borrowed (NULL: {}).  Returns an exit status. */
int invoke_run(struct cli *cli, const char *op, json_t *input, const struct invoke_hooks *h);
/*
 * For queries and mutations: runs op and hands back its output (a new
 * reference; JSON null when the server sent none) on CLI_OK.
 */
int invoke_query(struct cli *cli, const char *op, json_t *input, json_t **output);
/*
 * invoke_query on one named resource: input {key: name}.  A name that
 * cannot be sent (not UTF-8) is a usage error.
 */
int invoke_named(struct cli *cli, const char *op, const char *key, const char *name,
                 json_t **output);

#endif
