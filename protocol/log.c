/*
 * log.c - one line per event, "procname[pid]: message", to stderr or syslog.
 * Not async-signal-safe: call it from the main loop only.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static const char *log_procname = "dockgate";
static int log_use_syslog;
static enum log_level log_cur = LOG_LVL_INFO;

/*
 * Whether a syslog daemon listens on _PATH_LOG.  openlog() cannot tell: glibc
 * drops lines silently when nobody listens, and retries socket() at every
 * line, which a sandboxed process may not call.
 */
static int log_syslog_listens(void)
{
        static const int types[] = {SOCK_DGRAM, SOCK_STREAM};
        struct sockaddr_un sun;
        size_t i;

        memset(&sun, 0, sizeof(sun));
        sun.sun_family = AF_UNIX;
        snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", _PATH_LOG);
        for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
                int fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0);
                int ok;

                if (fd == -1)
                        continue;
                ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
                close(fd);
                if (ok)
                        return 1;
        }
        return 0;
}

/* procname is kept, not copied: pass a literal or argv[0]. */
int log_init(const char *procname, int use_syslog, enum log_level level)
{
        if (procname != NULL)
                log_procname = procname;
        log_cur = level;
        log_use_syslog = 0;
        if (use_syslog && !log_syslog_listens()) {
                log_warnx("syslog: nothing listens on %s; logging to standard error instead",
                          _PATH_LOG);
                return 0;
        }
        log_use_syslog = use_syslog;
        if (use_syslog)
                openlog(log_procname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
        return use_syslog;
}

void log_set_level(enum log_level level)
{
        log_cur = level;
}

enum log_level log_get_level(void)
{
        return log_cur;
}

int log_level_parse(const char *s)
{
        static const char *const names[] = {"error", "warn", "info", "debug"};
        size_t i;

        if (s == NULL)
                return -1;
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(s, names[i]) == 0)
                        return (int)i;
        return -1;
}

/* errnum >= 0 appends strerror(errnum). */
__attribute__((format(printf, 3, 0))) static void log_vlog(enum log_level level, int errnum,
                                                           const char *fmt, va_list ap)
{
        static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
        char msg[2048];
        int n;

        if (level > log_cur)
                return;
        n = vsnprintf(msg, sizeof(msg), fmt, ap);
        if (n < 0)
                n = 0;
        if (errnum >= 0 && (size_t)n < sizeof(msg))
                snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(errnum));
        if (log_use_syslog)
                syslog(prio[level], "%s", msg);
        else
                fprintf(stderr, "%s[%ld]: %s\n", log_procname, (long)getpid(), msg);
}

void log_warn(const char *fmt, ...)
{
        int saved = errno;
        va_list ap;

        va_start(ap, fmt);
        log_vlog(LOG_LVL_WARN, saved, fmt, ap);
        va_end(ap);
        errno = saved;
}

void log_warnx(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        log_vlog(LOG_LVL_WARN, -1, fmt, ap);
        va_end(ap);
}

void log_info(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        log_vlog(LOG_LVL_INFO, -1, fmt, ap);
        va_end(ap);
}

void log_debug(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        log_vlog(LOG_LVL_DEBUG, -1, fmt, ap);
        va_end(ap);
}

void fatal(const char *fmt, ...)
{
        int saved = errno;
        va_list ap;

        va_start(ap, fmt);
        log_vlog(LOG_LVL_ERROR, saved, fmt, ap);
        va_end(ap);
        exit(1);
}

void fatalx(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        log_vlog(LOG_LVL_ERROR, -1, fmt, ap);
        va_end(ap);
        exit(1);
}

/*
 * A line another process logged (a worker, through the supervisor's pipe).
 * The sender already applied its level; the caller has made it printable.
 */
void log_relay(const char *line)
{
        if (log_use_syslog)
                syslog(LOG_NOTICE, "%s", line);
        else
                fprintf(stderr, "%s\n", line);
}
