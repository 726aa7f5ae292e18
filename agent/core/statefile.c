/* statefile — see statefile.h. */
#include "core/statefile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"

/* Move a damaged file aside and say so; the caller starts afresh. */
static void set_aside(const char *path, const char *why)
{
	char *aside = xasprintf("%s" STATEFILE_DAMAGED_SUFFIX, path);
	if (rename(path, aside) == 0)
		log_warn("%s: damaged state (%s); kept as %s, starting afresh", path, why, aside);
	else
		log_warn("%s: damaged state (%s), and it cannot be moved aside (%s); starting afresh",
			 path, why, strerror(errno));
	free(aside);
}

int statefile_load(const char *path, json_t **out, struct gerr *err)
{
	*out = NULL;
	struct stat st;
	if (stat(path, &st) != 0) {
		if (errno != ENOENT)
			return gerr_sys(err, "%s", path);
		*out = json_object();
		return 0;
	}
	if ((uint64_t)st.st_size > STATEFILE_MAX) {
		set_aside(path, "larger than any state goniec writes");
		*out = json_object();
		return 0;
	}
	char *text = NULL;
	size_t len = 0;
	if (read_file(path, STATEFILE_MAX, &text, &len, err) != 0)
		return -1;
	json_error_t je;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	free_secret(text);
	if (!json_is_object(j)) {
		char why[200];
		if (j)
			snprintf(why, sizeof why, "not a JSON object");
		else
			snprintf(why, sizeof why, "line %d: %s", je.line, je.text);
		json_decref(j);
		set_aside(path, why);
		j = json_object();
	}
	*out = j;
	return 0;
}

/* Does the file at path hold exactly these bytes (and is it goniec's, mode 0600)? */
static bool holds_already(const char *path, const char *text, size_t len)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != len ||
	    (st.st_mode & 07777) != 0600)
		return false;
	char *was = NULL;
	size_t was_len = 0;
	struct gerr ignored;
	bool same = read_file(path, STATEFILE_MAX, &was, &was_len, &ignored) == 0 &&
		    was_len == len && memcmp(was, text, len) == 0;
	free_secret(was);
	return same;
}

int statefile_save(const char *path, const json_t *obj, struct gerr *err)
{
	char *text = json_dumps(obj, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (!text)
		return gerr_set(err, "%s: cannot encode the state", path);
	size_t len = strlen(text);
	int rc = holds_already(path, text, len) ? 0 : write_file_atomic(path, text, len, 0600, err);
	free_secret(text);
	return rc;
}
