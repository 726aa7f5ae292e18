/* schedule — see schedule.h. This file holds the conf.d syntax; next-run computation
 * lives with the daemon's scheduler. */
#include "core/schedule.h"

#include <stddef.h>
#include <string.h>

static const struct cf_field schedule_fields[] = {
	{.key = "times", .type = CF_TIMES, .offset = offsetof(struct schedule_conf, times),
	 .help = "times of day, e.g. [\"05:00\", \"12:00\"]"},
	{.key = "every", .type = CF_DURATION, .offset = offsetof(struct schedule_conf, every),
	 .help = "run every N (e.g. 6h)"},
	{.key = "jitter", .type = CF_DURATION, .offset = offsetof(struct schedule_conf, jitter),
	 .help = "random delay of up to N to spread load"},
	CF_END,
};

static int parse_word(struct cf_ctx *ctx, yaml_node_t *node, struct schedule_conf *s)
{
	const char *w = cf_scalar(node);
	int minutes;
	if (strcmp(w, "daily") == 0) {
		s->every = 86400;
		return 0;
	}
	if (strcmp(w, "manual") == 0) {
		s->manual = true;
		return 0;
	}
	if (cf_parse_time_of_day(w, &minutes) == 0) {
		s->times.minutes = xmalloc(sizeof(int));
		s->times.minutes[0] = minutes;
		s->times.len = 1;
		return 0;
	}
	return cf_error(ctx, node,
			"schedule: '%s' is not a schedule (expected times such as [\"05:00\", \"12:00\"], daily, manual, or {every: 6h})",
			w);
}

int schedule_parse(struct cf_ctx *ctx, yaml_node_t *node, void *dst,
		   const struct cf_field *field)
{
	(void)field;
	struct schedule_conf *s = dst;
	schedule_release(s);
	s->set = true;
	if (cf_scalar(node))
		return parse_word(ctx, node, s);
	if (node->type == YAML_SEQUENCE_NODE) {
		/* A list is the times of day. */
		struct diag *d = ctx->diag;
		size_t before = d->errors;
		for (yaml_node_item_t *it = node->data.sequence.items.start;
		     it < node->data.sequence.items.top; it++) {
			yaml_node_t *item = yaml_document_get_node(ctx->doc, *it);
			const char *t = cf_scalar(item);
			int m;
			if (!t || cf_parse_time_of_day(t, &m) != 0) {
				cf_error(ctx, item, "schedule: bad time of day '%s' (expected HH:MM, 00:00 to 23:59)",
					 t ? t : "(not a word)");
				continue;
			}
			s->times.minutes = xrealloc(s->times.minutes, (s->times.len + 1) * sizeof(int));
			s->times.minutes[s->times.len++] = m;
		}
		return d->errors == before ? 0 : -1;
	}
	if (cf_map(ctx, node, schedule_fields, NULL, s) != 0)
		return -1;
	s->jitter_set = cf_get(ctx, node, "jitter") != NULL;
	if (!s->times.len && !s->every)
		return cf_error(ctx, node, "schedule: give `times` or `every`");
	if (s->times.len && s->every)
		return cf_error(ctx, node, "schedule: give either `times` or `every`, not both");
	return 0;
}

void schedule_release(void *dst)
{
	struct schedule_conf *s = dst;
	times_of_day_free(&s->times);
	memset(s, 0, sizeof *s);
}
