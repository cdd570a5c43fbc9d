/*
 * stream_stats.h - kind "stats": GET /containers/{id}/stats becomes one
 * record per engine sample, normalized to
 *   {"cpuPercent", "memoryUsage", "memoryLimit", "networkRx", "networkTx",
 *    "blockRead", "blockWrite", "pids", "read"}
 * the way the docker CLI computes them.  opts: {"stream": bool}.
 */
#ifndef DG_WORKER_STREAM_STATS_H
#define DG_WORKER_STREAM_STATS_H

#include "stream.h"

extern const struct stream_kind stream_stats_kind;

#endif
