/*
 * imageref.h - what the supervisor accepts as an image reference before it
 * puts one into an engine path or checks it against the allowlist.
 */
#ifndef DG_IMAGEREF_H
#define DG_IMAGEREF_H

#define IMAGE_REF_MAX 512

/*
 * 1 when ref is name[:tag][@digest]: at most IMAGE_REF_MAX bytes of
 * [A-Za-z0-9_.:/@-], its "/"-separated components each starting with a
 * letter or digit (so no "." or ".." segment changes an engine path's
 * meaning) and none empty.
 */
int image_ref_ok(const char *ref);

#endif
