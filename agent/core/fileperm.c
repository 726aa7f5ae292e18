/* fileperm — see fileperm.h. */
#include "core/fileperm.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Is gid the private group of user uid: named like the user, its primary group, and
 * with no members listed? */
static bool private_group_of(uid_t uid, gid_t gid)
{
	struct passwd *pw = getpwuid(uid);
	if (!pw || pw->pw_gid != gid)
		return false;
	char *user = xstrdup(pw->pw_name); /* getgrgid() may reuse getpwuid()'s buffer */
	struct group *gr = getgrgid(gid);
	bool ok = gr && strcmp(gr->gr_name, user) == 0 &&
		  (!gr->gr_mem[0] || (strcmp(gr->gr_mem[0], user) == 0 && !gr->gr_mem[1]));
	free(user);
	return ok;
}

static const char *user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);
	if (pw)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid %u", (unsigned)uid);
	return buf;
}

int perm_check_config(const char *path, const struct stat *st, struct gerr *err)
{
	char owner[64], self[64];
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return gerr_set(err, "%s belongs to %s, neither root nor %s (the user goniec runs as), so another user can change what goniec does: run `chown root %s`",
				path, user_name(st->st_uid, owner, sizeof owner),
				user_name(geteuid(), self, sizeof self), path);
	bool group_writes = (st->st_mode & S_IWGRP) && !private_group_of(st->st_uid, st->st_gid);
	if ((st->st_mode & S_IWOTH) || group_writes)
		return gerr_set(err, "%s is writable by %s (mode %04o), so another user can change what goniec does: run `chmod go-w %s`",
				path, st->st_mode & S_IWOTH ? "anyone" : "its group",
				(unsigned)(st->st_mode & 07777), path);
	return 0;
}

/* A folder above conf.d: like configuration, or root's with the sticky bit. */
static int check_parent(const char *path, struct gerr *err)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return gerr_sys(err, "cannot check %s", path);
	if (st.st_uid == 0 && (st.st_mode & S_ISVTX))
		return 0;
	return perm_check_config(path, &st, err);
}

int perm_check_config_dir(const char *dir, struct gerr *err)
{
	char *real = realpath(dir, NULL);
	if (!real)
		return gerr_sys(err, "cannot read configuration directory %s", dir);
	struct stat st;
	int rc = stat(real, &st) == 0 ? perm_check_config(dir, &st, err)
				       : gerr_sys(err, "cannot read configuration directory %s", dir);
	for (char *slash = strrchr(real, '/'); rc == 0 && slash; slash = strrchr(real, '/')) {
		slash[slash == real] = '\0'; /* "/etc/goniec" -> "/etc" -> "/" */
		rc = check_parent(real, err);
		if (slash == real)
			break;
	}
	free(real);
	return rc;
}

bool perm_secret_too_open(mode_t mode)
{
	return (mode & (S_IRWXO | S_IWGRP)) != 0;
}

int perm_check_secret_file(const char *path, struct gerr *err)
{
	struct stat st;
	if (stat(path, &st) != 0 || !perm_secret_too_open(st.st_mode))
		return 0;
	return gerr_set(err, "secret file %s has mode %04o: others may read or change it; run `chmod 0640 %s` (or 0600)",
			path, (unsigned)(st.st_mode & 07777), path);
}
