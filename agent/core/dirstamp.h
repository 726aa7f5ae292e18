/* dirstamp — a fingerprint of what some folders hold, for a process that keeps what it read
 * from them (the invoice field rules, the bank CSV maps) and must see, cheaply and at each
 * use, whether a person has changed them since: a daemon's worker takes run after run, and
 * an edit to conf.d/invoices/ or conf.d/banks/ counts from the next run on.
 *
 * The fingerprint holds each folder's path and, for each of its entries (dot files left
 * out, sorted by name), the name and — following symbolic links, as the readers do — the
 * device, inode, size and modification and change times in nanoseconds. Rewriting a file
 * in place, replacing it by a rename, adding or removing one all change it; a folder that
 * does not exist has the fingerprint of nothing there. Cost: one directory read and one
 * stat per entry.
 *
 * Ownership: a struct dirstamp holds its bytes until dirstamp_free() (a zeroed one was
 * never taken). Errors: none; an entry that cannot be examined counts by
 * its name alone (it counts as changed once it can be).
 */
#ifndef GONIEC_CORE_DIRSTAMP_H
#define GONIEC_CORE_DIRSTAMP_H

#include <stdbool.h>
#include <stddef.h>

struct dirstamp {
	unsigned char *data;
	size_t len;
};

/* Take the fingerprint of these folders: true when it differs from *kept (always when
 * *kept was never taken); *kept becomes the new one either way. */
bool dirstamp_changed(struct dirstamp *kept, const char *const *dirs, size_t n);
void dirstamp_free(struct dirstamp *s);

#endif
