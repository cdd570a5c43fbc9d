/*
 * fdpass.h - sending and receiving one SOCK_SEQPACKET message with at most
 * one file descriptor attached (SCM_RIGHTS).
 *
 * Receiving uses MSG_CMSG_CLOEXEC, treats MSG_TRUNC and MSG_CTRUNC as errors,
 * accepts only SCM_RIGHTS with exactly one fd, and closes any fd it received
 * on every error path.
 */
#ifndef DG_FDPASS_H
#define DG_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Sends buf[0..len) as one message, with fd attached when fd >= 0.
 * Returns len on success, -1 with errno set (EAGAIN when it would block).
 */
ssize_t fdpass_send(int sock, const void *buf, size_t len, int fd);

/*
 * Receives one message of at most max bytes into a malloc'd buffer (*buf,
 * *len).  *fd is the passed descriptor or -1.  Returns 1 on a message, 0 on
 * EOF, -1 on error with errno set (EAGAIN when none is ready; EMSGSIZE when
 * the message is larger than max; EBADMSG on unexpected ancillary data).
 */
int fdpass_recv(int sock, size_t max, void **buf, size_t *len, int *fd);

#endif
