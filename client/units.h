/*
 * units.h - numbers for people, the way the docker CLI writes them, so that
 * dockgate's tables read like docker's.
 */
#ifndef DG_UNITS_H
#define DG_UNITS_H

#include <stddef.h>
#include <time.h>

/* Decimal sizes with `precision` significant digits: "1.23MB", "4.1kB", "0B". */
void units_size(char *buf, size_t len, double bytes, int precision);
/* Binary sizes, 4 significant digits: "1.5MiB", "512MiB". */
void units_bytes(char *buf, size_t len, double bytes);
/* How long ago `then` was at `now`: "5 minutes ago", "About an hour ago". */
void units_ago(char *buf, size_t len, time_t then, time_t now);

#endif
