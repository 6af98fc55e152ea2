/* routes.c: every module's route table, in one list (http.c matches them in this order). */
#include "routes.h"
#include "api_system.h"
#include "api_rules.h"
#include "api_console.h"
#include "auth.h"
#include "plans.h"
#include "tasks.h"
#include "teams.h"
#include "announce.h"
#include "api_directories.h"
#include "api_items.h"
#include "results.h"
#include "followups.h"
#include "objections.h"
#include "attachments.h"
#include "accountability.h"

const struct route *const spot_route_tables[] = {
    auth_routes,
    system_routes,
    rules_routes,
    console_routes,
    plans_routes,
    tasks_routes,
    teams_routes,
    announce_routes,
    enterprise_routes,
    inspector_routes,
    item_routes,
    results_routes,
    followups_routes,
    objections_routes,
    attachments_routes,
    accountability_routes,
    NULL,
};
