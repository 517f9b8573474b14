/* Manifest key names inside common/: schema lookup by key segments, messages, suggestions. */
#ifndef KERNITE_MANIFEST_KEYS_H
#define KERNITE_MANIFEST_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "manifest.h"

/* Tables nest at most this deep in a manifest the checker walks. */
#define MANIFEST_MAX_KEY_DEPTH 16

/* A key is its list of segments, so that quoted names with dots stay one segment. */
const struct manifest_key_spec* manifest_key_find(const char* const* segs, size_t depth);
/* Whether some schema key lies below this one (so it is a table worth walking into). */
bool manifest_key_has_prefix(const char* const* segs, size_t depth);
bool manifest_key_is_experimental(const char* const* segs, size_t depth);

/* Dotted, with segments that are not bare keys in quotes: loader.env."A.B". */
void manifest_key_format(const char* const* segs, size_t depth, char* buf, size_t size);

/* The closest schema key to an unknown one (key is its formatted form); "" when none is close. */
void manifest_key_suggest(const char* const* segs, size_t depth, const char* key, char* best,
                          size_t size);
/* The closest field name of a table kind; NULL when none is close. */
const char* manifest_field_suggest(const char* name, const struct manifest_key_spec* fields,
                                   size_t count);

#endif
