/* confschema — table-driven mapping of YAML nodes onto typed structs.
 *
 * A module describes its configuration keys once, as a table of `struct cf_field`
 * (key, type, offset into its struct, flags, default, help). cf_map() walks a YAML
 * mapping with that table: unknown keys (with a "did you mean" hint), wrong types,
 * missing required keys and bad values are reported as `file:line:col: message`
 * through the context's diagnostics, and parsing goes on so that every error of a run
 * is reported at once. Nothing after loading touches YAML: modules only see their
 * filled-in structs.
 *
 * Ownership: strings and lists written into a struct by cf_map() belong to that struct;
 * cf_free() releases them using the same table. Custom parsers (CF_CUSTOM) own what they
 * allocate and release it in their `free` hook.
 *
 * Errors: cf_* functions report through cf_error() and return -1 on a bad value; the
 * context's error count tells whether loading succeeded.
 */
#ifndef GONIEC_CONFSCHEMA_H
#define GONIEC_CONFSCHEMA_H

#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "core/util.h"

/* Where a value came from, for messages. file points to a string owned by the config. */
struct conf_pos {
	const char *file;
	int line, col; /* 1-based */
};

/* A secret: inline, from a file, from the environment, or a systemd credential. */
enum secret_kind { SECRET_NONE, SECRET_INLINE, SECRET_FILE, SECRET_ENV, SECRET_CREDENTIAL };
struct secret {
	enum secret_kind kind;
	char *value; /* the secret itself (INLINE) or the file path / variable / credential name */
	struct conf_pos pos;
};

/* Times of day as minutes after midnight, e.g. 05:00 -> 300. */
struct times_of_day {
	int *minutes;
	size_t len;
};

struct diag;
struct cf_ctx {
	yaml_document_t *doc;
	const char *file; /* owned by the config (struct config.files) */
	struct diag *diag;
	bool inline_secret_seen; /* set when a SECRET_INLINE was read from this file */
	bool unknown_reported;   /* set while a second table maps the same mapping, so
				    unknown keys are not reported twice */
};

enum cf_type {
	CF_STRING,   /* char * */
	CF_INT,      /* long; bounds in min/max */
	CF_BOOL,     /* bool */
	CF_SIZE,     /* uint64_t bytes: 1048576, "50MB", "20 MiB", "512k" */
	CF_DURATION, /* int64_t seconds: 90, "90s", "15m", "6h", "2d" */
	CF_ENUM,     /* int index into enum_values */
	CF_STRLIST,  /* struct strlist; a single string is taken as a one-item list */
	CF_WILDCARDS,/* struct strlist of '*' patterns, validated */
	CF_TIMES,    /* struct times_of_day from ["05:00", "12:00"] */
	CF_TIMEZONE, /* char *, an existing zoneinfo name */
	CF_NIP,      /* char *, a Polish NIP as written ("PL 526-025-09-95"), kept compact
			("5260250995"); its checksum is verified */
	CF_SECRET,   /* struct secret; also accepts KEY_file, KEY_env, KEY_credential */
	CF_STRUCT,   /* nested mapping described by `sub` (stored inline at offset) */
	CF_CUSTOM,   /* parsed by `parse`, released by `release` */
};

enum { CF_REQUIRED = 1 << 0, CF_NULLABLE = 1 << 1 /* explicit null allowed, sets `is_null` */ };

struct cf_field;
typedef int (*cf_parse_fn)(struct cf_ctx *ctx, yaml_node_t *node, void *dst,
			   const struct cf_field *field);
typedef void (*cf_release_fn)(void *dst);

struct cf_field {
	const char *key;
	enum cf_type type;
	size_t offset;
	unsigned flags;
	const char *dflt;                 /* default as YAML scalar text, or NULL */
	long min, max;                    /* CF_INT, CF_SIZE (bytes), CF_DURATION (s) bounds
					     (both 0: unbounded) */
	const char *const *enum_values;   /* CF_ENUM, NULL-terminated */
	const struct cf_field *sub;       /* CF_STRUCT, terminated by a {NULL} entry */
	cf_parse_fn parse;                /* CF_CUSTOM */
	cf_release_fn release;            /* CF_CUSTOM */
	const char *help;                 /* one line, for goniec.conf(5) and hints */
};

#define CF_END {NULL, 0, 0, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL}

/* Map a YAML mapping node onto `out` (a struct described by `fields`). Keys listed in
 * `ignore` (NULL-terminated, may be NULL) are skipped; the caller handles them.
 * Returns 0 when no error was found in this mapping, -1 otherwise. */
int cf_map(struct cf_ctx *ctx, yaml_node_t *map, const struct cf_field *fields,
	   const char *const *ignore, void *out);
/* Fill `out` with the defaults of `fields` (what cf_map does for absent keys). */
void cf_defaults(const struct cf_field *fields, void *out);
void cf_free(const struct cf_field *fields, void *obj);

/* Report an error at a node's position ("file:line:col: message"). Returns -1. */
int cf_error(struct cf_ctx *ctx, yaml_node_t *node, const char *fmt, ...) PRINTF_LIKE(3, 4);
struct conf_pos cf_pos(struct cf_ctx *ctx, yaml_node_t *node);

/* Helpers for custom parsers. */
const char *cf_scalar(yaml_node_t *node);          /* NULL when not a scalar */
bool cf_is_null(yaml_node_t *node);
yaml_node_t *cf_get(struct cf_ctx *ctx, yaml_node_t *map, const char *key);
int cf_parse_size(const char *text, uint64_t *out);
/* The longest duration taken: a hundred years. Durations from conf.d become deadlines in
 * milliseconds (now_ms() + timeout * 1000), next runs (now + every) and day counts; below
 * this bound none of that can overflow, and nothing goniec does waits longer. */
#define CF_DURATION_MAX (36500LL * 86400)
#define CF_DURATION_MAX_TEXT "36500d"
/* 0, or -1 when the text is not a duration, -2 when it is longer than CF_DURATION_MAX. */
int cf_parse_duration(const char *text, int64_t *out);
int cf_parse_time_of_day(const char *text, int *minutes);
/* Closest candidate within edit distance 2, or NULL. */
const char *cf_suggest(const char *word, const char *const *candidates);

/* Call fn for every secret in obj (nested CF_STRUCT tables included). */
void cf_each_secret(const struct cf_field *fields, const void *obj,
		    void (*fn)(const struct secret *s, const char *key, void *arg), void *arg);

void times_of_day_free(struct times_of_day *t);
void secret_free(struct secret *s);

/* Diagnostics: collected errors (and warnings), printed in order. Each item owns a copy
 * of its file name, so a diag outlives the config it describes. Only the first
 * DIAG_MAX_ITEMS are kept (a hostile conf.d can have millions); the rest are counted. */
#define DIAG_MAX_ITEMS 100
struct diag_item {
	struct conf_pos pos;
	bool warning;
	char *msg;
};
struct diag {
	struct diag_item *items;
	size_t len, cap;
	size_t errors, warnings;
	size_t dropped; /* errors and warnings past DIAG_MAX_ITEMS, not kept */
};
void diag_add(struct diag *d, struct conf_pos pos, bool warning, const char *fmt, ...)
	PRINTF_LIKE(4, 5);
/* Are DIAG_MAX_ITEMS kept already (so that a further one is only counted)? */
bool diag_full(const struct diag *d);
/* Print "file:line:col: error: message" lines to stream, then how many were not kept. */
void diag_print(const struct diag *d, void *stream);
void diag_free(struct diag *d);

#endif
