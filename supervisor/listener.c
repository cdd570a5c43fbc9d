/*
 * listener.c - accepting peers on the unix socket, and on TCP if configured.
 *
 * A unix peer's identity is learned here, from the kernel (SO_PEERCRED),
 * before a single byte is read; the supervisor never reads peer bytes at
 * all.  What then happens to the connection (a worker, a place in the
 * waiting queue, or a refusal: an unmapped uid, a stream quota, the worker
 * bounds) is admission's decision (admit.h).
 *
 * A TCP peer has no identity at accept: each of its calls carries a bearer
 * token, which the worker forwards and the broker checks (broker.c).
 *
 * The Docker-API front (--docker-socket) is a second unix listener with the
 * same identity, admission, policy and quotas; only the worker's front
 * differs (it speaks the Engine's HTTP API to the peer, docs/docker-api.md).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "admit.h"
#include "listener.h"
#include "log.h"

#define ACCEPT_BACKOFF_MS 100

static void accept_resume(evutil_socket_t fd, short what, void *arg)
{
        struct sv *sv = arg;
        event_add(sv->ev_accept, NULL);
        if (sv->ev_tcp_accept != NULL)
                event_add(sv->ev_tcp_accept, NULL);
        if (sv->ev_docker_accept != NULL)
                event_add(sv->ev_docker_accept, NULL);
}

/* Who a TCP peer is, for the log only: its address says nothing of its rights. */
static void tcp_peer_note(int fd)
{
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        char host[NI_MAXHOST] = "?", port[NI_MAXSERV] = "?";
        int one = 1;

        /* Small frames, answered at once: no Nagle delay. */
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
                (void)getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port,
                                  sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
        log_debug("TCP connection from %s port %s", host, port);
}

static void accept_backoff(struct sv *sv)
{
        log_warn("accept");
        event_del(sv->ev_accept);
        if (sv->ev_tcp_accept != NULL)
                event_del(sv->ev_tcp_accept);
        if (sv->ev_docker_accept != NULL)
                event_del(sv->ev_docker_accept);
        struct timeval tv = {0, ACCEPT_BACKOFF_MS * 1000};
        evtimer_add(sv->ev_accept_resume, &tv);
}

/*
 * The next connection on lfd, or -1 when there is none now: out of
 * descriptors backs off instead of spinning; other errors are logged.
 */
static int accept_next(struct sv *sv, int lfd, const char *what)
{
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

        if (fd >= 0)
                return fd;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                accept_backoff(sv);
        else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                 errno != ECONNABORTED)
                log_warn("%s", what);
        return -1;
}

static void on_accept_tcp(evutil_socket_t lfd, short what, void *arg)
{
        struct sv *sv = arg;
        int fd;

        for (int i = 0; i < 64 && (fd = accept_next(sv, lfd, "accept (tcp)")) >= 0; i++) {
                tcp_peer_note(fd);
                admit_peer(sv, fd, (uid_t)-1, (gid_t)-1, 1, 0);
        }
}

static void accept_unix(struct sv *sv, int lfd, int docker)
{
        struct ucred cred;
        socklen_t clen;
        int fd;

        for (int i = 0; i < 64 && (fd = accept_next(sv, lfd, "accept")) >= 0; i++) {
                clen = sizeof(cred);
                if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
                    clen != sizeof(cred)) {
                        log_warn("SO_PEERCRED");
                        close(fd);
                        continue;
                }
                admit_peer(sv, fd, cred.uid, cred.gid, 0, docker);
        }
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
        accept_unix(arg, lfd, 0);
}

static void on_accept_docker(evutil_socket_t lfd, short what, void *arg)
{
        accept_unix(arg, lfd, 1);
}

/* "PORT", "HOST:PORT" or "[V6HOST]:PORT" into host and port; the host defaults to loopback. */
static int tcp_split(const char *spec, char *host, size_t hlen, char *port, size_t plen)
{
        const char *colon = strrchr(spec, ':');
        size_t n;

        if (colon == NULL) {
                snprintf(host, hlen, "127.0.0.1");
                colon = spec - 1;
        } else {
                n = (size_t)(colon - spec);
                if (n >= 2 && spec[0] == '[' && spec[n - 1] == ']') {
                        spec++;
                        n -= 2;
                }
                if (n == 0 || n >= hlen)
                        return -1;
                memcpy(host, spec, n);
                host[n] = '\0';
        }
        n = strlen(colon + 1);
        if (n == 0 || n >= plen || strspn(colon + 1, "0123456789") != n)
                return -1;
        memcpy(port, colon + 1, n + 1);
        return 0;
}

static int tcp_loopback(const struct sockaddr *sa)
{
        if (sa->sa_family == AF_INET)
                return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
        if (sa->sa_family == AF_INET6)
                return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
        return 0;
}

/*
 * The TCP listener: numeric addresses only (no resolver in the supervisor).
 * The port actually bound is logged, so that port 0 (any free port) works.
 */
static int listener_open_tcp(struct sv *sv)
{
        struct addrinfo hints = {0}, *ai = NULL;
        struct sockaddr_storage ss;
        socklen_t sslen = sizeof(ss);
        char host[64], port[16], shost[NI_MAXHOST], sport[NI_MAXSERV];
        int fd = -1, one = 1, rc;

        if (tcp_split(sv->cfg.tcp, host, sizeof(host), port, sizeof(port)) < 0) {
                log_warnx("tcp %s: not PORT, HOST:PORT or [HOST]:PORT", sv->cfg.tcp);
                return -1;
        }
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
        if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
                log_warnx("tcp %s: %s (give a numeric address)", sv->cfg.tcp, gai_strerror(rc));
                return -1;
        }
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 512) < 0 ||
            getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0) {
                log_warn("tcp listener on %s", sv->cfg.tcp);
                if (fd >= 0)
                        close(fd);
                freeaddrinfo(ai);
                return -1;
        }
        if (!tcp_loopback(ai->ai_addr))
                log_warnx("the TCP listener on %s is not on loopback: bearer tokens travel "
                          "in clear text; put TLS in front of it",
                          sv->cfg.tcp);
        freeaddrinfo(ai);
        if (getnameinfo((struct sockaddr *)&ss, sslen, shost, sizeof(shost), sport,
                        sizeof(sport), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
                snprintf(sport, sizeof(sport), "?");
        sv->tcp_fd = fd;
        sv->ev_tcp_accept = event_new(sv->base, fd, EV_READ | EV_PERSIST, on_accept_tcp, sv);
        if (sv->ev_tcp_accept == NULL)
                fatalx("event_new failed");
        event_add(sv->ev_tcp_accept, NULL);
        log_info("listening on tcp %s port %s (bearer tokens)", shost, sport);
        return 0;
}

/* A listening unix socket at path, or -1 with a log line. */
static int listener_unix(const char *path)
{
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sun.sun_path)) {
                log_warnx("socket path too long: %s", path);
                return -1;
        }
        memcpy(sun.sun_path, path, strlen(path) + 1);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
                log_warn("socket");
                return -1;
        }
        /* A stale socket file from a crash is replaced; anything else is not. */
        struct stat st;
        if (lstat(path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode)) {
                        log_warnx("%s exists and is not a socket", path);
                        close(fd);
                        return -1;
                }
                unlink(path);
        }
        if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
                log_warn("bind %s", path);
                close(fd);
                return -1;
        }
        /* Anyone may connect: identity comes from SO_PEERCRED and the policy. */
        if (chmod(path, 0666) < 0 || listen(fd, 512) < 0) {
                log_warn("listen %s", path);
                close(fd);
                unlink(path);
                return -1;
        }
        return fd;
}

static int listener_open_docker(struct sv *sv)
{
        int fd = listener_unix(sv->cfg.docker_socket);

        if (fd < 0)
                return -1;
        sv->docker_fd = fd;
        sv->ev_docker_accept =
            event_new(sv->base, fd, EV_READ | EV_PERSIST, on_accept_docker, sv);
        if (sv->ev_docker_accept == NULL)
                fatalx("event_new failed");
        event_add(sv->ev_docker_accept, NULL);
        log_info("listening on %s (Docker Engine API)", sv->cfg.docker_socket);
        return 0;
}

int listener_open(struct sv *sv)
{
        int fd = listener_unix(sv->cfg.socket);

        if (fd < 0)
                return -1;
        sv->listen_fd = fd;
        admit_init(sv);
        sv->ev_accept = event_new(sv->base, fd, EV_READ | EV_PERSIST, on_accept, sv);
        sv->ev_accept_resume = evtimer_new(sv->base, accept_resume, sv);
        if (sv->ev_accept == NULL || sv->ev_accept_resume == NULL)
                fatalx("event_new failed");
        event_add(sv->ev_accept, NULL);
        log_info("listening on %s", sv->cfg.socket);
        sv->tcp_fd = -1;
        sv->ev_tcp_accept = NULL;
        sv->docker_fd = -1;
        sv->ev_docker_accept = NULL;
        if ((sv->cfg.tcp[0] != '\0' && listener_open_tcp(sv) < 0) ||
            (sv->cfg.docker_socket[0] != '\0' && listener_open_docker(sv) < 0)) {
                listener_close(sv);
                return -1;
        }
        return 0;
}

void listener_close(struct sv *sv)
{
        if (sv->listen_fd < 0)
                return;
        if (sv->ev_tcp_accept != NULL) {
                event_free(sv->ev_tcp_accept);
                sv->ev_tcp_accept = NULL;
                close(sv->tcp_fd);
                sv->tcp_fd = -1;
        }
        if (sv->ev_docker_accept != NULL) {
                event_free(sv->ev_docker_accept);
                sv->ev_docker_accept = NULL;
                close(sv->docker_fd);
                sv->docker_fd = -1;
                unlink(sv->cfg.docker_socket);
        }
        event_free(sv->ev_accept);
        event_free(sv->ev_accept_resume);
        close(sv->listen_fd);
        sv->listen_fd = -1;
        unlink(sv->cfg.socket);
        admit_close(sv);
}
