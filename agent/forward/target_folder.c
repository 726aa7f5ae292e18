/* target_folder — the `folder` delivery target (see target.h): the name is the route's
 * template rendered over the sidecar (the document's spool name when a field has no
 * value), each path component made safe with sanitize_filename(). Directories are
 * created with dir_mode and the group (never following symlinks). The document is copied
 * to a temporary name in the destination directory (".goniec-<hash>.part", O_EXCL, close
 * checked), given its group and mode (prepare), synced together with the rest of its
 * group, bounded by the group's own files (commit, fsyncs.h), and published with link(2), which never overwrites; where
 * a share refuses hard links, renameat2(RENAME_NOREPLACE), and where that is not
 * supported either, a check-then-rename (deliver). An existing file with the same
 * content counts as this document delivered already (that is what makes a retry after a
 * crash exactly-once); an existing different file makes the name get a suffix
 * ("name-2.pdf"). The directories are fsynced (EINVAL ignored: not every share supports
 * it). A kill -9 anywhere in between leaves at most a temporary file, replaced on the
 * retry.
 *
 * Directories: documents prepared within DIR_REUSE_MS of a destination directory's
 * opening share its descriptor (one descriptor, and one walk down the path, for many
 * documents: a group of thousands stays far from the descriptor limit); it is closed
 * with the last document holding it, so nothing is held while idle (an unmount is not
 * kept busy) and a share mounted again is seen within that time. Only the forwarder's
 * thread opens and releases them (prepare, release); commit and deliver only use the
 * descriptors. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fsyncs.h"
#include "core/log.h"
#include "core/names.h"
#include "forward/route.h"
#include "forward/target.h"
#include "core/template.h"

/* A destination directory open for the jobs being delivered into it. */
struct folder_dir {
	const struct route_folder_target *f;
	char *reldir;         /* below f->path: "" or "a/b" */
	int fd;
	size_t refs;          /* the jobs holding it */
	int64_t opened;       /* now_ms() */
	struct folder_dir *next;
};

#define DIR_REUSE_MS 1000
static struct folder_dir *dirs_open; /* the forwarder's thread only */

/* A folder delivery in progress (target_job.data). */
struct folder_job {
	const struct route_folder_target *f;
	struct folder_dir *dir; /* the destination directory */
	int dfd;              /* its descriptor */
	char *rel, *tmp, *side_tmp;
	char *base;           /* points into rel: the file name */
	char *where;          /* after folder_publish() */
};

#define MAX_DEPTH 8
#define MAX_SUFFIX 1000

char *target_folder_name(const struct route_folder_target *f, const struct sidecar *sc)
{
	const char *missing = NULL;
	char *rendered = f->name_t ? tmpl_render(f->name_t, sc->root, sc->file, TMPL_PATH, &missing)
				   : xstrdup(sc->file);
	if (missing) {
		free(rendered);
		rendered = xstrdup(sc->file);
	}
	struct buf out = {0};
	int depth = 0;
	char *save = NULL;
	for (char *c = strtok_r(rendered, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0 || ++depth > MAX_DEPTH)
			continue;
		char *safe = sanitize_filename(c, "_");
		buf_printf(&out, "%s%s", out.len ? "/" : "", safe);
		free(safe);
	}
	free(rendered);
	if (!out.len || str_ends_with(out.data, "/_")) {
		/* nothing usable as a file name: the document's own name */
		char *safe = sanitize_filename(sc->file, "document");
		buf_printf(&out, "%s%s", out.len ? "/" : "", safe);
		free(safe);
	}
	return buf_take(&out);
}

static enum deliver_status classify(int e)
{
	switch (e) {
	case EACCES: case EPERM: case EROFS: case ENAMETOOLONG: case ELOOP: case ENOTDIR:
	case EFBIG: case EISDIR:
		return DELIVER_FAILED;
	default:
		return DELIVER_RETRY;
	}
}

static enum deliver_status sys_fail(struct gerr *err, const char *what, const char *name)
{
	int e = errno;
	gerr_set(err, "%s %s: %s", what, name, strerror(e));
	return classify(e);
}

/* Open (creating when missing) each directory of rel below dfd; returns the last one's
 * descriptor and leaves the file name in *base. */
static int open_dirs(int dfd, char *rel, const struct route_folder_target *f, char **base,
		     struct gerr *err, enum deliver_status *st)
{
	int cur = dup(dfd);
	char *p = rel;
	for (char *slash; (slash = strchr(p, '/')); p = slash + 1) {
		*slash = '\0';
		if (mkdirat(cur, p, f->dmode) == 0) {
			/* the new directory's name durable before anything is published in it */
			if (fsync(cur) < 0 && errno != EINVAL && errno != EROFS)
				log_warn("fsync %s: %s", f->path, strerror(errno));
			/* shares that map owners refuse these (EPERM): not a reason to fail */
			if (f->gid != (gid_t)-1 &&
			    fchownat(cur, p, (uid_t)-1, f->gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EPERM)
				log_warn("setting the group of %s: %s", rel, strerror(errno));
			if (fchmodat(cur, p, f->dmode, 0) < 0 && errno != EPERM)
				log_warn("setting the mode of %s: %s", rel, strerror(errno));
		} else if (errno != EEXIST) {
			*st = sys_fail(err, "creating directory", rel);
			close(cur);
			return -1;
		}
		int next = openat(cur, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		*slash = '/';
		if (next < 0) {
			*st = sys_fail(err, "opening directory", rel);
			close(cur);
			return -1;
		}
		close(cur);
		cur = next;
	}
	*base = p;
	return cur;
}

/* Copy all of in to out: in the kernel (copy_file_range) where the file systems allow,
 * else through a buffer. -1 with errno set, and *reading telling which side failed. */
static int copy_fd(int in, int out, bool *reading)
{
	ssize_t n;
	while ((n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0)) > 0)
		;
	if (n == 0)
		return 0;
	if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP &&
	    errno != EBADF)
		return -1;
	char buf[65536];
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		*reading = n < 0;
		if (n < 0 || write_all(out, buf, (size_t)n) < 0)
			return -1;
	}
	return 0;
}

/* Copy src into a new file `tmp` in dfd. Not synced here: folder_sync_data() syncs a
 * whole group of jobs at once. */
static int copy_to_tmp(const char *src, int dfd, const char *tmp,
		       const struct route_folder_target *f, struct gerr *err,
		       enum deliver_status *st)
{
	int in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0) {
		*st = sys_fail(err, "reading", src);
		return -1;
	}
	int out = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0 && errno == EEXIST) { /* left by an interrupted run */
		unlinkat(dfd, tmp, 0);
		out = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	}
	if (out < 0) {
		*st = sys_fail(err, "creating", tmp);
		close(in);
		return -1;
	}
	int rc = 0;
	bool reading = false;
	if (copy_fd(in, out, &reading) < 0) {
		*st = sys_fail(err, reading ? "reading" : "writing", reading ? src : tmp);
		rc = -1;
	}
	if (rc == 0 && f->gid != (gid_t)-1 && fchown(out, (uid_t)-1, f->gid) < 0 && errno != EPERM) {
		*st = sys_fail(err, "setting the group of", tmp);
		rc = -1;
	}
	if (rc == 0 && fchmod(out, f->fmode) < 0 && errno != EPERM) {
		*st = sys_fail(err, "setting the mode of", tmp);
		rc = -1;
	}
	/* on NFS and SMB, write errors may first show at close */
	if (close(out) < 0 && rc == 0) {
		*st = sys_fail(err, "closing", tmp);
		rc = -1;
	}
	close(in);
	if (rc < 0)
		unlinkat(dfd, tmp, 0);
	return rc;
}

/* Do the files a and b in dfd hold the same bytes? */
static bool same_content(int dfd, const char *a, const char *b)
{
	int fa = openat(dfd, a, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int fb = openat(dfd, b, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat sa, sb;
	bool same = fa >= 0 && fb >= 0 && fstat(fa, &sa) == 0 && fstat(fb, &sb) == 0 &&
		    S_ISREG(sa.st_mode) && S_ISREG(sb.st_mode) && sa.st_size == sb.st_size;
	char ba[32768], bb[32768];
	while (same) {
		ssize_t na = read(fa, ba, sizeof(ba));
		ssize_t nb = na > 0 ? read(fb, bb, (size_t)na) : 0;
		if (na <= 0) {
			same = na == 0;
			break;
		}
		same = nb == na && memcmp(ba, bb, (size_t)na) == 0;
	}
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return same;
}

/* Publish tmp as name without overwriting. 0: published; 1: name is taken; -1: error. */
static int publish(int dfd, const char *tmp, const char *name)
{
	if (linkat(dfd, tmp, dfd, name, 0) == 0)
		return 0;
	if (errno == EEXIST) {
		/* NFS: a retransmitted link may fail although it worked (same inode) */
		struct stat a, b;
		if (fstatat(dfd, tmp, &a, AT_SYMLINK_NOFOLLOW) == 0 &&
		    fstatat(dfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino)
			return 0;
		return 1;
	}
	if (errno != EPERM && errno != ENOTSUP && errno != ENOSYS && errno != EMLINK)
		return -1;
	/* shares without hard links (some SMB servers) */
	if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno == EEXIST)
		return 1;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	return renameat(dfd, tmp, dfd, name);
}

/* The temporary name of a document's copy to `dest` (its name below the target): the same
 * on a retry (a copy a kill left is replaced), another for each destination, so that two
 * routes delivering one document into one folder (under other names, with other modes)
 * never share a copy. */
static char *tmp_name(const char *relpath, const char *dest)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	char *key = xasprintf("%s%c%s", relpath, '\0', dest);
	EVP_Digest(key, strlen(relpath) + 1 + strlen(dest), md, NULL, EVP_sha256(), NULL);
	free(key);
	hex_encode(md, 8, hex);
	return xasprintf(".goniec-%s.part", hex);
}

/* Open the destination directory of rel (creating what is missing) below f->path. */
static int open_destination(const struct route_folder_target *f, char *rel, struct gerr *err,
			    enum deliver_status *st)
{
	int root = open(f->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		int e = errno;
		gerr_set(err, "destination %s: %s%s", f->path, strerror(e),
			 e == ENOENT ? " (share not mounted?)" : "");
		*st = e == ENOENT ? DELIVER_RETRY : classify(e);
		return -1;
	}
	struct stat rst, sst;
	if (f->require_mount && fstat(root, &rst) == 0 && stat("/", &sst) == 0 &&
	    rst.st_dev == sst.st_dev) {
		close(root);
		gerr_set(err, "destination %s: not mounted (require_mount)", f->path);
		*st = DELIVER_RETRY;
		return -1;
	}
	char *base;
	int dfd = open_dirs(root, rel, f, &base, err, st);
	close(root);
	return dfd;
}

/* The directory of rel (its first dirlen bytes, the slash left out): one opened lately,
 * shared, or opened now. NULL with err and *st when it cannot be opened. */
static struct folder_dir *dir_get(const struct route_folder_target *f, char *rel, size_t dirlen,
				  struct gerr *err, enum deliver_status *st)
{
	size_t len = dirlen ? dirlen - 1 : 0;
	int64_t now = now_ms();
	for (struct folder_dir *d = dirs_open; d; d = d->next) {
		if (d->f == f && now - d->opened < DIR_REUSE_MS && strlen(d->reldir) == len &&
		    memcmp(d->reldir, rel, len) == 0) {
			d->refs++;
			return d;
		}
	}
	int fd = open_destination(f, rel, err, st);
	if (fd < 0)
		return NULL;
	struct folder_dir *d = xcalloc(1, sizeof(*d));
	*d = (struct folder_dir){.f = f, .reldir = xstrndup(rel, len), .fd = fd, .refs = 1,
				 .opened = now, .next = dirs_open};
	dirs_open = d;
	return d;
}

static void dir_put(struct folder_dir *d)
{
	if (--d->refs)
		return;
	for (struct folder_dir **p = &dirs_open; *p; p = &(*p)->next) {
		if (*p == d) {
			*p = d->next;
			break;
		}
	}
	close(d->fd);
	free(d->reldir);
	free(d);
}

static enum deliver_status folder_prepare(const struct route_folder_target *f,
					  const struct sidecar *sc, struct folder_job *job,
					  struct gerr *err)
{
	enum deliver_status st = DELIVERED;
	memset(job, 0, sizeof(*job));
	job->dfd = -1;
	job->f = f;
	job->rel = target_folder_name(f, sc);
	job->tmp = tmp_name(sc->relpath, job->rel);
	char *slash = strrchr(job->rel, '/');
	job->base = slash ? slash + 1 : job->rel;
	job->dir = dir_get(f, job->rel, (size_t)(job->base - job->rel), err, &st);
	if (job->dir)
		job->dfd = job->dir->fd;
	if (job->dfd >= 0 && copy_to_tmp(sc->docpath, job->dfd, job->tmp, f, err, &st) == 0 &&
	    f->sidecar) {
		char *src = xasprintf("%s" SIDECAR_SUFFIX, sc->docpath);
		job->side_tmp = xasprintf("%s.meta", job->tmp);
		if (copy_to_tmp(src, job->dfd, job->side_tmp, f, err, &st) < 0) {
			free(job->side_tmp);
			job->side_tmp = NULL;
		}
		free(src);
	}
	return st;
}

static int folder_commit(struct target_job *const *tjobs, size_t n, struct gerr *err)
{
	/* the group's own files (fsyncs.h): never waiting for much of other programs' data */
	struct sync_target *v = xcalloc(2 * n + 1, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct folder_job *job = tjobs[i]->data;
		v[k++] = (struct sync_target){job->dfd, job->tmp, false};
		if (job->side_tmp)
			v[k++] = (struct sync_target){job->dfd, job->side_tmp, false};
	}
	int rc = fsync_group(v, k, err);
	free(v);
	return rc;
}

static void folder_sync_dirs(struct target_job *const *tjobs, size_t n)
{
	const struct folder_dir *prev = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct folder_job *job = tjobs[i]->data;
		if (job->dir == prev)
			continue;
		prev = job->dir;
		/* EINVAL/EBADF: some shares cannot sync a directory; their server does it */
		if (fsync(job->dfd) < 0 && errno != EINVAL && errno != EBADF)
			log_warn("fsync %s: %s", job->f->path, strerror(errno));
	}
}

static enum deliver_status folder_publish(struct folder_job *job, struct gerr *err)
{
	enum deliver_status st = DELIVERED;
	char *name = NULL;
	int pub = 1;
	for (unsigned n = 1; n <= MAX_SUFFIX && pub == 1; n++) {
		free(name);
		name = n == 1 ? xstrdup(job->base) : name_with_suffix(job->base, n);
		pub = publish(job->dfd, job->tmp, name);
		if (pub == 1 && same_content(job->dfd, job->tmp, name))
			pub = 0; /* delivered before (a retry after a crash) */
	}
	if (pub != 0) {
		if (pub == 1)
			errno = EEXIST;
		st = sys_fail(err, "publishing", job->rel);
	}
	unlinkat(job->dfd, job->tmp, 0);
	job->tmp[0] = '\0'; /* gone: nothing for folder_job_release() to remove */
	if (pub == 0 && job->side_tmp) {
		char *side = xasprintf("%s" SIDECAR_SUFFIX, name);
		if (renameat(job->dfd, job->side_tmp, job->dfd, side) < 0)
			st = sys_fail(err, "publishing", side);
		else
			job->side_tmp[0] = '\0';
		free(side);
	}
	if (pub == 0) {
		char *slash = strrchr(job->rel, '/');
		job->where = slash ? xasprintf("%.*s/%s", (int)(slash - job->rel), job->rel, name)
				   : xstrdup(name);
	}
	free(name);
	return st;
}

static void folder_job_release(struct folder_job *job)
{
	if (job->dir) {
		if (job->tmp && job->tmp[0])
			unlinkat(job->dfd, job->tmp, 0);
		if (job->side_tmp && job->side_tmp[0])
			unlinkat(job->dfd, job->side_tmp, 0);
		dir_put(job->dir);
	}
	free(job->rel);
	free(job->tmp);
	free(job->side_tmp);
	free(job->where);
	memset(job, 0, sizeof(*job));
	job->dfd = -1;
}

/* ---- settings ------------------------------------------------------------------------------ */

#define FOLDER(f) offsetof(struct route_folder_target, f)
static const struct cf_field folder_fields[] = {
	{.key = "path", .type = CF_STRING, .offset = FOLDER(path), .flags = CF_REQUIRED,
	 .help = "the destination directory (must exist: a missing one is a share not mounted)"},
	{.key = "name", .type = CF_STRING, .offset = FOLDER(name), .dflt = "{file}",
	 .help = "naming template over sidecar fields, '/' makes subdirectories"},
	{.key = "sidecar", .type = CF_BOOL, .offset = FOLDER(sidecar), .dflt = "false",
	 .help = "also deliver the sidecar as NAME.meta.json"},
	{.key = "require_mount", .type = CF_BOOL, .offset = FOLDER(require_mount), .dflt = "false",
	 .help = "wait while path is on the root file system (the share is not mounted)"},
	{.key = "group", .type = CF_STRING, .offset = FOLDER(group),
	 .help = "owner group of delivered files and created directories"},
	{.key = "mode", .type = CF_STRING, .offset = FOLDER(mode), .dflt = "0640",
	 .help = "mode of delivered files (octal)"},
	{.key = "dir_mode", .type = CF_STRING, .offset = FOLDER(dir_mode), .dflt = "0750",
	 .help = "mode of created directories (octal)"},
	CF_END,
};

static int parse_mode(struct cf_ctx *ctx, yaml_node_t *tnode, const char *key, const char *s,
		      mode_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 8);
	if (!*s || *end || v > 07777)
		return cf_error(ctx, cf_get(ctx, tnode, key) ? cf_get(ctx, tnode, key) : tnode,
				"%s: '%s' is not an octal mode such as 0640", key, s);
	*out = (mode_t)v;
	return 0;
}

static void folder_validate(struct cf_ctx *ctx, yaml_node_t *tnode, void *conf)
{
	struct route_folder_target *f = conf;
	if (f->path && f->path[0] != '/')
		cf_error(ctx, cf_get(ctx, tnode, "path"), "path: '%s' must be absolute", f->path);
	if (f->name)
		f->name_t = route_template(ctx, tnode, "name", f->name);
	f->gid = (gid_t)-1;
	if (f->group) {
		struct group *g = getgrnam(f->group);
		if (g)
			f->gid = g->gr_gid;
		else
			cf_error(ctx, cf_get(ctx, tnode, "group"), "group: no group '%s' on this system",
				 f->group);
	}
	parse_mode(ctx, tnode, "mode", f->mode, &f->fmode);
	parse_mode(ctx, tnode, "dir_mode", f->dir_mode, &f->dmode);
}

static void folder_release_conf(void *conf)
{
	tmpl_free(((struct route_folder_target *)conf)->name_t);
}

static void folder_fingerprint(const void *conf, struct buf *b)
{
	const struct route_folder_target *f = conf;
	buf_printf(b, "F%s|%s|%d%d", f->path, f->name, f->sidecar, f->require_mount);
}

static char *folder_describe(const void *conf)
{
	return xasprintf("folder %s", ((const struct route_folder_target *)conf)->path);
}

/* ---- the steps ----------------------------------------------------------------------------- */

static enum deliver_status folder_take(struct target_job *job, struct gerr *err)
{
	struct folder_job *fj = xcalloc(1, sizeof(*fj));
	job->data = fj;
	return folder_prepare(job->conf, job->sc, fj, err);
}

static void folder_deliver(struct target_job *const *jobs, size_t n, enum deliver_status *st,
			   struct gerr *errs)
{
	for (size_t i = 0; i < n; i++) {
		struct folder_job *fj = jobs[i]->data;
		st[i] = folder_publish(fj, &errs[i]);
		if (st[i] == DELIVERED)
			jobs[i]->where = xasprintf("%s/%s", fj->f->path, fj->where);
	}
	folder_sync_dirs(jobs, n);
}

static void folder_release(struct target_job *job)
{
	if (!job->data)
		return;
	folder_job_release(job->data);
	free(job->data);
}

const struct target_type target_folder = {
	.key = "folder",
	.help = "deliver into a folder",
	.fields = folder_fields,
	.conf_size = sizeof(struct route_folder_target),
	.validate = folder_validate,
	.release_conf = folder_release_conf,
	.fingerprint = folder_fingerprint,
	.describe = folder_describe,
	.prepare = folder_take,
	.commit = folder_commit,
	.deliver = folder_deliver,
	.release = folder_release,
};
