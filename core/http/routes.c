/* routes.c: every module's route table, in one list (http.c matches them in this order). */
#include "routes.h"
#include "api_system.h"
#include "api_rules.h"
#include "api_console.h"
#include "api_meta.h"
#include "api_auth.h"
#include "api_plans.h"
#include "api_tasks.h"
#include "api_teams.h"
#include "api_announce.h"
#include "api_directories.h"
#include "api_items.h"
#include "api_results.h"
#include "api_followups.h"
#include "api_objections.h"
#include "api_attachments.h"
#include "api_accountability.h"
#include "api_exchange.h"
#include "api_inspections.h"
#include "api_documents.h"
#include "api_stats.h"
#include "api_orgs.h"

const struct route *const spot_route_tables[] = {
    auth_routes,
    system_routes,
    rules_routes,
    console_routes,
    meta_routes,
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
    exchange_routes,
    inspections_routes,
    documents_routes,
    stats_routes,
    org_routes,
    NULL,
};
