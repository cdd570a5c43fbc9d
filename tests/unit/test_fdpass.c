/* test_fdpass.c - one SEQPACKET message with at most one fd, and msg_decode on top of it. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdpass.h"
#include "msg.h"

struct pair {
        int a, b;
};

static int setup(void **state)
{
        struct pair *p = malloc(sizeof(*p));
        int sv[2];

        if (p == NULL || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -1;
        p->a = sv[0];
        p->b = sv[1];
        *state = p;
        return 0;
}

static int teardown(void **state)
{
        struct pair *p = *state;

        if (p->a >= 0)
                close(p->a);
        close(p->b);
        free(p);
        return 0;
}

/*
 * True when every write end of the pipe whose read end is rfd has been closed
 * (the pipes are non-blocking: a live writer gives EAGAIN, not a hang).
 */
static int pipe_writers_gone(int rfd)
{
        char c;

        return read(rfd, &c, 1) == 0;
}

static void test_pass_fd(void **state)
{
        struct pair *p = *state;
        int pfd[2], fd;
        void *buf;
        size_t len;
        char c;

        assert_int_equal(pipe2(pfd, O_NONBLOCK | O_CLOEXEC), 0);
        assert_int_equal(fdpass_send(p->a, "hello", 5, pfd[1]), 5);
        close(pfd[1]);
        assert_int_equal(fdpass_recv(p->b, 64, &buf, &len, &fd), 1);
        assert_int_equal(len, 5);
        assert_memory_equal(buf, "hello", 5);
        assert_true(fd >= 0);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC); /* MSG_CMSG_CLOEXEC */
        /* it is the pipe's write end */
        assert_int_equal(write(fd, "z", 1), 1);
        assert_int_equal(read(pfd[0], &c, 1), 1);
        assert_int_equal(c, 'z');
        close(fd);
        assert_true(pipe_writers_gone(pfd[0]));
        close(pfd[0]);
        free(buf);
}

static void test_no_fd_and_exact_max(void **state)
{
        struct pair *p = *state;
        char big[100];
        void *buf;
        size_t len;
        int fd;

        memset(big, 'm', sizeof(big));
        assert_int_equal(fdpass_send(p->a, big, sizeof(big), -1), (ssize_t)sizeof(big));
        assert_int_equal(fdpass_recv(p->b, sizeof(big), &buf, &len, &fd), 1);
        assert_int_equal(len, sizeof(big));
        assert_int_equal(fd, -1);
        assert_memory_equal(buf, big, len);
        free(buf);
}

static void test_oversized_is_discarded(void **state)
{
        struct pair *p = *state;
        char big[100];
        int pfd[2], fd;
        void *buf;
        size_t len;

        memset(big, 'o', sizeof(big));
        assert_int_equal(pipe2(pfd, O_NONBLOCK | O_CLOEXEC), 0);
        assert_int_equal(fdpass_send(p->a, big, sizeof(big), pfd[1]), (ssize_t)sizeof(big));
        close(pfd[1]);
        assert_int_equal(fdpass_send(p->a, "next", 4, -1), 4);
        errno = 0;
        assert_int_equal(fdpass_recv(p->b, sizeof(big) - 1, &buf, &len, &fd), -1);
        assert_int_equal(errno, EMSGSIZE);
        assert_null(buf);
        assert_int_equal(fd, -1);
        /* the fd that rode on the refused message is gone */
        assert_true(pipe_writers_gone(pfd[0]));
        close(pfd[0]);
        /* and the channel is still in step: the next message is intact */
        assert_int_equal(fdpass_recv(p->b, sizeof(big) - 1, &buf, &len, &fd), 1);
        assert_int_equal(len, 4);
        assert_memory_equal(buf, "next", 4);
        free(buf);
}

static void test_two_fds_refused(void **state)
{
        struct pair *p = *state;
        union {
                struct cmsghdr h;
                char b[CMSG_SPACE(2 * sizeof(int))];
        } cm;
        struct msghdr mh;
        struct iovec iov;
        struct cmsghdr *c;
        int p1[2], p2[2], fds[2], fd;
        void *buf;
        size_t len;

        assert_int_equal(pipe2(p1, O_NONBLOCK | O_CLOEXEC), 0);
        assert_int_equal(pipe2(p2, O_NONBLOCK | O_CLOEXEC), 0);
        fds[0] = p1[1];
        fds[1] = p2[1];
        memset(&mh, 0, sizeof(mh));
        memset(&cm, 0, sizeof(cm));
        iov.iov_base = "x";
        iov.iov_len = 1;
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = cm.b;
        mh.msg_controllen = sizeof(cm.b);
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(2 * sizeof(int));
        memcpy(CMSG_DATA(c), fds, sizeof(fds));
        assert_int_equal(sendmsg(p->a, &mh, 0), 1);
        close(p1[1]);
        close(p2[1]);
        errno = 0;
        assert_int_equal(fdpass_recv(p->b, 64, &buf, &len, &fd), -1);
        assert_int_equal(errno, EBADMSG);
        assert_int_equal(fd, -1);
        assert_null(buf);
        assert_true(pipe_writers_gone(p1[0]));
        assert_true(pipe_writers_gone(p2[0]));
        close(p1[0]);
        close(p2[0]);
}

static void test_credentials_refused(void **state)
{
        struct pair *p = *state;
        int on = 1, fd;
        void *buf;
        size_t len;

        /* SO_PASSCRED makes the kernel attach SCM_CREDENTIALS: not ours to accept */
        assert_int_equal(setsockopt(p->b, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)), 0);
        assert_int_equal(fdpass_send(p->a, "c", 1, -1), 1);
        errno = 0;
        assert_int_equal(fdpass_recv(p->b, 64, &buf, &len, &fd), -1);
        assert_int_equal(errno, EBADMSG);
}

static void test_eof_eagain_einval(void **state)
{
        struct pair *p = *state;
        void *buf;
        size_t len;
        int fd;

        assert_int_equal(fcntl(p->b, F_SETFL, O_NONBLOCK), 0);
        errno = 0;
        assert_int_equal(fdpass_recv(p->b, 64, &buf, &len, &fd), -1);
        assert_int_equal(errno, EAGAIN);
        errno = 0;
        assert_int_equal(fdpass_send(p->a, "", 0, -1), -1); /* would read as EOF */
        assert_int_equal(errno, EINVAL);
        close(p->a);
        p->a = -1;
        assert_int_equal(fdpass_recv(p->b, 64, &buf, &len, &fd), 0);
        assert_null(buf);
        errno = 0;
        assert_int_equal(fdpass_send(p->b, "x", 1, -1), -1); /* EPIPE, and no SIGPIPE */
        assert_int_equal(errno, EPIPE);
}

/* The whole path: encode, send, receive, decode. */
static int send_recv_decode(struct pair *p, const struct msg *m, int attach, struct msg *out,
                            char *err, size_t errlen)
{
        void *buf;
        char *enc;
        size_t len;
        int fd, rc;

        assert_int_equal(msg_encode(m, &enc, &len), 0);
        assert_int_equal(fdpass_send(p->a, enc, len, attach), (ssize_t)len);
        free(enc);
        assert_int_equal(fdpass_recv(p->b, MSG_MAX, &buf, &len, &fd), 1);
        rc = msg_decode(buf, len, fd, out, err, errlen);
        free(buf);
        return rc;
}

/* A MSG_STREAM for a logs stream, carrying fd. */
static void logs_stream_msg(struct msg *m, int fd)
{
        msg_init(m, MSG_STREAM);
        m->fd = fd;
        m->seq = 5;
        strcpy(m->kind, "logs");
        m->opts = json_object();
}

static void test_msg_over_socket(void **state)
{
        struct pair *p = *state;
        struct msg m, d;
        char err[256];
        int pfd[2];

        /* MSG_STREAM with its fd */
        assert_int_equal(pipe2(pfd, O_NONBLOCK | O_CLOEXEC), 0);
        logs_stream_msg(&m, pfd[1]);
        assert_int_equal(send_recv_decode(p, &m, m.fd, &d, err, sizeof(err)), 0);
        assert_true(d.fd >= 0 && d.fd != pfd[1]);
        assert_string_equal(d.kind, "logs");
        msg_clear(&m);
        msg_clear(&d);
        assert_true(pipe_writers_gone(pfd[0]));
        close(pfd[0]);

        /* the same message with the fd left off: refused by the decoder */
        assert_int_equal(pipe2(pfd, O_NONBLOCK | O_CLOEXEC), 0);
        logs_stream_msg(&m, pfd[1]);
        assert_int_equal(send_recv_decode(p, &m, -1, &d, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "fd"));
        msg_clear(&m);
        close(pfd[0]);

        /* an fd riding on a message that declares none: refused, and closed */
        assert_int_equal(pipe2(pfd, O_NONBLOCK | O_CLOEXEC), 0);
        msg_init(&m, MSG_CANCEL);
        m.seq = 1;
        assert_int_equal(send_recv_decode(p, &m, pfd[1], &d, err, sizeof(err)), -1);
        close(pfd[1]);
        assert_true(pipe_writers_gone(pfd[0]));
        close(pfd[0]);
        assert_int_equal(d.fd, -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_pass_fd, setup, teardown),
            cmocka_unit_test_setup_teardown(test_no_fd_and_exact_max, setup, teardown),
            cmocka_unit_test_setup_teardown(test_oversized_is_discarded, setup, teardown),
            cmocka_unit_test_setup_teardown(test_two_fds_refused, setup, teardown),
            cmocka_unit_test_setup_teardown(test_credentials_refused, setup, teardown),
            cmocka_unit_test_setup_teardown(test_eof_eagain_einval, setup, teardown),
            cmocka_unit_test_setup_teardown(test_msg_over_socket, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
