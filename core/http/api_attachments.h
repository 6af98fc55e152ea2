/* api_attachments.h: the HTTP routes of the archive of attachments (see api_attachments.c).
 * Uses http.h and attachments.h. */
#ifndef SPOT_API_ATTACHMENTS_H
#define SPOT_API_ATTACHMENTS_H

#include "http.h"

extern const struct route attachments_routes[];

#endif
