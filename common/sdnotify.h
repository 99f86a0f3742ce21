/* systemd's notification protocol without libsystemd: one datagram such
 * as "READY=1" to the unix socket named by $NOTIFY_SOCKET ('@' = abstract
 * namespace). Without $NOTIFY_SOCKET nothing happens. */
#ifndef EGS_SDNOTIFY_H
#define EGS_SDNOTIFY_H

/* Returns 1 if sent, 0 if there is no $NOTIFY_SOCKET, -1 on error. */
int sd_notify_send(const char *state);

#endif
