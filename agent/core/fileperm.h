/* fileperm — who may change the files that steer goniec, checked the way ssh checks its
 * own (StrictModes): a conf.d that another user can write could add a route that mails
 * every invoice away; a secret file that others can read gives the password away.
 *
 * Configuration (conf.d, each file in it, provider recipes, and every folder above
 * conf.d) must be owned by root or by the user goniec runs as, and writable by no one
 * else: not by others, and not by its group unless that group is the owner's own
 * private group (no other member, as with umask 002 on many systems). A folder above
 * conf.d that others may write is accepted when it is root's and sticky (/tmp): others
 * cannot rename or remove what is in it.
 *
 * A secret file (`*_file`, or a conf.d file with an inline secret) must not be readable
 * or writable by others, nor writable by its group (root:goniec 0640 is the usual mode).
 *
 * Errors: -1 with err naming the path, what is wrong and the command that fixes it.
 * Ownership: nothing is kept.
 */
#ifndef GONIEC_FILEPERM_H
#define GONIEC_FILEPERM_H

#include <stdbool.h>
#include <sys/stat.h>

#include "core/util.h"

/* A configuration file or folder, by its stat. */
int perm_check_config(const char *path, const struct stat *st, struct gerr *err);
/* The conf.d folder and every folder above it (symbolic links resolved). */
int perm_check_config_dir(const char *dir, struct gerr *err);
/* Does this mode let others read or change a file holding a secret? */
bool perm_secret_too_open(mode_t mode);
/* A secret file that exists (one that does not is left to whoever reads it). */
int perm_check_secret_file(const char *path, struct gerr *err);

#endif
