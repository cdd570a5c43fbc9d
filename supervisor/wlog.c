/*
 * wlog.c - relaying workers' stderr into the supervisor's log.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "wlog.h"

#define WLOG_LINE_MAX 1024

struct wlog {
        int rfd;
        struct event *ev;
        char line[WLOG_LINE_MAX + 1];
        size_t len;
};

static void flush_line(struct wlog *wl)
{
        for (size_t i = 0; i < wl->len; i++)
                if ((unsigned char)wl->line[i] < 0x20 || (unsigned char)wl->line[i] > 0x7e)
                        wl->line[i] = '?';
        wl->line[wl->len] = '\0';
        if (wl->len > 0)
                log_relay(wl->line);
        wl->len = 0;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
        struct wlog *wl = arg;
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0)
                return; /* EAGAIN; the write end stays open in the supervisor */
        for (ssize_t i = 0; i < n; i++) {
                if (buf[i] == '\n' || wl->len == WLOG_LINE_MAX)
                        flush_line(wl);
                if (buf[i] != '\n')
                        wl->line[wl->len++] = buf[i];
        }
}

int wlog_open(struct sv *sv)
{
        int p[2];
        struct wlog *wl = calloc(1, sizeof(*wl));
        if (wl == NULL || pipe2(p, O_CLOEXEC) < 0) {
                free(wl);
                log_warn("wlog pipe");
                return -1;
        }
        /* Workers must never block on logging: a full pipe drops their lines. */
        fcntl(p[0], F_SETFL, O_NONBLOCK);
        fcntl(p[1], F_SETFL, O_NONBLOCK);
        wl->rfd = p[0];
        wl->ev = event_new(sv->base, p[0], EV_READ | EV_PERSIST, on_read, wl);
        if (wl->ev == NULL || event_add(wl->ev, NULL) < 0)
                fatalx("wlog event");
        sv->wlog = wl;
        sv->wlog_fd = p[1];
        return 0;
}

void wlog_close(struct sv *sv)
{
        struct wlog *wl = sv->wlog;
        if (wl == NULL)
                return;
        on_read(wl->rfd, EV_READ, wl); /* what the last workers said */
        flush_line(wl);
        event_free(wl->ev);
        close(wl->rfd);
        close(sv->wlog_fd);
        free(wl);
        sv->wlog = NULL;
}
