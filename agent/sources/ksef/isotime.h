/* ksef/isotime — the ISO 8601 date-times of the KSeF API as milliseconds since 1970.
 *
 * KSeF writes "2025-07-11T12:23:56.0154302+00:00" (up to 7 fraction digits, an offset
 * or 'Z') and takes the same; a time without an offset means Europe/Warsaw, which this
 * module never writes (it writes UTC with 'Z': "2026-01-03T13:45:00.000Z").
 *
 * Ownership: nothing allocated. Errors: ksef_time_parse() returns -1 for text that is no
 * such date-time (a time without an offset included: goniec never needs one).
 */
#ifndef GONIEC_KSEF_ISOTIME_H
#define GONIEC_KSEF_ISOTIME_H

#include <stdint.h>

#define KSEF_TIME_LEN 24   /* "2026-01-03T13:45:00.000Z" */

int ksef_time_parse(const char *text, int64_t *ms);
void ksef_time_format(int64_t ms, char out[KSEF_TIME_LEN + 1]);

#endif
