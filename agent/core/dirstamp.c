/* dirstamp — see dirstamp.h. */
#include "core/dirstamp.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"

struct entry_facts {
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
};

static void add_folder(struct buf *b, const char *dir)
{
	buf_append(b, dir, strlen(dir) + 1);
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct strlist names = {0};
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.')
			strlist_add(&names, e->d_name);
	strlist_sort(&names);
	for (size_t i = 0; i < names.len; i++) {
		struct stat st;
		buf_append(b, names.items[i], strlen(names.items[i]) + 1);
		if (fstatat(dirfd(d), names.items[i], &st, 0) != 0)
			continue;
		struct entry_facts f = {
			.dev = st.st_dev, .ino = st.st_ino, .size = (uint64_t)st.st_size,
			.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
			.ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec};
		buf_append(b, &f, sizeof(f));
	}
	strlist_free(&names);
	closedir(d);
}

bool dirstamp_changed(struct dirstamp *kept, const char *const *dirs, size_t n)
{
	struct buf b = {0};
	for (size_t i = 0; i < n; i++)
		add_folder(&b, dirs[i]);
	bool changed = !kept->data || kept->len != b.len || memcmp(kept->data, b.data, b.len) != 0;
	dirstamp_free(kept);
	kept->len = b.len;
	kept->data = (unsigned char *)buf_take(&b);
	return changed;
}

void dirstamp_free(struct dirstamp *s)
{
	free(s->data);
	s->data = NULL;
	s->len = 0;
}
