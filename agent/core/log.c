/* log — see log.h. */
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *log_program = "goniec";
static int log_level_verbosity;
static bool log_journal;
static bool progress_shown;
static FILE *log_out;

void log_set_stream(FILE *f) { log_out = f; }
FILE *log_stream(void) { return log_out ? log_out : stderr; }

void log_progress_line(bool shown) { progress_shown = shown; }

/* JOURNAL_STREAM is "device:inode" of the journal stream; it only counts when our
 * stderr is that very stream (not when a child inherited the variable). */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *program)
{
	log_program = program;
	log_journal = stderr_is_journal();
}

void log_set_verbosity(int verbosity) { log_level_verbosity = verbosity; }
int log_verbosity(void) { return log_level_verbosity; }

static const char *level_word(int priority)
{
	switch (priority) {
	case LOG_DEBUG: return "debug";
	case LOG_INFO: return "info";
	case LOG_NOTICE: return "notice";
	case LOG_WARNING: return "warning";
	default: return "error";
	}
}

void log_msg(int priority, const char *fmt, ...)
{
	if (priority == LOG_DEBUG && log_level_verbosity < 1)
		return;
	if (priority == LOG_INFO && log_level_verbosity < 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	/* One event, one line: a newline inside a message would forge a second entry. */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	FILE *out = log_stream();
	if (progress_shown)
		fputs("\r\033[K", out);
	if (log_journal)
		fprintf(out, "<%d>%s\n", priority, msg);
	else
		fprintf(out, "%s: %s: %s\n", log_program, level_word(priority), msg);
	free(msg);
}
