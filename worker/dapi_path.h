/*
 * dapi_path.h - the canonical form of a Docker-API request target.
 *
 * Accepted: an origin-form target, an optional version prefix /v1.12 ..
 * /v1.41 (removed), then a path of segments made of the characters Docker
 * names, IDs and image references use.  Refused: other versions (the
 * engine's wording), percent-encoding in the path, empty segments (double
 * slashes), "." and ".." segments, anything else outside that set.  The
 * query is split into a JSON object of decoded strings; a key given twice
 * keeps its first value and is named in repeated: the front refuses it when
 * the route reads it (two readers could pick different ones).
 */
#ifndef DG_WORKER_DAPI_PATH_H
#define DG_WORKER_DAPI_PATH_H

#include <jansson.h>
#include <stddef.h>

#define DPATH_API_MIN 12 /* 1.12 */
#define DPATH_API_MAX 41 /* 1.41: the API this front speaks */

struct dpath {
        char path[4096 + 1]; /* without the version prefix, never empty */
        int api_minor;       /* from the prefix; DPATH_API_MAX when none */
        json_t *query;       /* object of strings (owned) */
        json_t *repeated;    /* object: the keys given more than once (owned) */
};

/*
 * 0 with p filled, or -1 with *status (400, 404) and err set.  url is the
 * request target as read (NUL-terminated).
 */
int dpath_parse(const char *url, struct dpath *p, int *status, char *err, size_t errlen);
void dpath_clear(struct dpath *p);

#endif
