/* fault — crash points for tests.
 *
 * fault_point("name") ends the process at once (_exit(99), as a kill -9 would: no
 * cleanup, no flushing) when the environment variable GONIEC_CRASH_AT equals "name" — in
 * a test build only (core/testhook.h); the installed binary ignores the variable.
 * Tests use it to interrupt a write at each step and check what a restart finds.
 */
#ifndef GONIEC_FAULT_H
#define GONIEC_FAULT_H

void fault_point(const char *name);

#endif
