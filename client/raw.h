/*
 * raw.h - one raw-carriage call from the dockgate tool (PROTOCOL.md 3):
 * local input becomes stdin chunks, stdout and stderr chunks become local
 * output, until the server's control exit or error.
 *
 * Both directions run at once (poll), so that a process echoing its input
 * (cat) never deadlocks against the tool.  With tty set, the local terminal
 * is put in raw mode for the session and restored on every exit path, and
 * its window size is sent at the start and on every SIGWINCH.  Without a
 * terminal, the first SIGINT sends control abort and a second one gives up.
 */
#ifndef DG_RAW_H
#define DG_RAW_H

#include <jansson.h>

#include "cli.h"

struct raw_io {
        int in_fd;  /* stdin chunks from here until EOF; -1: none (no end is sent either) */
        int out_fd; /* stdout chunks */
        int err_fd; /* stderr chunks */
        int tty;    /* in_fd is the local terminal: raw mode, window size */
        /* Called once the session is up (before any chunk), e.g. to start the container. */
        int (*opened)(void *arg); /* returns a CLI status; NULL: none */
        void *opened_arg;
};

/*
 * Runs op on a connection of its own (a raw call owns its stream).
 * Returns CLI_OK with *exit_code from the control exit, or a failure status
 * with cli->err (and cli->errcode for call.error or control error) set.
 */
int raw_run(struct cli *cli, const char *op, json_t *input, const struct raw_io *io,
            int *exit_code);

#endif
