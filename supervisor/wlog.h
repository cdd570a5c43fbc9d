/*
 * wlog.h - the workers' log lines, relayed through the supervisor.
 *
 * A worker may not write files (RLIMIT_FSIZE 0), so its fd 2 is the write
 * end of one pipe shared by all workers; the supervisor reads it and logs
 * each line, made printable first (a worker is not trusted to log sanely).
 */
#ifndef DG_WLOG_H
#define DG_WLOG_H

#include "supervisor.h"

int wlog_open(struct sv *sv); /* sets sv->wlog_fd (the write end, for workers) */
void wlog_close(struct sv *sv);

#endif
