/*
 * hooks.c - the test hooks (hooks.h): none in the shipped worker.
 */
#include <stddef.h>

#include "hooks.h"

const struct worker_hooks *worker_hooks = NULL;
