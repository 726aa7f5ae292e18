/* statefile — small JSON state files (a source's folders and watermarks, a portal's
 * session and points, a token cache): written atomically, read with one behaviour.
 *
 * statefile_save() writes the object to a temporary file in the same directory, syncs
 * it, renames it over the old one and syncs the directory (write_file_atomic), mode 0600;
 * the text is wiped from memory afterwards (state may hold cookies or tokens). When the
 * file already holds exactly that text (mode 0600), nothing is written: a run that
 * changed nothing (a poll with no new mail) costs no sync. This trusts the file found
 * there to be durable already: statefile_save() synced it before its rename and its
 * directory after.
 *
 * statefile_load() — one documented behaviour for every state file:
 *   missing            an empty object: a first run
 *   a JSON object      that object
 *   damaged            (not JSON, not an object, larger than STATEFILE_MAX) the file is
 *                      moved aside to "<path>.damaged" (replacing an older one) for a
 *                      person to look at, a warning names both, and the caller gets an
 *                      empty object: the source starts afresh (it re-reads what it must;
 *                      dedupe keeps anything from being filed twice)
 *   unreadable         (permissions, I/O) -1 with err set: the caller stops, nothing is
 *                      overwritten
 *
 * Ownership: *out belongs to the caller (json_decref). Errors: -1 with err naming the file.
 */
#ifndef GONIEC_CORE_STATEFILE_H
#define GONIEC_CORE_STATEFILE_H

#include <jansson.h>

#include "core/util.h"

#define STATEFILE_MAX (16u << 20)
#define STATEFILE_DAMAGED_SUFFIX ".damaged"

int statefile_load(const char *path, json_t **out, struct gerr *err);
int statefile_save(const char *path, const json_t *obj, struct gerr *err);

#endif
