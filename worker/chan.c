/*
 * chan.c - the worker's side of the supervisor channel (fd 3).
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "fdpass.h"
#include "log.h"

static void chan_wait(int chan, short what)
{
        struct pollfd pfd;

        pfd.fd = chan;
        pfd.events = what;
        pfd.revents = 0;
        while (poll(&pfd, 1, -1) == -1) {
                if (errno != EINTR)
                        fatal("poll on the supervisor channel");
        }
}

void chan_send(int chan, const struct msg *m)
{
        char *buf;
        size_t len;

        if (msg_encode(m, &buf, &len) == -1)
                fatalx("cannot encode %s", msg_type_name(m->type));
        for (;;) {
                if (fdpass_send(chan, buf, len, m->fd) != -1)
                        break;
                if (errno == EAGAIN || errno == EINTR) {
                        chan_wait(chan, POLLOUT);
                        continue;
                }
                if (errno == EPIPE || errno == ECONNRESET) {
                        log_debug("supervisor gone");
                        exit(0);
                }
                fatal("sending %s", msg_type_name(m->type));
        }
        free(buf);
}

int chan_recv(int chan, struct msg *m)
{
        char err[256];
        void *buf;
        size_t len;
        int fd, rc;

        rc = fdpass_recv(chan, MSG_MAX, &buf, &len, &fd);
        if (rc == 0) {
                /* SECURITY: the supervisor left or told us to stop: nothing to serve. */
                log_debug("supervisor closed the channel");
                exit(0);
        }
        if (rc == -1) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                if (errno == ECONNRESET)
                        exit(0);
                fatal("receiving from the supervisor");
        }
        if (msg_decode(buf, len, fd, m, err, sizeof(err)) == -1)
                fatalx("invalid message from the supervisor: %s", err);
        free(buf);
        return 1;
}

void chan_recv_wait(int chan, struct msg *m)
{
        while (!chan_recv(chan, m))
                chan_wait(chan, POLLIN);
}

void chan_ready(int chan)
{
        struct msg m;

        msg_init(&m, MSG_READY);
        m.version = MSG_VERSION;
        chan_send(chan, &m);
        msg_clear(&m);
}

void chan_call(int chan, uint64_t seq, const char *id, const char *op, int raw, json_t *input,
               const char *token)
{
        chan_call_route(chan, seq, id, op, raw, input, token, NULL);
}

void chan_call_route(int chan, uint64_t seq, const char *id, const char *op, int raw,
                     json_t *input, const char *token, const char *route)
{
        struct msg m;

        msg_init(&m, MSG_CALL);
        m.seq = seq;
        if (strlen(id) >= sizeof(m.id) || strlen(op) >= sizeof(m.op) ||
            (token != NULL && strlen(token) >= sizeof(m.token)))
                fatalx("call id, operation or token too long for MSG_CALL");
        strcpy(m.id, id);
        strcpy(m.op, op);
        if (token != NULL)
                strcpy(m.token, token);
        if (route != NULL)
                snprintf(m.route, sizeof(m.route), "%s", route);
        m.raw = raw;
        m.input = json_incref(input);
        chan_send(chan, &m);
        explicit_bzero(m.token, sizeof(m.token));
        msg_clear(&m);
}

void chan_cancel(int chan, uint64_t seq)
{
        struct msg m;

        msg_init(&m, MSG_CANCEL);
        m.seq = seq;
        chan_send(chan, &m);
        msg_clear(&m);
}

void chan_call_end(int chan, uint64_t seq, const char *result, uint64_t bytes_in,
                   uint64_t bytes_out)
{
        struct msg m;

        msg_init(&m, MSG_CALL_END);
        m.seq = seq;
        if (strlen(result) >= sizeof(m.result))
                fatalx("call result name too long");
        strcpy(m.result, result);
        m.bytes_in = bytes_in;
        m.bytes_out = bytes_out;
        chan_send(chan, &m);
        msg_clear(&m);
}
