/* secret — the value of a configured secret (password, client secret, token).
 *
 * A secret is given inline, as a file (`*_file`), an environment variable (`*_env`) or a
 * systemd credential (`*_credential`, read from $CREDENTIALS_DIRECTORY). secret_resolve()
 * returns the value without a trailing newline. Ownership: the caller releases it with
 * free_secret() (which wipes it). Errors name where the secret should come from, never
 * its value.
 */
#ifndef GONIEC_SECRET_H
#define GONIEC_SECRET_H

#include "core/confschema.h"

int secret_resolve(const struct secret *s, char **out, struct gerr *err);

#endif
