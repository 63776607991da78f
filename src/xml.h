/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef COWTRACE_XML_H
#define COWTRACE_XML_H
#include <stddef.h>
#include <stdio.h>

/*
 * Text or attribute value (at most max bytes of str): the five XML specials
 * as entities, valid UTF-8 as is, anything else (controls, stray bytes) as
 * a visible \xNN.
 */
void xml_str(FILE *f, const char *str, size_t max);

#endif
