/*
 * log.h - the one logging module of every dockgate process.
 *
 * Each line is prefixed with the process name given to log_init().  Lines go
 * to stderr, or to syslog when log_init() is told so.  fatal()/fatalx() log
 * and exit(1); only process code (main loops) calls them, never protocol/.
 */
#ifndef DG_LOG_H
#define DG_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN = 1, LOG_LVL_INFO = 2, LOG_LVL_DEBUG = 3 };

/*
 * Returns whether lines go to syslog: with use_syslog but no syslog daemon
 * listening, it warns on stderr and logs there instead (returns 0).
 */
int log_init(const char *procname, int use_syslog, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "error", "warn", "info", "debug"; returns -1 on anything else. */
int log_level_parse(const char *s);

void log_warn(const char *fmt, ...)
    __attribute__((format(printf, 1, 2))); /* appends strerror(errno) */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn)); /* + strerror */
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Writes a line logged by another process, as it is (see log.c). */
void log_relay(const char *line);

#endif
