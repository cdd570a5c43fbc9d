/*
 * dapi_objects.h - the Docker-API front's translations (in) and renderings
 * (out) for networks, volumes and images: the rows that use them are in
 * dapi_routes.c.  Each in() returns -1 after answering the request.
 */
#ifndef DG_WORKER_DAPI_OBJECTS_H
#define DG_WORKER_DAPI_OBJECTS_H

#include <jansson.h>

struct dapi;

int dob_in_net_create(struct dapi *d, json_t *input);
void dob_out_net_create(struct dapi *d, const json_t *o);
int dob_in_net_list(struct dapi *d, json_t *input);
int dob_in_net(struct dapi *d, json_t *input);
int dob_in_net_inspect(struct dapi *d, json_t *input);
int dob_in_net_connect(struct dapi *d, json_t *input);
int dob_in_net_disconnect(struct dapi *d, json_t *input);

int dob_in_vol_create(struct dapi *d, json_t *input);
void dob_out_vol_create(struct dapi *d, const json_t *o);
int dob_in_vol_list(struct dapi *d, json_t *input);
void dob_out_vol_list(struct dapi *d, const json_t *o);
int dob_in_vol(struct dapi *d, json_t *input);
int dob_in_vol_remove(struct dapi *d, json_t *input);

int dob_in_img_list(struct dapi *d, json_t *input);
int dob_in_img(struct dapi *d, json_t *input);
int dob_in_img_remove(struct dapi *d, json_t *input);
void dob_out_img_remove(struct dapi *d, const json_t *o);
int dob_in_img_pull(struct dapi *d, json_t *input);
int dob_in_img_tag(struct dapi *d, json_t *input);
int dob_in_img_prune(struct dapi *d, json_t *input);
void dob_out_img_prune(struct dapi *d, const json_t *o);
void dob_out_created(struct dapi *d, const json_t *o); /* 201, no body */

int dob_in_events(struct dapi *d, json_t *input);

/* containers and networks: label, label! and until filters; volumes: label, label! */
int dob_in_prune(struct dapi *d, json_t *input);
int dob_in_vol_prune(struct dapi *d, json_t *input);
void dob_out_net_prune(struct dapi *d, const json_t *o);
void dob_out_vol_prune(struct dapi *d, const json_t *o);
/* {key: output.deleted, "SpaceReclaimed": 0}, the engine's prune report */
void dob_reply_pruned(struct dapi *d, const json_t *o, const char *key);

void dob_out_ok(struct dapi *d, const json_t *o);         /* 200, no body */
void dob_out_no_content(struct dapi *d, const json_t *o); /* 204 */

#endif
