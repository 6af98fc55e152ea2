/* inspectors.h: the inspector directory (检查人员名录库, clauses 3.4, 5.2.2) on the directory engine
 * of directory.h. The 身份证号 and the phone are personal data: masked for every role but admin,
 * never in public pages, logs or audit details. Uses directory.h, validate.h. */
#ifndef SPOT_INSPECTORS_H
#define SPOT_INSPECTORS_H

#include "directory.h"

extern const vfield inspector_fields[];
extern const dir_kind inspector_kind;

#endif
