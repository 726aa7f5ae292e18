/* mailmsg — build an Internet message (RFC 5322 + MIME) with documents attached.
 *
 * Headers with non-ASCII text are encoded as RFC 2047 encoded-words (UTF-8, base64,
 * each word at most 75 characters, never splitting a UTF-8 sequence); attachment file
 * names use RFC 2231 (filename*=UTF-8''..., with continuations when long) plus a plain
 * ASCII `filename=` for old readers, and the Content-Type's `name=` carries the name as
 * RFC 2047 words for importers that read no RFC 2231 (Polish letters kept); bodies and attachments are base64 in 76-column
 * lines. The Message-ID is derived from the route name and the documents' hashes, so a
 * repeat of the same delivery carries the same id and a receiver can recognise it.
 *
 * Ownership: results are owned by the caller (free()); inputs are borrowed.
 * No errors: addresses are validated by the route config (mail_address_ok); a media
 * type that is not a plain "type/subtype" is sent as application/octet-stream.
 */
#ifndef GONIEC_FORWARD_MAILMSG_H
#define GONIEC_FORWARD_MAILMSG_H

#include <stddef.h>
#include <time.h>

#include "core/util.h"

struct mail_attachment {
	const char *filename;   /* UTF-8, already a safe file name */
	const char *media_type; /* "application/pdf" */
	const void *data;
	size_t len;
};

struct mail_spec {
	const char *from;
	const struct strlist *to;
	const char *subject;    /* UTF-8 */
	const char *body;       /* UTF-8 text */
	const char *message_id; /* from mail_message_id() */
	time_t date;
	const struct mail_attachment *att;
	size_t natt;
};

/* "<hex>@goniec.<domain of from>" with angle brackets; sha256 hex strings of the
 * documents in delivery order. */
char *mail_message_id(const char *route, const char *const *sha256, size_t n, const char *from);
/* The whole message, CRLF line ends. */
char *mail_build(const struct mail_spec *m, size_t *len);
/* Encode one unstructured header value (RFC 2047 when needed), for "Name: " of
 * `name_len` bytes; folded lines start with a space. */
char *mail_encode_header(const char *value, size_t name_len);
/* The Content-Disposition parameters for a file name (RFC 2231 + ASCII fallback). */
char *mail_filename_params(const char *filename);
/* The Content-Type `name=` parameter for a file name: quoted ASCII, or RFC 2047 words
 * (UTF-8) inside the quotes when the name is not plain ASCII. */
char *mail_name_param(const char *filename);
/* base64 in lines of 76 characters, each ended by CRLF. */
void mail_base64(struct buf *out, const void *data, size_t len);
/* Rough size of the message for `payload` attachment bytes (base64 growth + headers). */
size_t mail_size_estimate(size_t payload, size_t natt);
/* A plausible bare address: no spaces, controls, angle brackets; one '@'. */
bool mail_address_ok(const char *addr);

#endif
