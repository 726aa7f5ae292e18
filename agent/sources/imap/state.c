/* state — see state.h. */
#include "sources/imap/state.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/statefile.h"

int imap_state_load(struct imap_state *st, const char *state_dir, struct gerr *err)
{
	st->path = path_join(state_dir, "imap-folders.json");
	if (statefile_load(st->path, &st->root, err) == 0)
		return 0;
	free(st->path);
	st->path = NULL;
	return -1;
}

static uint32_t get_u32(const json_t *obj, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(obj, key));
	return v > 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
}

/* The valid UIDs of a JSON array (anything else is skipped). */
static void get_uids(const json_t *arr, struct uid_list *out)
{
	size_t i;
	const json_t *v;
	json_array_foreach(arr, i, v) {
		json_int_t u = json_integer_value(v);
		if (u > 0 && u <= UINT32_MAX)
			uid_list_add(out, (uint32_t)u);
	}
}

void imap_state_get(const struct imap_state *st, const char *folder, struct folder_state *out)
{
	memset(out, 0, sizeof *out);
	const json_t *f = json_object_get(st->root, folder);
	if (!json_is_object(f))
		return;
	out->uidvalidity = get_u32(f, "uidvalidity");
	out->last_uid = get_u32(f, "last_uid");
	get_uids(json_object_get(f, "pending_move"), &out->pending);
	get_uids(json_object_get(f, "held"), &out->held);
}

static json_t *uids_json(const struct uid_list *l)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->len; i++)
		json_array_append_new(a, json_integer(l->uids[i]));
	return a;
}

void imap_state_set(struct imap_state *st, const char *folder, const struct folder_state *fs)
{
	json_object_set_new(st->root, folder,
			    json_pack("{s:I, s:I, s:o, s:o}", "uidvalidity", (json_int_t)fs->uidvalidity,
				      "last_uid", (json_int_t)fs->last_uid, "pending_move",
				      uids_json(&fs->pending), "held", uids_json(&fs->held)));
}

int imap_state_save(struct imap_state *st, struct gerr *err)
{
	return statefile_save(st->path, st->root, err);
}

void imap_state_free(struct imap_state *st)
{
	json_decref(st->root);
	free(st->path);
	memset(st, 0, sizeof *st);
}

void folder_state_free(struct folder_state *fs)
{
	free(fs->pending.uids);
	free(fs->held.uids);
	memset(fs, 0, sizeof *fs);
}

void uid_list_add(struct uid_list *l, uint32_t uid)
{
	for (size_t i = 0; i < l->len; i++)
		if (l->uids[i] == uid)
			return;
	l->uids = xrealloc(l->uids, (l->len + 1) * sizeof *l->uids);
	l->uids[l->len++] = uid;
}
