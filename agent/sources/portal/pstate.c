/* pstate — portal session and points files. See pstate.h. */
#include "sources/portal/pstate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/statefile.h"

static json_t *load_json(const char *state_dir, const char *name, struct gerr *err)
{
	char *path = path_join(state_dir, name);
	json_t *j = NULL;

	statefile_load(path, &j, err);
	free(path);
	return j;
}

static int save_json(const char *state_dir, const char *name, json_t *j, struct gerr *err)
{
	char *path = path_join(state_dir, name);
	int rc = statefile_save(path, j, err);

	free(path);
	return rc;
}

void pstate_session_free(struct session *s)
{
	strlist_free(&s->cookies);
	vars_free(&s->vars);
	free(s->otp_var);
	free_secret(s->code);
	memset(s, 0, sizeof(*s));
}

int pstate_session_load(const char *state_dir, struct session *s, struct gerr *err)
{
	json_t *j = load_json(state_dir, "session.json", err), *v, *p;
	const char *k;
	size_t i;

	memset(s, 0, sizeof(*s));
	if (!j)
		return -1;
	s->present = json_object_size(j) > 0;
	json_array_foreach(json_object_get(j, "cookies"), i, v)
		if (json_is_string(v))
			strlist_add(&s->cookies, json_string_value(v));
	json_object_foreach(json_object_get(j, "vars"), k, v)
		if (json_is_string(v))
			vars_set(&s->vars, k, json_string_value(v), VAR_SESSION);
	if ((p = json_object_get(j, "pending")) && json_is_object(p)) {
		s->pending = true;
		s->resume_at = (long)json_integer_value(json_object_get(p, "step"));
		s->otp_var = xstrdup(json_string_value(json_object_get(p, "var")) ?
				     json_string_value(json_object_get(p, "var")) : "code");
		s->asked_at = (time_t)json_integer_value(json_object_get(p, "asked_at"));
		s->ttl = json_integer_value(json_object_get(p, "ttl"));
		if (json_is_string(json_object_get(p, "code")))
			s->code = xstrdup(json_string_value(json_object_get(p, "code")));
	}
	json_decref(j);
	return 0;
}

int pstate_session_save(const char *state_dir, const struct session *s, struct gerr *err)
{
	json_t *j = json_object(), *c = json_array(), *v = json_object();
	int rc;
	for (size_t i = 0; i < s->cookies.len; i++)
		json_array_append_new(c, json_string(s->cookies.items[i]));
	for (size_t i = 0; i < s->vars.len; i++)
		if (s->vars.v[i].flags & VAR_SESSION)
			json_object_set_new(v, s->vars.v[i].name, json_string(s->vars.v[i].value));
	json_object_set_new(j, "cookies", c);
	json_object_set_new(j, "vars", v);
	json_object_set_new(j, "saved_at", json_integer((json_int_t)time(NULL)));
	if (s->pending)
		json_object_set_new(j, "pending",
				    json_pack("{s:I, s:s, s:I, s:I, s:s?}", "step",
					      (json_int_t)s->resume_at, "var",
					      s->otp_var ? s->otp_var : "code", "asked_at",
					      (json_int_t)s->asked_at, "ttl", (json_int_t)s->ttl,
					      "code", s->code));
	rc = save_json(state_dir, "session.json", j, err);
	json_decref(j);
	return rc;
}

int pstate_session_remove(const char *state_dir, struct gerr *err)
{
	char *path = path_join(state_dir, "session.json");
	int rc = 0;
	if (unlink(path) != 0 && errno != ENOENT)
		rc = gerr_sys(err, "cannot remove %s", path);
	free(path);
	return rc;
}

int pstate_give_code(const char *state_dir, const char *code, struct gerr *err)
{
	struct session s;
	int rc;
	if (pstate_session_load(state_dir, &s, err) < 0)
		return -1;
	if (!s.pending) {
		pstate_session_free(&s);
		return gerr_set(err, "no login is waiting for a code");
	}
	free_secret(s.code);
	s.code = xstrdup(code);
	rc = pstate_session_save(state_dir, &s, err);
	pstate_session_free(&s);
	return rc;
}

json_t *pstate_points_load(const char *state_dir, struct gerr *err)
{
	return load_json(state_dir, "points.json", err);
}

int pstate_points_save(const char *state_dir, json_t *points, struct gerr *err)
{
	return save_json(state_dir, "points.json", points, err);
}
