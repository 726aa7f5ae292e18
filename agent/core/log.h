/* log — one line per event on stderr.
 *
 * When stderr is connected to the journal (JOURNAL_STREAM names our stderr), each line
 * starts with a syslog priority prefix such as "<3>" so journald records the level;
 * otherwise lines read "goniec: error: ...". log_set_verbosity(1) enables debug lines.
 * Callers must never pass secrets; nothing here can tell them apart.
 */
#ifndef GONIEC_LOG_H
#define GONIEC_LOG_H

#include <stdio.h>
#include <syslog.h>

#include "core/util.h"

void log_init(const char *program);
void log_set_verbosity(int verbosity);
int log_verbosity(void);

/* A progress line is being drawn on the terminal (stderr): log lines clear it first, so a
 * message never runs into it. The next progress update draws it again. */
void log_progress_line(bool shown);

/* Where log lines go: f, or stderr again with NULL (see stdcapture.h). log_stream() is
 * it, for a terminal's progress line. */
void log_set_stream(FILE *f);
FILE *log_stream(void);

void log_msg(int priority, const char *fmt, ...) PRINTF_LIKE(2, 3);
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)

#endif
