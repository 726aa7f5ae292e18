/* stdcapture — what libraries print on stderr during a source's run goes through the log.
 *
 * libetpan prints GnuTLS failures straight to stderr ("GnuTLS error: An unexpected TLS
 * packet was received."), and other libraries may too; in a daemon's journal such a bare
 * line tells nobody which source it came from. Between stderr_capture_begin() and
 * stderr_capture_end(), file descriptor 2 is a pipe drained by a thread that logs every
 * line it reads as a warning, "<label>: <line>" (label: the source's name). goniec's own
 * log goes on to the real stderr (log_set_stream), as do sanitizer reports.
 *
 * One capture at a time per process; a second begin while one runs does nothing.
 * Ownership: nothing is handed out; end releases what begin took.
 * Errors: begin returns -1 with err set (pipe, descriptor or thread) and changes nothing;
 * the run goes on without the capture.
 */
#ifndef GONIEC_STDCAPTURE_H
#define GONIEC_STDCAPTURE_H

#include "core/util.h"

int stderr_capture_begin(const char *label, struct gerr *err);
/* Log what is still in the pipe and give stderr back. */
void stderr_capture_end(void);

#endif
