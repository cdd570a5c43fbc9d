/*
 * fdpass.c - one SOCK_SEQPACKET message, with at most one fd (SCM_RIGHTS).
 *
 * SECURITY: the receiver learns the message size with a MSG_PEEK|MSG_TRUNC
 * probe before allocating, refuses oversized messages (discarding them, so
 * the channel stays in step), and accepts only one SCM_RIGHTS cmsg carrying
 * exactly one fd; every fd received on an error path is closed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"

/* Room for a few fds, so that a sender passing too many is seen and closed. */
#define FDPASS_CMSG_FDS 4

union fdpass_cmsg {
        struct cmsghdr hdr;
        char buf[CMSG_SPACE(sizeof(int) * FDPASS_CMSG_FDS)];
};

ssize_t fdpass_send(int sock, const void *buf, size_t len, int fd)
{
        union fdpass_cmsg cm;
        struct cmsghdr *cmsg;
        struct msghdr msg;
        struct iovec iov;
        ssize_t n;

        /* A zero-length SEQPACKET message would read as EOF on the other side. */
        if (buf == NULL || len == 0) {
                errno = EINVAL;
                return -1;
        }
        memset(&msg, 0, sizeof(msg));
        iov.iov_base = (void *)buf;
        iov.iov_len = len;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        if (fd >= 0) {
                memset(&cm, 0, sizeof(cm));
                msg.msg_control = cm.buf;
                msg.msg_controllen = CMSG_SPACE(sizeof(int));
                cmsg = CMSG_FIRSTHDR(&msg);
                cmsg->cmsg_level = SOL_SOCKET;
                cmsg->cmsg_type = SCM_RIGHTS;
                cmsg->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
        }
        do {
                n = sendmsg(sock, &msg, MSG_NOSIGNAL);
        } while (n < 0 && errno == EINTR);
        if (n < 0)
                return -1;
        if ((size_t)n != len) { /* cannot happen on SEQPACKET; never report success */
                errno = EIO;
                return -1;
        }
        return n;
}

/* Closes every fd carried by msg's control data; returns how many there were. */
static int fdpass_close_all(struct msghdr *msg, int *keep)
{
        struct cmsghdr *cmsg;
        size_t i, nfds;
        int fd, count = 0, bad = 0;

        *keep = -1;
        for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL; cmsg = CMSG_NXTHDR(msg, cmsg)) {
                if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) {
                        bad = 1;
                        continue;
                }
                nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (i = 0; i < nfds; i++) {
                        memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
                        if (count++ == 0)
                                *keep = fd;
                        else
                                close(fd);
                }
        }
        if (bad || count > 1) {
                if (*keep >= 0)
                        close(*keep);
                *keep = -1;
                return -1;
        }
        return count;
}

/*
 * One recvmsg per message: it lands in a scratch buffer one byte longer
 * than the largest message allowed (so that a longer one shows as
 * MSG_TRUNC), and is copied out at its exact size.  Peeking at the size
 * first cost a second syscall per message (issue 14).  The scratch buffer
 * holds no state between calls; pages are touched only as far as messages
 * reach.
 */
static void *fdpass_scratch(size_t want)
{
        static void *scratch;
        static size_t cap;
        void *p;

        if (want <= cap)
                return scratch;
        if ((p = realloc(scratch, want)) == NULL)
                return NULL;
        scratch = p;
        cap = want;
        return scratch;
}

int fdpass_recv(int sock, size_t max, void **buf, size_t *len, int *fd)
{
        union fdpass_cmsg cm;
        struct msghdr msg;
        struct iovec iov;
        void *data, *scratch;
        ssize_t n;
        int got;

        *buf = NULL;
        *len = 0;
        *fd = -1;
        if (max == SIZE_MAX || (scratch = fdpass_scratch(max + 1)) == NULL)
                return -1;
        memset(&msg, 0, sizeof(msg));
        iov.iov_base = scratch;
        iov.iov_len = max + 1;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cm.buf;
        msg.msg_controllen = sizeof(cm.buf);
        do {
                n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
        } while (n < 0 && errno == EINTR);
        if (n <= 0)
                return n == 0 ? 0 : -1; /* EOF: an empty message is never sent (fdpass_send) */
        if (fdpass_close_all(&msg, &got) < 0 || (msg.msg_flags & MSG_CTRUNC)) {
                if (got >= 0)
                        close(got);
                errno = EBADMSG;
                return -1;
        }
        if ((msg.msg_flags & MSG_TRUNC) || (size_t)n > max) {
                /* Longer than allowed: the rest of it is gone with the datagram. */
                if (got >= 0)
                        close(got);
                errno = EMSGSIZE;
                return -1;
        }
        if ((data = malloc((size_t)n)) == NULL) {
                if (got >= 0)
                        close(got);
                return -1;
        }
        memcpy(data, scratch, (size_t)n);
        *buf = data;
        *len = (size_t)n;
        *fd = got;
        return 1;
}
