/* api_tasks.h: the HTTP routes of tasks and their draw (see api_tasks.c). Uses http.h, tasks.h. */
#ifndef SPOT_API_TASKS_H
#define SPOT_API_TASKS_H

#include "http.h"

extern const struct route tasks_routes[];

#endif
