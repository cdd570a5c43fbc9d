/*
 * tty.h - the local terminal in raw mode for interactive sessions (exec -it,
 * attach, run -it), put back the way it was on every exit path: a normal
 * return, exit(), and the signals that end the process (the handlers
 * restore, then die of the same signal).
 */
#ifndef DG_TTY_H
#define DG_TTY_H

/* Saves fd's settings and makes it raw; -1 (errno set) when fd is not a terminal. */
int tty_raw(int fd);
/* Puts the saved settings back; idempotent and async-signal-safe. */
void tty_restore(void);
/* The window size of fd; -1 when unknown. */
int tty_size(int fd, unsigned *rows, unsigned *cols);

#endif
