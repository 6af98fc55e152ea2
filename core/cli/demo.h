/* demo.h: the deterministic 高青县 demo data set for `spotcheck init --demo`. */
#ifndef SPOT_DEMO_H
#define SPOT_DEMO_H

#include <sqlite3.h>

/* Fills the directories and the item list inside the caller's transaction. Returns 0 or -1 with
 * *err set (caller frees). */
int demo_populate(sqlite3 *db, char **err);

#endif
