/* regexcost — see regexcost.h. */
#include "core/regexcost.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* One group being read: the size of what it holds so far, and of its last atom (what a
 * repetition that follows applies to). */
struct level {
	size_t sum, last;
};

static size_t add(size_t a, size_t b) { return a > SIZE_MAX - b ? SIZE_MAX : a + b; }
static size_t mul(size_t a, size_t b) { return b && a > SIZE_MAX / b ? SIZE_MAX : a * b; }

static void atom(struct level *l, size_t size)
{
	l->sum = add(l->sum, size);
	l->last = size;
}

static void repeat(struct level *l, size_t factor)
{
	size_t grown = mul(l->last, factor);
	l->sum = add(l->sum - l->last, grown);
	l->last = grown;
}

/* A bound "{n}", "{n,}" or "{n,m}" at p: its factor, and its '}'; NULL when p starts none. */
static const char *bound(const char *p, size_t *factor)
{
	char *end;
	if (!isdigit((unsigned char)p[1]))
		return NULL;
	unsigned long n = strtoul(p + 1, &end, 10), m = n;
	const char *q = end;
	if (*q == ',' && isdigit((unsigned char)q[1])) {
		m = strtoul(q + 1, &end, 10);
		q = end;
	} else if (*q == ',') {
		q++;
	}
	if (*q != '}')
		return NULL;
	*factor = add(m > n ? m : n, 1);
	return q;
}

/* Past the bracket expression that starts at p ('['), or at the end when it is not closed. */
static const char *past_bracket(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	while (*p && *p != ']') {
		if (*p == '[' && p[1] && strchr(":.=", p[1])) {
			const char close[] = {p[1], ']', 0};
			const char *end = strstr(p + 2, close);
			if (end) {
				p = end + 2;
				continue;
			}
		}
		p++;
	}
	return *p ? p + 1 : p;
}

size_t regex_expanded_size(const char *expr)
{
	struct level *lv = xcalloc(strlen(expr) + 1, sizeof *lv);
	size_t depth = 0, factor, total = 0;
	for (const char *p = expr, *q; *p;) {
		if (*p == '(') {
			lv[++depth] = (struct level){0, 0};
			p++;
		} else if (*p == ')' && depth) {
			size_t g = lv[depth--].sum;
			atom(&lv[depth], g);
			p++;
		} else if (*p == '|') {
			lv[depth].last = 0;
			p++;
		} else if (*p == '*' || *p == '?') {
			p++;
		} else if (*p == '+') {
			repeat(&lv[depth], 2);
			p++;
		} else if (*p == '{' && (q = bound(p, &factor))) {
			repeat(&lv[depth], factor);
			p = q + 1;
		} else if (*p == '[') {
			atom(&lv[depth], 1);
			p = past_bracket(p);
		} else {
			atom(&lv[depth], 1);
			p += *p == '\\' && p[1] ? 2 : 1;
		}
	}
	for (size_t i = 0; i <= depth; i++) /* groups left open count too */
		total = add(total, lv[i].sum);
	free(lv);
	return total;
}
