/*
 * dapi_containers.c - POST /containers/prune and /containers/{id}/rename
 * as docker/container/prune and docker/container/rename (dapi_containers.h);
 * the prune's filters are read as the other prunes' (dob_in_prune).
 *
 * Which containers are the peer's, which are stopped, and what a name means
 * (the peer's namespace) are the broker's: the worker only reads the query.
 */
#include <string.h>

#include "dapi.h"
#include "dapi_containers.h"
#include "dapi_objects.h"

void dctr_out_prune(struct dapi *d, const json_t *o)
{
        dob_reply_pruned(d, o, "ContainersDeleted");
}

int dctr_in_rename(struct dapi *d, json_t *input)
{
        const char *name = dq_str(d, "name");

        if (name != NULL && name[0] == '/')
                name++; /* the engine's own spelling of a container name */
        if (name == NULL || name[0] == '\0') {
                dapi_reply_error(d, 400, "query parameter name: required");
                dapi_finish(d, "INVALID_INPUT");
                return -1;
        }
        json_object_set_new(input, "containerId", json_string(d->capture));
        json_object_set_new(input, "name", json_string(name));
        return 0;
}
