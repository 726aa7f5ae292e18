/* secret — see secret.h. */
#include "core/secret.h"

#include <stdlib.h>
#include <string.h>

#define SECRET_MAX 65536

static void chomp(char *s)
{
	size_t l = strlen(s);
	while (l && (s[l - 1] == '\n' || s[l - 1] == '\r'))
		s[--l] = '\0';
}

static int from_file(const char *path, char **out, struct gerr *err)
{
	size_t len;
	if (read_file(path, SECRET_MAX, out, &len, err) != 0)
		return gerr_prefix(err, "secret file");
	if (memchr(*out, '\0', len)) {
		free_secret(*out);
		*out = NULL;
		return gerr_set(err, "secret file %s holds a NUL byte", path);
	}
	chomp(*out);
	return 0;
}

int secret_resolve(const struct secret *s, char **out, struct gerr *err)
{
	*out = NULL;
	switch (s->kind) {
	case SECRET_INLINE:
		*out = xstrdup(s->value);
		return 0;
	case SECRET_FILE:
		return from_file(s->value, out, err);
	case SECRET_ENV: {
		const char *v = getenv(s->value);
		if (!v)
			return gerr_set(err, "environment variable %s (a secret) is not set", s->value);
		*out = xstrdup(v);
		chomp(*out);
		return 0;
	}
	case SECRET_CREDENTIAL: {
		const char *dir = getenv("CREDENTIALS_DIRECTORY");
		if (!dir || !*dir)
			return gerr_set(err, "credential %s: $CREDENTIALS_DIRECTORY is not set (add LoadCredential=%s:PATH to the service)",
					s->value, s->value);
		if (strchr(s->value, '/'))
			return gerr_set(err, "credential name %s must not contain '/'", s->value);
		char *path = path_join(dir, s->value);
		int rc = from_file(path, out, err);
		free(path);
		return rc;
	}
	default:
		return gerr_set(err, "no secret is configured");
	}
}
