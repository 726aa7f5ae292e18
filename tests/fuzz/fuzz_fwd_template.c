/* libFuzzer target: the forwarder's template engine and sidecar reader on arbitrary
 * input. The first line is a template, the rest a sidecar. Whatever the input: no crash,
 * no leak, and a rendered folder name never escapes the target (no "..", no absolute
 * path, no control characters); message headers never carry a bare line break. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "forward/mailmsg.h"
#include "forward/route.h"
#include "core/sidecar.h"
#include "forward/target.h"
#include "core/template.h"

static void check_name(const char *name)
{
	if (name[0] == '/' || !name[0])
		abort();
	for (const char *c = name; *c; c++)
		if ((unsigned char)*c < 0x20)
			abort();
	for (const char *p = name; p; p = strchr(p, '/')) {
		if (*p == '/')
			p++;
		if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t tlen = nl ? (size_t)(nl - (const char *)data) : size;
	char *text = xstrndup((const char *)data, tlen);
	struct gerr err;
	struct tmpl *t = tmpl_compile(text, &err);
	json_t *root = NULL;
	if (nl)
		sidecar_parse(nl + 1, size - tlen - 1, &root, &err);
	if (!root)
		root = json_object();
	if (t) {
		const char *missing;
		char *plain = tmpl_render(t, root, "doc.pdf", 0, &missing);
		char *hdr = mail_encode_header(plain, 9);
		for (const char *c = strchr(hdr, '\n'); c; c = strchr(c + 1, '\n'))
			if (c[-1] != '\r' || c[1] != ' ')
				abort();
		char *params = mail_filename_params(plain);
		struct route_folder_target f = {.name_t = t};
		struct sidecar sc = {.root = root, .file = (char *)"doc.pdf"};
		char *name = target_folder_name(&f, &sc);
		check_name(name);
		free(name);
		free(params);
		free(hdr);
		free(plain);
	}
	tmpl_free(t);
	json_decref(root);
	free(text);
	return 0;
}
