/*
 * template.h - docker's --format / -f templates for the common cases
 * (template.c): {{.A.B}}, {{json .}}, {{json .A}}, text, \t and \n.
 */
#ifndef DG_TEMPLATE_H
#define DG_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Writes tpl applied to doc to out (dry: only checks tpl).  0, or -1 with
 * err naming what is not supported.
 */
int template_render(FILE *out, const char *tpl, json_t *doc, char *err, size_t len, int dry);
/* 0 when tpl is one template_render() can apply. */
int template_check(const char *tpl, char *err, size_t len);

#endif
