/* enterprises.h: the enterprise directory (检查对象名录库, clauses 3.3, 5.2.1) on the directory
 * engine of directory.h: its field table, filters, sorts and the lock on the USCC of a unit that a
 * draw or a result refers to. Uses directory.h, db.h. */
#ifndef SPOT_ENTERPRISES_H
#define SPOT_ENTERPRISES_H

#include "directory.h"

extern const vfield enterprise_fields[];
extern const dir_kind enterprise_kind;

#endif
