/* session — one logged-in IMAP connection for the imap source (libetpan underneath).
 *
 * imap_session_open() connects as configured (tls: ssl | starttls | none), verifies the
 * certificate chain and host name after the TLS handshake (fail closed; STARTTLS never
 * falls back to plain text), logs in (LOGIN with the password, or AUTHENTICATE XOAUTH2
 * with an access token from core/oauth.h, asked for anew once when the server refuses
 * the kept one) and learns the capabilities that matter (MOVE,
 * UIDPLUS) and the personal namespace (RFC 2342: Courier-style servers keep every
 * folder under "INBOX."). Folder names cross this boundary in two forms: `raw` as the server spells
 * it (modified UTF-7) and `name` in UTF-8 for people.
 *
 * Ownership: the session owns its libetpan handle; close with imap_session_close().
 * imap_folder_list results are owned by the caller (imap_folders_free()).
 * Errors: -1 with err set; its kind is GERR_NEEDS_PERSON when a person must act (login or
 * OAuth sign-in refused, the password unreadable), else a later run may succeed (server
 * gone, certificate refused); run_outcome_of() in sources/source.h turns it into the run's
 * outcome. No secret is ever put in a message: server texts are quoted, the password never.
 */
#ifndef GONIEC_IMAP_SESSION_H
#define GONIEC_IMAP_SESSION_H

#include <stdint.h>

#include <libetpan/libetpan.h>

#include "core/confschema.h"
#include "core/oauth.h"
#include "sources/source.h"

enum imap_tls { IMAP_TLS_SSL, IMAP_TLS_STARTTLS, IMAP_TLS_NONE };

struct imap_conf {
	char *host;
	long port;                 /* 0: 993 for ssl, 143 otherwise */
	int tls;                   /* enum imap_tls */
	char *user;
	struct secret password;     /* or oauth: */
	struct oauth_conf oauth;   /* XOAUTH2 sign-in; given when oauth.client_id is set */
	char *ca_file;
	struct strlist folders;    /* UTF-8 names; empty: INBOX and the junk folder */
	struct strlist senders;    /* '*' patterns on the From address */
	char *move_to;             /* "{year}" template; NULL: leave messages */
	int64_t io_timeout;        /* seconds per network operation */
};

struct imap_session {
	mailimap *imap;
	const struct imap_conf *conf;
	char *label;               /* "user@host:port" */
	bool has_move, has_uidplus;
	char *ns_prefix;           /* the personal namespace's prefix ("INBOX.", "INBOX/" or
				    * ""), from NAMESPACE (RFC 2342) where the server has it */
	char ns_delim;             /* its hierarchy delimiter (0: unknown) */
	bool broken;               /* the stream failed: no LOGOUT, no further commands */
};

/* state_dir holds the source's OAuth token file; name is the source's (for the command
 * that signs in again). */
int imap_session_open(struct imap_session *s, const struct imap_conf *c, const char *state_dir,
		      const char *name, struct gerr *err);
void imap_session_close(struct imap_session *s);

/* A folder name (raw) as the server wants it: under the personal namespace's prefix when
 * it is not there yet (INBOX stays INBOX). Owned by the caller. */
char *imap_in_namespace(const struct imap_session *s, const char *raw);

/* Describe a failed libetpan call: "<what>: <server response or error>". Returns -1. */
int imap_fail(struct imap_session *s, int code, struct gerr *err, const char *what);
/* The stream is unusable after this error (connection gone, parser out of sync). */
bool imap_error_is_fatal(int code);

struct imap_folder {
	char *raw;     /* as on the wire (modified UTF-7) */
	char *name;    /* UTF-8 (raw when it does not decode) */
	bool junk;     /* \Junk SPECIAL-USE */
	bool noselect;
};
struct imap_folder_list {
	struct imap_folder *items;
	size_t len;
};
int imap_list_folders(struct imap_session *s, struct imap_folder_list *out, struct gerr *err);
void imap_folders_free(struct imap_folder_list *l);
/* The junk folder: the \Junk one, else a folder with a usual junk name; NULL if none. */
const struct imap_folder *imap_find_junk(const struct imap_folder_list *l);

#endif
