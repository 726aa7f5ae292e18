/* targets — the table of delivery target types; see target.h. A new type: its own file
 * and one line here. */
#include "forward/target.h"

#include <stdlib.h>
#include <string.h>

const struct target_type *const target_types[] = {
	&target_folder,
	&target_email,
	&target_graph,
	NULL,
};

const struct target_type *target_type_find(const char *key)
{
	for (size_t i = 0; target_types[i]; i++)
		if (strcmp(target_types[i]->key, key) == 0)
			return target_types[i];
	return NULL;
}

void target_conf_release(const struct target_type *t, void *conf)
{
	if (!t || !conf)
		return;
	if (t->release_conf)
		t->release_conf(conf);
	cf_free(t->fields, conf);
	free(conf);
}

void target_job_release(struct target_job *job)
{
	if (job->type && job->type->release)
		job->type->release(job);
	free(job->where);
	job->where = NULL;
	job->data = NULL;
}
