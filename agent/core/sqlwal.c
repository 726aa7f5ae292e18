/* sqlwal — see sqlwal.h. */
#include "core/sqlwal.h"

#include <stdio.h>
#include <unistd.h>

#define RETRY_MS 10

static int keep_mode(void *out, int ncol, char **vals, char **names)
{
	(void)names;
	if (out && ncol > 0 && vals[0])
		snprintf(out, 8, "%s", vals[0]);
	return 0;
}

int sqlwal_enable(sqlite3 *db, int busy_ms, char mode[8])
{
	int rc;
	for (int waited = 0;
	     (rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", keep_mode, mode, NULL)) == SQLITE_BUSY &&
	     waited < busy_ms;
	     waited += RETRY_MS)
		usleep(RETRY_MS * 1000);
	return rc;
}
