/* regexcost — how far glibc's regcomp() would blow up a POSIX extended regex a person
 * wrote (an invoice field rule in conf.d, a portal recipe's extractor).
 *
 * glibc compiles a repetition by copying what it repeats: "x+" holds x twice, "x{3,5}"
 * about six times, and a repetition of a repetition multiplies ("a++++", "((a+)+)+",
 * "(a{99}){99}"), so that a short pattern can take all memory and minutes to compile.
 * regex_expanded_size() estimates that size from the text alone: an atom (a character, an
 * escape, a bracket expression) counts 1, sequences and alternatives add up, "+" doubles,
 * "{n,m}" multiplies by max(n, m) + 1, '*' and '?' add nothing; it saturates at SIZE_MAX.
 * A pattern that does not parse still gets a size (regcomp() then says what is wrong).
 * Callers refuse a pattern above REGEX_EXPANDED_MAX before they compile it.
 *
 * Ownership: nothing kept. Errors: none.
 */
#ifndef GONIEC_CORE_REGEXCOST_H
#define GONIEC_CORE_REGEXCOST_H

#include <stddef.h>

#define REGEX_EXPANDED_MAX 4096

size_t regex_expanded_size(const char *expr);

#endif
