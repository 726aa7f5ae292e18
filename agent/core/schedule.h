/* schedule — when a source runs.
 *
 * A schedule is a list of times of day ("05:00"), `daily`, or `every: 6h`, with an
 * optional random delay (`jitter`) to spread load; without one, agent.jitter applies
 * (at most a tenth of an `every` interval). It is parsed from conf.d by the
 * config layer (schedule_parse is a confschema custom parser).
 */
#ifndef GONIEC_SCHEDULE_H
#define GONIEC_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/confschema.h"

struct schedule_conf {
	bool set;                   /* false: the source type's default applies */
	struct times_of_day times;  /* run at these local times */
	int64_t every;              /* or every N seconds (0: not used) */
	int64_t jitter;             /* random delay up to N seconds */
	bool jitter_set;            /* given in conf.d; else agent.jitter applies (config.h) */
	bool manual;                /* `schedule: manual`: only on demand */
};

int schedule_parse(struct cf_ctx *ctx, yaml_node_t *node, void *dst,
		   const struct cf_field *field);
void schedule_release(void *dst);

#endif
