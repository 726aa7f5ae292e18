/* tools — the commands about recipes themselves: `goniec providers` (the catalogue) and
 * `goniec recipe test FILE --trace DIR` (a recipe against a recorded trace).
 *
 * The catalogue lists every recipe found (conf.d/providers first, then the shipped ones)
 * with what it can do — how it logs in (form, JSON API, OpenID Connect with PKCE), whether
 * it finds consumption points, asks for a one-time code, pages through lists — which
 * public clients or documents it follows (`follows:`), when it was last compared with
 * them (`checked:`) and whether it was tried on the live site (`live:`); then the portals
 * with no recipe and why, from providers/catalogue.yaml
 * ({providers: [{name, title, why, sources: [...]}]}).
 *
 * A recipe test runs the recipe's login and fetch steps against the trace (no network):
 * one-time codes and the password are stand-ins, documents are checked (PDF) and counted,
 * nothing is filed.
 *
 * Ownership: nothing kept. Errors: printed; the return value is the exit status.
 */
#ifndef GONIEC_PORTAL_TOOLS_H
#define GONIEC_PORTAL_TOOLS_H

#include <stdbool.h>
#include <stdio.h>

int portal_catalogue(const char *confdir, bool json, FILE *out);
int portal_recipe_test(const char *recipe, const char *trace_dir, FILE *out);

#endif
