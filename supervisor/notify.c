/*
 * notify.c - the sd_notify protocol (one datagram of KEY=VALUE lines to
 * the AF_UNIX socket named by $NOTIFY_SOCKET; a leading '@' names an
 * abstract socket), for Type=notify units.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

/* Process-wide: dockgated has one service manager, whatever the peers. */
static struct sockaddr_un notify_addr;
static socklen_t notify_len;

void notify_init(void)
{
        const char *path = getenv("NOTIFY_SOCKET");
        size_t n;

        notify_len = 0;
        if (path == NULL || *path == '\0')
                return;
        n = strlen(path);
        if ((path[0] != '/' && path[0] != '@') || n >= sizeof(notify_addr.sun_path)) {
                log_warnx("NOTIFY_SOCKET %s: not a unix socket path; readiness not reported",
                          path);
                unsetenv("NOTIFY_SOCKET");
                return;
        }
        memset(&notify_addr, 0, sizeof(notify_addr));
        notify_addr.sun_family = AF_UNIX;
        memcpy(notify_addr.sun_path, path, n);
        if (path[0] == '@')
                notify_addr.sun_path[0] = '\0';
        notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
        unsetenv("NOTIFY_SOCKET");
}

int notify_send(const char *state)
{
        ssize_t n;
        int fd;

        if (notify_len == 0)
                return 0;
        if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
                log_warn("notify socket");
                return -1;
        }
        n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&notify_addr,
                   notify_len);
        if (n < 0)
                log_warn("notify %s", state);
        close(fd);
        return n < 0 ? -1 : 0;
}

int notify_ready(const char *socket)
{
        char status[4200];

        snprintf(status, sizeof(status), "READY=1\nSTATUS=serving on %s", socket);
        return notify_send(status);
}
