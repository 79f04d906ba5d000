/*
 * limits_int.h - the hostile-input pre-scan of one spec file (limits.c).
 *
 * The loader calls fc_specs_prescan() on every file after its size check
 * and before libyaml composes node trees or libcyaml sees a byte.  The
 * limits themselves are in fc_specs.h (FC_SPEC_MAX_*).
 */
#ifndef FC_SPECS_LIMITS_INT_H
#define FC_SPECS_LIMITS_INT_H

#include <stddef.h>

/*
 * Streams data through libyaml's event parser and checks nesting depth,
 * entries per list or map,
 * scalar length, anchors and aliases.  FC_OK when the file stays within the
 * limits, and also when it is not valid YAML (the loader reports syntax
 * errors itself, with their context).  FC_EINVALID when a limit is
 * exceeded: *line gets the 1-based line and msg "<what>: limit N".
 * FC_ENOMEM.
 */
int fc_specs_prescan(const char *data, size_t len, unsigned *line, char *msg,
                     size_t msgsize);

#endif
