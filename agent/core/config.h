/* config — the types of the whole conf.d, loaded, validated and typed (the loader, which
 * knows every source type and the route schema, is conf/load.h, a layer above sources and
 * forward; core keeps only the types and small queries).
 *
 * conf.d holds YAML files read in name order (*.yaml, *.yml; dot files, editor backups
 * and package-manager leftovers such as *.dpkg-dist, *.rpmnew, *.rpmsave are skipped).
 * A file may hold several YAML documents. Each document is a mapping with any of:
 *
 *   agent:    global settings (spool, state, time zone, limits) — at most once in conf.d
 *   company:  {id, name, nip} — the sources and routes of this document belong to it
 *   sources:  list of source definitions (common keys + the keys of the source's type)
 *   routes:   list of forwarding routes
 *
 * Ownership: config_load() returns a config that owns every string in it; release it
 * with config_free(). Errors go into `diag` (all of them, with file:line:col); the load
 * fails (returns NULL) when diag->errors > 0 after it.
 */
#ifndef GONIEC_CONFIG_H
#define GONIEC_CONFIG_H

#include "core/confschema.h"
#include "core/schedule.h"
#include "core/strset.h"

/* agent.shard (or --shard K/N): this daemon runs only the sources whose stable hash
 * (source_shard(): of the company, so that a company's sources share a shard) is `index`
 * among `of` shards; each shard has the subfolder shard-K of
 * agent.spool and agent.state to itself. */
struct shard_conf {
	long index;
	long of;         /* 1: not sharded */
	bool index_set;  /* false: no shard chosen (fine for check and list) */
};

/* agent.pdf: the limits of reading one PDF's text (formats/pdftext.h). */
struct agent_pdf {
	int64_t time;            /* seconds, wall clock and CPU */
	uint64_t memory;         /* bytes of address space of the reader */
	long pages;              /* pages read from the start */
	uint64_t text;           /* bytes of text kept */
};

struct agent_conf {
	char *spool_dir;
	char *state_dir;
	char *timezone;
	uint64_t max_document_size;
	int64_t worker_timeout;
	int64_t stop_grace;      /* seconds runs in progress get to finish at a stop */
	long workers;
	int64_t jitter;          /* for schedules without their own */
	char *user_agent;
	struct shard_conf shard;
	struct agent_pdf pdf;
	struct conf_pos pos;
};

/* company.payments: how the matcher treats the company's payments (docs/payments.md). */
struct company_payments {
	bool partial;            /* partial payments and overpayments are allowed */
};

struct company_conf {
	char *id;
	char *name;
	char *nip;
	struct company_payments payments;
	struct conf_pos pos;
};

struct source_type;
struct source_conf {
	char *name;
	char *type_name;
	const struct source_type *type;
	const struct company_conf *company; /* NULL for sources outside a company document */
	struct strlist accept;   /* accepted document types: pdf xml mt940 camt csv zip */
	struct schedule_conf schedule;
	bool enabled;
	int64_t timeout;         /* seconds a run may take */
	uint64_t max_document_size;
	struct conf_pos pos;
	void *typed;             /* the type's own struct, described by type->fields */
};

struct route_conf {
	char *name;
	const struct company_conf *company;
	struct conf_pos pos;
	void *typed;             /* described by route_fields (forward/route.h) */
};

struct config {
	char *confdir;
	struct strlist files;        /* every file read; conf_pos.file points in here */
	struct agent_conf agent;
	bool agent_seen;
	struct company_conf **companies;
	size_t ncompanies;
	struct source_conf **sources;
	size_t nsources;
	struct strset source_index;  /* name -> struct source_conf, for config_find_source() */
	struct route_conf **routes;
	size_t nroutes;
};

const struct source_conf *config_find_source(const struct config *cfg, const char *name);
/* The shard (0 to of-1) of a key: FNV-1a (64 bits) of it, modulo `of`. It never changes,
 * so that daemons on several machines agree without talking. */
long config_shard_of_key(const char *key, long of);
/* A source's shard: that of its company's id, so that a company's sources, its ledger and
 * its duplicates are in one shard; of its name when it has no company. */
long source_shard(const struct source_conf *src, long of);
/* Is this source one of this daemon's: no sharding, or in the chosen shard? */
bool config_runs_source(const struct config *cfg, const struct source_conf *src);
/* Is this company's one of this daemon's (its sources are; see source_shard())? */
bool config_runs_company(const struct config *cfg, const struct company_conf *company);
/* A command that runs sources or talks to a daemon needs a shard when there are
 * several: -1 with err saying how to choose one. */
int config_need_shard(const struct config *cfg, struct gerr *err);
/* Does this source accept documents of this type name ("pdf", "xml", ...)? */
bool source_accepts(const struct source_conf *src, const char *type);

/* The accepted-type names a source may list. */
extern const char *const document_type_names[];

#endif
