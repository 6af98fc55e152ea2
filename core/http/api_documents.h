/* api_documents.h: the route table of the printable documents and their templates (SPEC §13). */
#ifndef SPOT_API_DOCUMENTS_H
#define SPOT_API_DOCUMENTS_H

#include "http.h"

extern const struct route documents_routes[];

#endif
