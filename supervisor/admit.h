/*
 * admit.h - who gets a worker, decided at accept (DESIGN.md invariant 6).
 *
 * The uid of a unix peer is known the moment its connection is accepted
 * (SO_PEERCRED), so everything that can be decided without a peer byte is
 * decided then, before a worker is spent on it:
 * - a uid the policy does not know is refused and closed: no worker;
 * - a peer at its stream quota, or holding its share of workers
 *   (maxWorkersPerPeer), is refused, and so is everyone once maxWorkers
 *   streams are served or waiting: streams that wait count like served ones;
 * - a peer opens at most streamsPerSecondPerPeer new streams a second;
 * - a connection that has sent nothing gets no worker yet: it is held here
 *   (asking the kernel whether a byte came; nothing is read) and closed
 *   after firstCallSeconds of silence;
 * - peers that must wait for a worker wait in one queue per peer, served
 *   round robin, and a full queue makes room for a peer below its fair
 *   share by turning away the newest entry of the peer holding the most.
 * A refusal is one fixed call.error frame (id "", built from constants and
 * numbers the kernel gave us: the supervisor still never reads a peer
 * byte), written without blocking, then the connection is closed.
 *
 * TCP peers have no identity until their first call's token (broker.c):
 * they share one bucket ("tcp") for the bounds above.
 *
 * Every refusal is audited ("admission" records); a flood is summarised:
 * the first refusal of a kind (who, code) in each ADMIT_WINDOW_S window is
 * written in full, the others are counted and written as one "summary"
 * record with the count when the window ends, so a flood can neither fill
 * the disk nor hide.  Streams that end without having made a call are
 * counted the same way.
 */
#ifndef DG_ADMIT_H
#define DG_ADMIT_H

#include <sys/types.h>

#include "supervisor.h"

struct worker;

void admit_init(struct sv *sv);
/* Refuses every waiting peer (shutting down) and writes the last window's counts. */
void admit_close(struct sv *sv);
/* Frees what admission keeps (after pool_shutdown). */
void admit_free(struct sv *sv);

/* An accepted connection (fd, ours now): a worker, a place in the queue, or a refusal. */
/* docker: accepted on the Docker-API front's socket (refusals are HTTP answers). */
void admit_peer(struct sv *sv, int fd, uid_t uid, gid_t gid, int tcp, int docker);
/* Workers became ready: serve waiting peers, round robin. */
void admit_drain(struct sv *sv);
/* w stops serving (any reason): its place is free again. */
void admit_left(struct worker *w);

/* Streams served and waiting for peer (unix, by name): for quotas and gateway/whoami. */
int admit_streams(const struct sv *sv, const char *peer);

#endif
