/* notify — the systemd notification protocol (sd_notify) without libsystemd.
 *
 * When systemd starts the daemon with Type=notify it sets $NOTIFY_SOCKET (a datagram
 * socket path, or "@name" for the abstract namespace); we send "READY=1", "STATUS=...",
 * "RELOADING=1", "STOPPING=1" and "WATCHDOG=1" there. Without $NOTIFY_SOCKET every call
 * does nothing. $WATCHDOG_USEC (with $WATCHDOG_PID naming us, when set) gives the
 * interval within which a WATCHDOG=1 must arrive.
 *
 * Ownership: nothing kept. Errors: -1 when the message could not be sent (logged by the
 * caller if it cares); a missing socket is not an error.
 */
#ifndef GONIEC_DAEMON_NOTIFY_H
#define GONIEC_DAEMON_NOTIFY_H

#include <stdint.h>

#include "core/util.h"

int sd_notify_send(const char *state);
int sd_notifyf(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* Milliseconds between two WATCHDOG=1 messages (half the configured interval), 0: none. */
int64_t sd_watchdog_interval_ms(void);

#endif
