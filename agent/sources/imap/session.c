/* session — see session.h. */
#include "sources/imap/session.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/oauth.h"
#include "core/secret.h"
#include "core/tlsverify.h"
#include "formats/utf7.h"

bool imap_error_is_fatal(int code)
{
	return code == MAILIMAP_ERROR_STREAM || code == MAILIMAP_ERROR_PARSE ||
	       code == MAILIMAP_ERROR_FATAL || code == MAILIMAP_ERROR_MEMORY ||
	       code == MAILIMAP_ERROR_SSL || code == MAILIMAP_ERROR_BAD_STATE;
}

static const char *error_text(int code)
{
	switch (code) {
	case MAILIMAP_ERROR_STREAM: return "connection lost or timed out";
	case MAILIMAP_ERROR_PARSE: return "unreadable or incomplete server response (connection lost?)";
	case MAILIMAP_ERROR_CONNECTION_REFUSED: return "connection refused";
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION: return "server does not accept connections";
	case MAILIMAP_ERROR_SSL: return "TLS handshake failed";
	case MAILIMAP_ERROR_STARTTLS: return "server refused STARTTLS";
	case MAILIMAP_ERROR_MEMORY: return "out of memory";
	default: return "server said no";
	}
}

int imap_fail(struct imap_session *s, int code, struct gerr *err, const char *what)
{
	if (imap_error_is_fatal(code))
		s->broken = true;
	const char *resp = s->imap && s->imap->imap_response && *s->imap->imap_response &&
				   !imap_error_is_fatal(code)
			       ? s->imap->imap_response
			       : NULL;
	return gerr_set(err, "%s: %s: %s", s->label, what, resp ? resp : error_text(code));
}

static void set_sni(struct mailstream_ssl_context *ctx, void *data)
{
	char *host = data;
	if (!tls_host_is_ip(host))
		mailstream_ssl_set_server_name(ctx, host);
}

/* The chain the server presented, checked by OpenSSL (libetpan/GnuTLS checks nothing). */
static int verify_peer(struct imap_session *s, struct gerr *err)
{
	carray *chain = mailstream_get_certificate_chain(s->imap->imap_stream);
	size_t n = chain ? carray_count(chain) : 0;
	struct der_cert *certs = xcalloc(n + 1, sizeof *certs);
	for (size_t i = 0; i < n; i++) {
		MMAPString *m = carray_get(chain, (unsigned)i);
		certs[i].data = (const unsigned char *)m->str;
		certs[i].len = m->len;
	}
	int rc = tls_verify_chain(certs, n, s->conf->host, s->conf->ca_file, err);
	free(certs);
	if (chain)
		mailstream_certificate_chain_free(chain);
	return rc;
}

static bool connected(int r)
{
	return r == MAILIMAP_NO_ERROR || r == MAILIMAP_NO_ERROR_AUTHENTICATED ||
	       r == MAILIMAP_NO_ERROR_NON_AUTHENTICATED;
}

static int do_connect(struct imap_session *s, struct gerr *err)
{
	const struct imap_conf *c = s->conf;
	uint16_t port = (uint16_t)(c->port ? c->port : c->tls == IMAP_TLS_SSL ? 993 : 143);
	int r;
	if (c->tls == IMAP_TLS_SSL)
		r = mailimap_ssl_connect_with_callback(s->imap, c->host, port, set_sni, c->host);
	else
		r = mailimap_socket_connect(s->imap, c->host, port);
	if (!connected(r))
		return imap_fail(s, r, err, "cannot connect");
	if (c->tls == IMAP_TLS_STARTTLS) {
		/* Any failure here ends the session: there is no plain-text fallback. */
		r = mailimap_socket_starttls_with_callback(s->imap, set_sni, c->host);
		if (r != MAILIMAP_NO_ERROR)
			return imap_fail(s, r, err, "STARTTLS failed (no plain-text fallback)");
	}
	if (c->tls != IMAP_TLS_NONE && verify_peer(s, err) != 0)
		return gerr_prefix(err, "%s", s->label);
	return 0;
}

static int login_password(struct imap_session *s, struct gerr *err)
{
	char *password = NULL;
	if (secret_resolve(&s->conf->password, &password, err) != 0)
		return gerr_mark(err, GERR_NEEDS_PERSON);
	int r = mailimap_login(s->imap, s->conf->user, password);
	free_secret(password);
	if (r == MAILIMAP_NO_ERROR)
		return 0;
	imap_fail(s, r, err, "login rejected (check user and password)");
	/* a NO is the server's answer; a broken stream is nobody's verdict */
	return imap_error_is_fatal(r) ? -1 : gerr_mark(err, GERR_NEEDS_PERSON);
}

/* AUTHENTICATE XOAUTH2 with the kept access token; when the server refuses it (expired,
 * revoked), once more with a new one from the token endpoint. */
static int login_oauth(struct imap_session *s, const char *state_dir, const char *name,
		       struct gerr *err)
{
	struct oauth_client oc;
	struct oauth_owned own;
	char *store = path_join(state_dir, OAUTH_TOKEN_FILE);
	char *fix = xasprintf("goniec oauth %s", name);
	int rc = oauth_client_from_conf(&s->conf->oauth, OAUTH_IMAP, store, fix, &oc, &own, err);
	int r = MAILIMAP_NO_ERROR;

	for (int attempt = 0; rc == 0 && attempt < 2; attempt++) {
		char *token = NULL;
		if (oauth_access_token(&oc, attempt > 0, &token, NULL, err) < 0) {
			rc = -1;
			break;
		}
		r = mailimap_oauth2_authenticate(s->imap, s->conf->user, token);
		free_secret(token);
		if (r == MAILIMAP_NO_ERROR || imap_error_is_fatal(r))
			break;
	}
	if (rc < 0) {
		gerr_prefix(err, "%s", s->label);
	} else if (r != MAILIMAP_NO_ERROR) {
		rc = imap_fail(s, r, err, "the server refused the OAuth sign-in");
		if (!imap_error_is_fatal(r)) {
			char *said = xstrdup(err->msg);
			gerr_setk(err, GERR_NEEDS_PERSON, "%s; a new token was refused too: check that %s may use IMAP (%s), or sign in again with `%s`",
				  said, s->conf->user,
				  oc.app ? "the IMAP.AccessAsApp permission and the Exchange service principal's mailbox permission"
					 : "IMAP on for the mailbox, and a scope allowing it",
				  fix);
			free(said);
		}
	}
	oauth_owned_free(&own);
	free(store);
	free(fix);
	return rc;
}

/* The personal namespace: its first entry's prefix and delimiter (RFC 2342 5). */
static int read_namespace(struct imap_session *s, struct gerr *err)
{
	struct mailimap_namespace_data *ns = NULL;
	s->ns_prefix = xstrdup("");
	if (!mailimap_has_namespace(s->imap))
		return 0;
	int r = mailimap_namespace(s->imap, &ns);
	if (r != MAILIMAP_NO_ERROR)
		return imap_error_is_fatal(r) ? imap_fail(s, r, err, "NAMESPACE failed") : 0;
	clist *personal = ns && ns->ns_personal ? ns->ns_personal->ns_data_list : NULL;
	const struct mailimap_namespace_info *first =
		personal && clist_begin(personal) ? clist_content(clist_begin(personal)) : NULL;
	if (first && first->ns_prefix) {
		free(s->ns_prefix);
		s->ns_prefix = xstrdup(first->ns_prefix);
		s->ns_delim = first->ns_delimiter;
	}
	mailimap_namespace_data_free(ns);
	return 0;
}

char *imap_in_namespace(const struct imap_session *s, const char *raw)
{
	const char *prefix = s->ns_prefix ? s->ns_prefix : "";
	if (!*prefix || !strcasecmp(raw, "INBOX") || !strncasecmp(raw, prefix, strlen(prefix)))
		return xstrdup(raw);
	return xasprintf("%s%s", prefix, raw);
}

static int login(struct imap_session *s, const char *state_dir, const char *name,
		 struct gerr *err)
{
	int rc = s->conf->oauth.client_id ? login_oauth(s, state_dir, name, err)
					  : login_password(s, err);
	if (rc != 0)
		return rc;
	/* Capabilities change at login (and some servers announce less before it). */
	struct mailimap_capability_data *cap = NULL;
	int r = mailimap_capability(s->imap, &cap);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(s, r, err, "CAPABILITY failed");
	mailimap_capability_data_free(cap);
	s->has_move = mailimap_has_extension(s->imap, "MOVE");
	s->has_uidplus = mailimap_has_extension(s->imap, "UIDPLUS");
	return read_namespace(s, err);
}

int imap_session_open(struct imap_session *s, const struct imap_conf *c, const char *state_dir,
		      const char *name, struct gerr *err)
{
	memset(s, 0, sizeof *s);
	s->conf = c;
	s->label = xasprintf("%s@%s:%ld", c->user, c->host,
			     c->port ? c->port : c->tls == IMAP_TLS_SSL ? 993L : 143L);
	s->imap = mailimap_new(0, NULL);
	mailimap_set_timeout(s->imap, (time_t)c->io_timeout);
	if (do_connect(s, err) != 0 || login(s, state_dir, name, err) != 0) {
		imap_session_close(s);
		return -1;
	}
	log_debug("%s: logged in (MOVE %s, UIDPLUS %s, personal namespace \"%s\")", s->label,
		  s->has_move ? "yes" : "no", s->has_uidplus ? "yes" : "no", s->ns_prefix);
	return 0;
}

void imap_session_close(struct imap_session *s)
{
	if (s->imap) {
		if (s->imap->imap_stream && !s->broken) {
			mailimap_logout(s->imap);
		} else if (s->imap->imap_stream) {
			/* mailimap_free() would send LOGOUT and wait on a dead stream */
			mailstream_close(s->imap->imap_stream);
			s->imap->imap_stream = NULL;
		}
		mailimap_free(s->imap);
	}
	free(s->label);
	free(s->ns_prefix);
	memset(s, 0, sizeof *s);
}

/* ---- folders ---------------------------------------------------------------------------- */

static bool has_flag(const struct mailimap_mbx_list_flags *f, const char *flag)
{
	if (!f || !f->mbf_oflags)
		return false;
	for (clistiter *it = clist_begin(f->mbf_oflags); it; it = clist_next(it)) {
		const struct mailimap_mbx_list_oflag *o = clist_content(it);
		const char *ext = o->of_flag_ext;
		if (o->of_type == MAILIMAP_MBX_LIST_OFLAG_FLAG_EXT && ext &&
		    !strcasecmp(ext[0] == '\\' ? ext + 1 : ext, flag))
			return true;
	}
	return false;
}

int imap_list_folders(struct imap_session *s, struct imap_folder_list *out, struct gerr *err)
{
	clist *list = NULL;
	memset(out, 0, sizeof *out);
	int r = mailimap_list(s->imap, "", "*", &list);
	if (r != MAILIMAP_NO_ERROR) {
		if (list) /* libetpan hands back the (empty) list of a refused LIST too */
			mailimap_list_result_free(list);
		return imap_fail(s, r, err, "LIST failed");
	}
	out->items = xcalloc((size_t)clist_count(list) + 1, sizeof *out->items);
	for (clistiter *it = clist_begin(list); it; it = clist_next(it)) {
		const struct mailimap_mailbox_list *mb = clist_content(it);
		if (!mb->mb_name)
			continue;
		struct imap_folder *f = &out->items[out->len++];
		f->raw = xstrdup(mb->mb_name);
		f->name = imap_utf7_decode(mb->mb_name);
		if (!f->name)
			f->name = xstrdup(mb->mb_name);
		f->junk = has_flag(mb->mb_flag, "Junk");
		f->noselect = has_flag(mb->mb_flag, "Noselect") ||
			      (mb->mb_flag && mb->mb_flag->mbf_type == MAILIMAP_MBX_LIST_FLAGS_SFLAG &&
			       mb->mb_flag->mbf_sflag == MAILIMAP_MBX_LIST_SFLAG_NOSELECT);
	}
	mailimap_list_result_free(list);
	return 0;
}

void imap_folders_free(struct imap_folder_list *l)
{
	for (size_t i = 0; i < l->len; i++) {
		free(l->items[i].raw);
		free(l->items[i].name);
	}
	free(l->items);
	memset(l, 0, sizeof *l);
}

/* Junk folder names of common servers and clients (compared without case, also as a
 * child of INBOX). */
static const char *const junk_names[] = {"Junk", "Spam", "Junk E-mail", "Junk Email",
					 "Bulk Mail", "Wiadomości-śmieci", "Niechciane", NULL};

static bool is_junk_name(const char *name)
{
	if (!strncasecmp(name, "INBOX", 5) && (name[5] == '.' || name[5] == '/'))
		name += 6;
	for (size_t i = 0; junk_names[i]; i++)
		if (!strcasecmp(name, junk_names[i]))
			return true;
	return false;
}

const struct imap_folder *imap_find_junk(const struct imap_folder_list *l)
{
	for (size_t i = 0; i < l->len; i++)
		if (l->items[i].junk && !l->items[i].noselect)
			return &l->items[i];
	for (size_t i = 0; i < l->len; i++)
		if (!l->items[i].noselect && is_junk_name(l->items[i].name))
			return &l->items[i];
	return NULL;
}
