/* api_rules.h: rule versions over HTTP (SPEC §3, §5): list, show, store a new version after it
 * compiles and passes the rule tests, dry run, activate / roll back, and evaluate a rule call. */
#ifndef SPOT_API_RULES_H
#define SPOT_API_RULES_H

#include "http.h"

extern const struct route rules_routes[];

#endif
