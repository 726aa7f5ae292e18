/* mime — find the attachments worth taking in a mail message, and decode them.
 *
 * Two walks share one rule for what is a candidate:
 *   mime_walk_bodystructure()  over an IMAP BODYSTRUCTURE (libetpan's struct
 *                              mailimap_body), so that only the wanted sections are
 *                              fetched afterwards;
 *   mime_walk_raw()            over raw MIME text (RFC 5322 message), parsed with
 *                              libetpan's mailmime; used for Microsoft Graph
 *                              itemAttachment/$value and in tests.
 * Both descend into multipart parts and forwarded messages (message/rfc822) and take a
 * part whatever its disposition (attachment, inline, none), however many parts there are.
 * Two limits keep hostile structures bounded: forwarded messages nested more than
 * MIME_MAX_DEPTH deep, and containers (multiparts and messages) nested more than
 * MIME_MAX_NESTING deep; a part whose section number would not fit MIME_SECTION_MAX
 * counts as over the limit too. What lies below a limit is not looked at, and the walk
 * says so (it returns 1 and names the place in err), so that the caller can leave the
 * message for a person instead of treating it as done. A part is a candidate when its file name's extension or, without one, its
 * claimed media type names an accepted type: application/octet-stream "x.pdf" is a PDF
 * candidate, image/jpeg "x.pdf" too (the spool confirms the type by content and
 * quarantines what is not). Names are decoded (RFC 2047, RFC 2231, 8-bit) to UTF-8.
 *
 * Decoding streams: struct mime_decoder takes transfer-encoded bytes in any chunking and
 * hands decoded bytes to a sink, holding back at most an incomplete encoding unit.
 * Base64 is decoded with OpenSSL (EVP_DecodeBlock) after dropping every character
 * outside the alphabet, and ends at the first '=' (lenient like mail readers, and several
 * times faster than libetpan's byte-wise decoder); quoted-printable with libetpan.
 *
 * Ownership: struct mime_parts owns its items (mime_parts_free()). In mime_walk_raw()
 * the part and body passed to the callback live only during the call.
 * Errors: the walks never fail on odd input (unknown parts are skipped). Both return 1
 * with err set when a limit hid some parts (the others are walked all the same);
 * mime_walk_raw() returns -1 with err set when the text is not MIME at all (kind
 * GERR_PERMANENT) or the callback fails (its error, as it set it).
 */
#ifndef GONIEC_MIME_H
#define GONIEC_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

#define MIME_MAX_DEPTH 16     /* forwarded messages inside forwarded messages */
#define MIME_MAX_NESTING 64   /* containers of any kind inside each other */
#define MIME_SECTION_MAX 192

struct mailimap_body;

/* Transfer encodings (values of libetpan's MAILMIME_MECHANISM_*). */
enum mime_encoding {
	MIME_ENC_7BIT = 1,
	MIME_ENC_8BIT = 2,
	MIME_ENC_BINARY = 3,
	MIME_ENC_QP = 4,
	MIME_ENC_BASE64 = 5,
};

struct mime_part {
	char section[MIME_SECTION_MAX]; /* IMAP section number, e.g. "2" or "2.1.3" */
	char *filename;                 /* decoded UTF-8, untrusted; NULL when none */
	char media_type[96];            /* claimed, lower case: "application/pdf" */
	enum mime_encoding encoding;
	uint64_t size;                  /* transfer-encoded size */
	bool is_inline;
	const char *candidate;          /* the accepted type it looks like: "pdf", ... */
	int depth;                      /* 0 = in the message itself, 1 = in a forwarded one */
};

struct mime_parts {
	struct mime_part *items;
	size_t len, cap;
};
void mime_parts_free(struct mime_parts *p);

/* The accepted type ("pdf", "xml", "camt", "mt940", "csv", "zip") a part with this
 * claimed media type and file name looks like, if `accept` lists it (NULL: "pdf"
 * only); else NULL. */
const char *mime_candidate(const char *media_type, const char *filename,
			   const struct strlist *accept);

/* Append every candidate of a BODYSTRUCTURE to out. Returns 0, or 1 with err set when a
 * limit hid some parts. */
int mime_walk_bodystructure(const struct mailimap_body *body, const struct strlist *accept,
			    struct mime_parts *out, struct gerr *err);

/* Where decoded bytes go; returns 0 or -1 with err set (which stops the decoding). */
typedef int (*mime_sink_fn)(void *ctx, const void *data, size_t len, struct gerr *err);

struct mime_decoder {
	enum mime_encoding encoding;
	struct buf pending; /* encoded bytes not decodable yet */
	bool b64_end;       /* base64: padding seen, the rest is ignored */
	mime_sink_fn sink;
	void *ctx;
	uint64_t decoded;   /* bytes handed to the sink so far */
};
void mime_decoder_init(struct mime_decoder *d, enum mime_encoding enc, mime_sink_fn sink,
		       void *ctx);
int mime_decoder_feed(struct mime_decoder *d, const char *data, size_t len, struct gerr *err);
/* Decode what is left and release the decoder (also after a failed feed). */
int mime_decoder_finish(struct mime_decoder *d, struct gerr *err);
void mime_decoder_free(struct mime_decoder *d);

/* The body of a part in raw MIME text, to be decoded during the callback. */
struct mime_body;
int mime_body_decode(const struct mime_body *body, mime_sink_fn sink, void *ctx,
		     struct gerr *err);

/* Called for every candidate; return 0 to go on, -1 (err set) to stop the walk. */
typedef int (*mime_part_fn)(void *ctx, const struct mime_part *part,
			    const struct mime_body *body, struct gerr *err);

/* Walk raw MIME text. The text must stay valid during the call. Returns 0, 1 (err set: a
 * limit hid some parts; the callback saw all the others) or -1 (err set). */
int mime_walk_raw(const char *text, size_t len, const struct strlist *accept,
		  mime_part_fn fn, void *ctx, struct gerr *err);

#endif
