/*
 * listener.c - accepting peers on the unix socket.
 *
 * The peer's identity is learned here, from the kernel (SO_PEERCRED), before
 * a single byte is read; the supervisor never reads peer bytes at all.  An
 * unmapped uid is still handed to a worker, which answers its first call
 * with UNAUTHENTICATED (the id echoed needs a parsed frame, which is the
 * worker's job).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "envelope.h"
#include "frame.h"
#include "listener.h"
#include "log.h"
#include "pool.h"

#define PENDING_MAX 256     /* peers waiting for a worker */
#define PENDING_WAIT_S 10   /* then they get UNAVAILABLE */
#define ACCEPT_BACKOFF_MS 100

struct pending {
        TAILQ_ENTRY(pending) link;
        struct sv *sv;
        int fd;
        uid_t uid;
        gid_t gid;
        struct event *ev_timeout;
};

/*
 * Tells a peer we cannot serve it, without reading anything from it: the
 * frame is ours, built from constants.  Best effort, non-blocking.
 */
static void refuse(int fd, const char *message)
{
        size_t len;
        char *json = envelope_error("", DG_UNAVAILABLE, message, NULL, &len);
        if (json != NULL) {
                unsigned char hdr[FRAME_HDR];
                frame_put_header(hdr, (uint32_t)len);
                struct iovec iov[2] = {{hdr, sizeof(hdr)}, {json, len}};
                struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
                (void)sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
                free(json);
        }
        close(fd);
}

static const char *peer_name(struct sv *sv, uid_t uid)
{
        const struct peer_policy *pp = policy_by_uid(sv->policy, uid);
        return pp != NULL ? pp->name : NULL;
}

static void pending_free(struct pending *p)
{
        TAILQ_REMOVE(&p->sv->pending, p, link);
        p->sv->npending--;
        event_free(p->ev_timeout);
        free(p);
}

static void pending_timeout(evutil_socket_t fd, short what, void *arg)
{
        struct pending *p = arg;
        log_warnx("no worker became ready for uid %u in %d s", (unsigned)p->uid, PENDING_WAIT_S);
        refuse(p->fd, "no worker available; try again");
        pending_free(p);
}

static void hand(struct sv *sv, struct worker *w, int fd, uid_t uid, gid_t gid)
{
        /* Identity is looked up at hand-off, against the policy now in force. */
        pool_hand_off(w, fd, peer_name(sv, uid), uid, gid);
}

static void queue_peer(struct sv *sv, int fd, uid_t uid, gid_t gid)
{
        if (sv->npending >= PENDING_MAX) {
                log_warnx("too many peers waiting for a worker; refusing uid %u", (unsigned)uid);
                refuse(fd, "server at capacity; try again");
                return;
        }
        struct pending *p = calloc(1, sizeof(*p));
        if (p == NULL) {
                refuse(fd, "server at capacity; try again");
                return;
        }
        p->sv = sv;
        p->fd = fd;
        p->uid = uid;
        p->gid = gid;
        p->ev_timeout = evtimer_new(sv->base, pending_timeout, p);
        struct timeval tv = {PENDING_WAIT_S, 0};
        evtimer_add(p->ev_timeout, &tv);
        TAILQ_INSERT_TAIL(&sv->pending, p, link);
        sv->npending++;
}

void listener_drain(struct sv *sv)
{
        struct pending *p;
        struct worker *w;
        while ((p = TAILQ_FIRST(&sv->pending)) != NULL && (w = pool_take(sv)) != NULL) {
                hand(sv, w, p->fd, p->uid, p->gid);
                pending_free(p);
        }
}

static void accept_resume(evutil_socket_t fd, short what, void *arg)
{
        struct sv *sv = arg;
        event_add(sv->ev_accept, NULL);
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
        struct sv *sv = arg;
        for (int i = 0; i < 64; i++) {
                int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (fd < 0) {
                        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                            errno == ENOMEM) {
                                /* Out of descriptors: back off instead of spinning. */
                                log_warn("accept");
                                event_del(sv->ev_accept);
                                struct timeval tv = {0, ACCEPT_BACKOFF_MS * 1000};
                                evtimer_add(sv->ev_accept_resume, &tv);
                        } else if (errno != EAGAIN && errno != EWOULDBLOCK &&
                                   errno != EINTR && errno != ECONNABORTED) {
                                log_warn("accept");
                        }
                        return;
                }
                struct ucred cred;
                socklen_t clen = sizeof(cred);
                if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
                    clen != sizeof(cred)) {
                        log_warn("SO_PEERCRED");
                        close(fd);
                        continue;
                }
                if (sv->shutting_down) {
                        refuse(fd, "server shutting down");
                        continue;
                }
                struct worker *w = TAILQ_EMPTY(&sv->pending) ? pool_take(sv) : NULL;
                if (w != NULL)
                        hand(sv, w, fd, cred.uid, cred.gid);
                else
                        queue_peer(sv, fd, cred.uid, cred.gid);
        }
}

int listener_open(struct sv *sv)
{
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        if (strlen(sv->cfg.socket) >= sizeof(sun.sun_path)) {
                log_warnx("socket path too long: %s", sv->cfg.socket);
                return -1;
        }
        memcpy(sun.sun_path, sv->cfg.socket, strlen(sv->cfg.socket) + 1);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
                log_warn("socket");
                return -1;
        }
        /* A stale socket file from a crash is replaced; anything else is not. */
        struct stat st;
        if (lstat(sv->cfg.socket, &st) == 0) {
                if (!S_ISSOCK(st.st_mode)) {
                        log_warnx("%s exists and is not a socket", sv->cfg.socket);
                        close(fd);
                        return -1;
                }
                unlink(sv->cfg.socket);
        }
        if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
                log_warn("bind %s", sv->cfg.socket);
                close(fd);
                return -1;
        }
        /* Anyone may connect: identity comes from SO_PEERCRED and the policy. */
        if (chmod(sv->cfg.socket, 0666) < 0 || listen(fd, 512) < 0) {
                log_warn("listen %s", sv->cfg.socket);
                close(fd);
                unlink(sv->cfg.socket);
                return -1;
        }
        sv->listen_fd = fd;
        TAILQ_INIT(&sv->pending);
        sv->npending = 0;
        sv->ev_accept = event_new(sv->base, fd, EV_READ | EV_PERSIST, on_accept, sv);
        sv->ev_accept_resume = evtimer_new(sv->base, accept_resume, sv);
        event_add(sv->ev_accept, NULL);
        log_info("listening on %s", sv->cfg.socket);
        return 0;
}

void listener_close(struct sv *sv)
{
        struct pending *p;
        if (sv->listen_fd < 0)
                return;
        event_free(sv->ev_accept);
        event_free(sv->ev_accept_resume);
        close(sv->listen_fd);
        sv->listen_fd = -1;
        unlink(sv->cfg.socket);
        while ((p = TAILQ_FIRST(&sv->pending)) != NULL) {
                refuse(p->fd, "server shutting down");
                pending_free(p);
        }
}
