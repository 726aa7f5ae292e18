/* libFuzzer target: stmt_read() as goniec calls it on any statement file — the format
 * sniffed from the first bytes (MT940, CAMT, a bank's CSV, goniec.transactions/1 JSON)
 * and the input handed to that reader. The JSON reader (stmt_from_transactions_json on
 * outside bytes) is reached only here. See stmt_fuzz.h for what is checked on what it
 * reads; besides, a refusal always says why. */
#include "formats/stmtfile.h"
#include "stmt_fuzz.h"

static int read_refusal_checked(struct stmt_input *in, struct stmt_file *f,
				const struct stmt_sink *sink, struct gerr *err)
{
	err->msg[0] = 0;
	int rc = stmt_read(in, f, sink, err);
	if (rc < 0 && !err->msg[0])
		abort();
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_reader(data, size, read_refusal_checked);
	return 0;
}
