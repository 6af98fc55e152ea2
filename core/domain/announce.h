/* announce.h: the public task announcement (SPEC §8 GET /api/public/tasks/{id}, the shape verify.h
 * checks) and `spotcheck verify FILE|URL` (a tiny loopback HTTP/1.0 client for URLs).
 * Uses db.h, tasks.h, teams.h, verify.h; the route keeps replies in worker.h's cache. */
#ifndef SPOT_ANNOUNCE_H
#define SPOT_ANNOUNCE_H

#include <sqlite3.h>
#include <jansson.h>
#include "http.h"

/* The announcement of task id as a new JSON object. Before lock it holds only what the freeze
 * published (commitment, H_c, strata names and sizes, the commitments of attempts made); after lock
 * the full draw proof, the team commitment or team draw, and the teams (cert_no only).
 * Returns NULL with *found = 0 for an unknown or draft task (and *err NULL), or NULL with *err on a
 * database error. */
json_t *announce_build(sqlite3 *db, long long id, int *found, char **err);

/* `spotcheck verify FILE|URL`: prints each check and "verified", or what differs. Returns the exit
 * status: 0 verified, 1 not verified or unreadable. */
int announce_cmd_verify(int argc, char **argv);

extern const struct route announce_routes[];

#endif
