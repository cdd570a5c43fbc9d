/*
 * raw.c - one raw-carriage session of the dockgate tool (raw.h).
 *
 * One loop polls the local input and the stream together.  Chunks towards
 * the server are queued and written only as the socket takes them
 * (MSG_DONTWAIT), and local input is read only while that queue is short,
 * so the tool never blocks writing while the server waits for it to read:
 * the server back-pressures both directions, and a tool that did one at a
 * time would deadlock against `cat`.  Signals are blocked except inside
 * ppoll(), so they are handled between steps, never inside one.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "raw.h"
#include "tty.h"

#define RAW_OUT_MAX (1u << 20) /* queued for the server before local input waits */
#define RAW_READ (64u << 10)   /* one read of local input: one stdin chunk */

/* Set by the handlers only; a signal needs process-wide state. */
static volatile sig_atomic_t raw_winch, raw_intr;

struct raw_state {
        struct cli *cli;
        struct dgc *conn;
        const struct raw_io *io;
        unsigned char *out; /* chunks not yet written to the server */
        size_t outlen, outcap;
        int in_open;   /* local input not at its end yet */
        int wclosed;   /* the server stopped reading: nothing more is sent */
        int aborting;  /* control abort sent */
        int exit_code; /* from the control exit */
};

static void raw_on_signal(int sig)
{
        if (sig == SIGWINCH)
                raw_winch = 1;
        else if (raw_intr < 2)
                raw_intr++;
}

static int raw_queue(struct raw_state *st, enum chunk_type type, const void *p, size_t n)
{
        unsigned char hdr[CHUNK_HDR];
        size_t cap;

        if (st->wclosed)
                return 0;
        if (st->outlen + CHUNK_HDR + n > st->outcap) {
                cap = st->outcap ? st->outcap : 2 * RAW_READ;
                while (cap < st->outlen + CHUNK_HDR + n)
                        cap *= 2;
                unsigned char *nb = realloc(st->out, cap);
                if (nb == NULL) {
                        cli_seterr(st->cli, "out of memory");
                        return -1;
                }
                st->out = nb;
                st->outcap = cap;
        }
        chunk_put_header(hdr, type, (uint32_t)n);
        memcpy(st->out + st->outlen, hdr, CHUNK_HDR);
        if (n > 0)
                memcpy(st->out + st->outlen + CHUNK_HDR, p, n);
        st->outlen += CHUNK_HDR + n;
        return 0;
}

static int raw_queue_control(struct raw_state *st, json_t *o)
{
        char *txt;
        int rc;

        if (o == NULL || (txt = json_dumps(o, JSON_COMPACT)) == NULL) {
                json_decref(o);
                cli_seterr(st->cli, "out of memory");
                return -1;
        }
        json_decref(o);
        rc = raw_queue(st, CHUNK_CONTROL, txt, strlen(txt));
        free(txt);
        return rc;
}

static int raw_queue_size(struct raw_state *st)
{
        unsigned rows, cols;

        if (!st->io->tty || tty_size(st->io->in_fd, &rows, &cols) == -1)
                return 0;
        if (rows > 10000 || cols > 10000)
                return 0;
        return raw_queue_control(
            st, json_pack("{s:s,s:i,s:i}", "type", "resize", "rows", rows, "cols", cols));
}

static int raw_write_all(int fd, const unsigned char *p, size_t n)
{
        ssize_t w;

        while (n > 0) {
                w = write(fd, p, n);
                if (w == -1 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return -1;
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

/* The server's last chunk.  Returns the tool's status. */
static int raw_final(struct raw_state *st, const unsigned char *p, size_t n)
{
        json_t *o = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, NULL);
        const char *type = json_string_value(json_object_get(o, "type"));
        json_t *code = json_object_get(o, "exitCode");
        const char *ecode = json_string_value(json_object_get(o, "code"));
        const char *msg = json_string_value(json_object_get(o, "message"));
        int rc = CLI_CLOSED;

        if (type != NULL && strcmp(type, "exit") == 0 && json_is_integer(code)) {
                /* An exit status holds 0..255; anything else is not a process's code. */
                st->exit_code = json_integer_value(code) >= 0 && json_integer_value(code) <= 255
                                    ? (int)json_integer_value(code)
                                    : 255;
                rc = CLI_OK;
        } else if (type != NULL && strcmp(type, "error") == 0 && ecode != NULL && msg != NULL) {
                snprintf(st->cli->errcode, sizeof(st->cli->errcode), "%s", ecode);
                cli_seterr(st->cli, "%s: %s", ecode, msg);
                rc = strcmp(ecode, "ABORTED") == 0 ? CLI_ABORTED : CLI_FAILED;
        } else {
                cli_seterr(st->cli, "malformed control chunk from server");
        }
        json_decref(o);
        return rc;
}

/* Reads one chunk.  Returns -1 to go on, else the tool's status. */
static int raw_read_one(struct raw_state *st)
{
        struct dgc_chunk ch;
        enum dgc_status ds;
        int rc = -1, fd;

        ds = dgc_read_chunk(st->conn, &ch);
        if (ds == DGC_INTR)
                return -1;
        if (ds != DGC_OK) {
                cli_seterr(st->cli, "%s",
                           ds == DGC_EOF ? "server closed the stream before the session ended"
                                         : dgc_errmsg(st->conn));
                return CLI_CLOSED;
        }
        if (ch.type == CHUNK_CONTROL) {
                rc = raw_final(st, ch.data, ch.len);
        } else {
                fd = ch.type == CHUNK_STDERR ? st->io->err_fd : st->io->out_fd;
                if (ch.len > 0 && raw_write_all(fd, ch.data, ch.len) == -1) {
                        cli_seterr(st->cli, "writing output: %s", strerror(errno));
                        rc = CLI_FAILED;
                }
        }
        dgc_chunk_clear(&ch);
        return rc;
}

static void raw_send(struct raw_state *st)
{
        ssize_t n = send(dgc_fd(st->conn), st->out, st->outlen, MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n == -1) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                        return;
                /* The server stopped reading: its last chunk may still be on its way. */
                st->wclosed = 1;
                st->outlen = 0;
                st->in_open = 0;
                return;
        }
        memmove(st->out, st->out + n, st->outlen - (size_t)n);
        st->outlen -= (size_t)n;
}

static int raw_read_input(struct raw_state *st)
{
        unsigned char buf[RAW_READ];
        ssize_t n = read(st->io->in_fd, buf, sizeof(buf));

        if (n == -1 && (errno == EINTR || errno == EAGAIN))
                return 0;
        if (n > 0)
                return raw_queue(st, CHUNK_STDIN, buf, (size_t)n);
        /* End of input (or an error reading it): the one zero-length stdin chunk. */
        st->in_open = 0;
        return raw_queue(st, CHUNK_STDIN, NULL, 0);
}

/* Signals that arrived: resize, abort, give up.  Returns -1 to go on, else a status. */
static int raw_signals(struct raw_state *st)
{
        if (raw_winch) {
                raw_winch = 0;
                if (raw_queue_size(st) == -1)
                        return CLI_FAILED;
        }
        if (raw_intr >= 2) {
                cli_seterr(st->cli, "interrupted");
                st->cli->forced = 1;
                return CLI_ABORTED;
        }
        if (raw_intr == 1 && !st->aborting) {
                st->aborting = 1;
                if (raw_queue_control(st, json_pack("{s:s}", "type", "abort")) == -1)
                        return CLI_FAILED;
        }
        return -1;
}

static int raw_loop(struct raw_state *st, const sigset_t *waitmask)
{
        struct pollfd pfd[2];
        nfds_t n;
        int rc;

        for (;;) {
                if ((rc = raw_signals(st)) != -1)
                        return rc;
                if (dgc_buffered(st->conn) > 0) {
                        if ((rc = raw_read_one(st)) != -1)
                                return rc;
                        continue;
                }
                pfd[0].fd = dgc_fd(st->conn);
                pfd[0].events = POLLIN | (st->outlen > 0 ? POLLOUT : 0);
                n = 1;
                if (st->in_open && st->outlen < RAW_OUT_MAX) {
                        pfd[1].fd = st->io->in_fd;
                        pfd[1].events = POLLIN;
                        n = 2;
                }
                pfd[0].revents = pfd[1].revents = 0;
                if (ppoll(pfd, n, NULL, waitmask) == -1) {
                        if (errno == EINTR)
                                continue;
                        cli_seterr(st->cli, "poll: %s", strerror(errno));
                        return CLI_FAILED;
                }
                if (pfd[0].revents & POLLOUT)
                        raw_send(st);
                if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                        if ((rc = raw_read_one(st)) != -1)
                                return rc;
                }
                if (n == 2 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
                    raw_read_input(st) == -1)
                        return CLI_FAILED;
        }
}

/* call.requested, and its one JSON answer. */
static int raw_open(struct raw_state *st, const char *op, json_t *input)
{
        struct dgc_frame f;
        enum dgc_status ds;
        char err[512];
        int rc = CLI_OK;

        if ((st->conn = dgc_connect(st->cli->addr, err, sizeof(err))) == NULL) {
                cli_connect_failed(st->cli, err);
                return CLI_USAGE;
        }
        if ((ds = dgc_call(st->conn, st->cli->id, op, input, CARRIAGE_RAW)) != DGC_OK ||
            (ds = dgc_read_frame(st->conn, &f)) != DGC_OK) {
                cli_seterr(st->cli, "%s",
                           ds == DGC_EOF ? "server closed the stream" : dgc_errmsg(st->conn));
                return ds == DGC_ERR_USAGE ? CLI_USAGE : CLI_CLOSED;
        }
        if (f.type == DGC_F_ERROR) {
                snprintf(st->cli->errcode, sizeof(st->cli->errcode), "%s",
                         json_string_value(json_object_get(f.payload, "code")));
                cli_seterr(st->cli, "%s: %s", st->cli->errcode,
                           json_string_value(json_object_get(f.payload, "message")));
                rc = CLI_FAILED;
        } else if (f.type != DGC_F_RESPONDED ||
                   !json_is_object(json_object_get(f.payload, "output"))) {
                cli_seterr(st->cli, "%s: unexpected answer to a raw call", op);
                rc = CLI_CLOSED;
        }
        dgc_frame_clear(&f);
        return rc;
}

int raw_run(struct cli *cli, const char *op, json_t *input, const struct raw_io *io,
            int *exit_code)
{
        struct raw_state st;
        struct sigaction sa, old_int, old_winch, old_pipe;
        sigset_t block, oldmask, waitmask;
        int rc;

        memset(&st, 0, sizeof(st));
        st.cli = cli;
        st.io = io;
        st.in_open = io->in_fd >= 0;
        cli->errcode[0] = '\0';
        cli->err[0] = '\0';
        *exit_code = 0;

        /* Handled between steps: blocked except while waiting in ppoll(). */
        raw_winch = raw_intr = 0;
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigaddset(&block, SIGWINCH);
        sigprocmask(SIG_BLOCK, &block, &oldmask);
        waitmask = oldmask;
        sigdelset(&waitmask, SIGINT);
        sigdelset(&waitmask, SIGWINCH);
        memset(&sa, 0, sizeof(sa));
        sigemptyset(&sa.sa_mask);
        sa.sa_handler = raw_on_signal;
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGWINCH, &sa, &old_winch);
        sa.sa_handler = SIG_IGN; /* a closed output is an error to report, not a death */
        sigaction(SIGPIPE, &sa, &old_pipe);

        rc = raw_open(&st, op, input);
        if (rc == CLI_OK && io->opened != NULL)
                rc = io->opened(io->opened_arg);
        if (rc == CLI_OK && io->tty && tty_raw(io->in_fd) == -1) {
                cli_seterr(cli, "cannot put the terminal in raw mode: %s", strerror(errno));
                rc = CLI_USAGE;
        }
        if (rc == CLI_OK && raw_queue_size(&st) == -1)
                rc = CLI_FAILED;
        if (rc == CLI_OK)
                rc = raw_loop(&st, &waitmask);
        tty_restore();
        if (rc == CLI_OK)
                *exit_code = st.exit_code;

        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGWINCH, &old_winch, NULL);
        sigaction(SIGPIPE, &old_pipe, NULL);
        sigprocmask(SIG_SETMASK, &oldmask, NULL);
        dgc_close(st.conn);
        free(st.out);
        return rc;
}
