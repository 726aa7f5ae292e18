/* target — deliver one document (or a batch) to a route's target.
 *
 * Folder target (folder_deliver): the name is the route's template rendered over the
 * sidecar (the document's spool name when a field has no value), each path component
 * made safe with sanitize_filename(). Directories are created with dir_mode and the
 * group (never following symlinks). The document is copied to a temporary name in the
 * destination directory (".goniec-<hash>.part", O_EXCL, close checked), given its group
 * and mode, synced (a group of deliveries with one syncfs), and published with link(2), which never overwrites; where a share
 * refuses hard links, renameat2(RENAME_NOREPLACE), and where that is not supported
 * either, a check-then-rename. An existing file with the same content counts as this
 * document delivered already (that is what makes a retry after a crash exactly-once);
 * an existing different file makes the name get a suffix ("name-2.pdf"). The directory
 * is fsynced (EINVAL ignored: not every share supports it).
 *
 * E-mail target (email_send): one SMTP session through libcurl carrying one message.
 *
 * Results: DELIVERED; DELIVER_RETRY for what may pass later (network, SMTP 4xx, share
 * not mounted, disk full); DELIVER_FAILED for what needs a person (SMTP 5xx,
 * permission denied, document too large). err says why, naming file or server.
 */
#ifndef GONIEC_FORWARD_TARGET_H
#define GONIEC_FORWARD_TARGET_H

#include "core/util.h"
#include "forward/mailmsg.h"
#include "forward/route.h"
#include "core/sidecar.h"

enum deliver_status { DELIVERED = 0, DELIVER_RETRY = 1, DELIVER_FAILED = 2 };

/* A folder delivery in two steps, so that a group of them is synced at once:
 *   folder_prepare()    copy to the temporary name (and the sidecar copy beside it)
 *   folder_sync_data()  one syncfs(2) per file system for the whole group
 *   folder_publish()    link into place (where: the name below the target directory)
 *   folder_sync_dirs()  fsync each destination directory once
 *   folder_job_release() always, also after a failure (removes what is left).
 * A kill -9 anywhere in between leaves at most a temporary file, replaced on the retry. */
struct folder_job {
	const struct route_folder_target *f;
	int dfd;              /* the destination directory */
	char *rel, *tmp, *side_tmp;
	char *base;           /* points into rel: the file name */
	char *where;          /* after folder_publish() */
};
enum deliver_status folder_prepare(const struct route_folder_target *f, const struct sidecar *sc,
				   struct folder_job *job, struct gerr *err);
int folder_sync_data(struct folder_job *const *jobs, size_t n, struct gerr *err);
enum deliver_status folder_publish(struct folder_job *job, struct gerr *err);
void folder_sync_dirs(struct folder_job *const *jobs, size_t n);
void folder_job_release(struct folder_job *job);
/* The name a document gets below the target directory (components made safe). */
char *folder_target_name(const struct route_folder_target *f, const struct sidecar *sc);

/* Send one message already built (mail_build) to the route's recipients. */
enum deliver_status email_send(const struct route_email_target *e, const char *message,
			       size_t len, struct gerr *err);

#endif
