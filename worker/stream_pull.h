/*
 * stream_pull.h - kind "pull": POST /images/create?fromImage=&tag= becomes
 * one record per engine progress message:
 *   {"status", "id", "progress", "current", "total"}
 * (null where the engine gave none).  An {"error": ...} message ends the
 * call with DOCKER_ERROR and its text; the end of the stream without one
 * is the engine's word that the image is now present: call.completed.
 * opts: {}.
 */
#ifndef DG_WORKER_STREAM_PULL_H
#define DG_WORKER_STREAM_PULL_H

#include "stream.h"

extern const struct stream_kind stream_pull_kind;

#endif
