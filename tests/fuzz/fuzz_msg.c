/*
 * fuzz_msg.c - msg_decode(), both directions of the supervisor <-> worker
 * channel (the supervisor decodes what a possibly compromised worker sent).
 *
 * Input: byte 0 bit 0 says whether an fd comes with the message; the rest is
 * the datagram.  Checks: the fd is owned exactly as msg.h says (closed on
 * failure, held until msg_clear() on success, never leaked); a message that
 * decodes re-encodes, and its encoding decodes to the same encoding again
 * (one schema, one encoder, one decoder must agree).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"

static int fuzz_fd(void)
{
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                abort();
        return fd;
}

static int fuzz_is_open(int fd)
{
        return fcntl(fd, F_GETFD) != -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct msg m, again;
        char err[256], *buf, *buf2;
        size_t len, len2;
        int fd = -1, fd2;

        if (size < 1)
                return 0;
        if (data[0] & 1)
                fd = fuzz_fd();
        memset(err, 'x', sizeof(err));
        if (msg_decode(data + 1, size - 1, fd, &m, err, sizeof(err)) != 0) {
                if (fd >= 0 && fuzz_is_open(fd))
                        abort(); /* the decoder must close a refused fd */
                if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
                        abort();
                return 0;
        }
        if (m.fd != fd || (fd >= 0 && !fuzz_is_open(fd)))
                abort();
        if (msg_encode(&m, &buf, &len) != 0)
                abort(); /* what decoded must encode */
        fd2 = fd >= 0 ? fuzz_fd() : -1;
        if (msg_decode(buf, len, fd2, &again, err, sizeof(err)) != 0)
                abort();
        if (again.type != m.type || msg_encode(&again, &buf2, &len2) != 0 || len2 != len ||
            memcmp(buf, buf2, len) != 0)
                abort();
        free(buf);
        free(buf2);
        msg_clear(&again);
        msg_clear(&m);
        if (fd >= 0 && (fuzz_is_open(fd) || fuzz_is_open(fd2)))
                abort();
        return 0;
}
