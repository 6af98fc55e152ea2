/* demo.h: the deterministic 高青县 demo data set for `spotcheck init --demo`. */
#ifndef SPOT_DEMO_H
#define SPOT_DEMO_H

#include <sqlite3.h>

/* Fills the orgs, the directories, the item list and the staff accounts (each with staff_password,
 * to be changed at the first login) inside the caller's transaction. Returns 0 or -1 with *err set
 * (caller frees). */
int demo_populate(sqlite3 *db, const char *staff_password, char **err);

#endif
