/*
 * notify.h - readiness for a service manager: the sd_notify datagram
 * protocol, written directly to $NOTIFY_SOCKET (no libsystemd).  Without
 * NOTIFY_SOCKET every call does nothing.
 */
#ifndef DG_NOTIFY_H
#define DG_NOTIFY_H

/*
 * Reads and unsets NOTIFY_SOCKET, so that no child (a worker) inherits it.
 * Call once, before the first notify_send().
 */
void notify_init(void);
/* Sends "READY=1", "RELOADING=1", "STOPPING=1" or "STATUS=..." lines; 0 or -1. */
int notify_send(const char *state);
/* READY=1, with the socket served as STATUS. */
int notify_ready(const char *socket);

#endif
