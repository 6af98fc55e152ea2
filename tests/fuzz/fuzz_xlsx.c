/* fuzz_xlsx: the .xlsx reader (core/lib/xlsx.h xlsx_read) on arbitrary bytes, with a 1 MiB budget of
 * inflated XML. Any outcome is fine (a sheet, or a refusal with a message) except a crash, a
 * sanitizer report, both or neither of sheet and message, or a sheet that breaks its own promises
 * (row numbers increasing, at most XLSX_MAX_COLS cells, no NULL cell). */
#include "xlsx.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *err = NULL;
    xlsx_sheet *s = xlsx_read((const char *)data, size, 1 << 20, &err);
    if (!s == !err) abort();
    long last = 0;
    for (long i = 0; s && i < s->nrows; i++) {
        const xlsx_row_in *r = &s->rows[i];
        if (r->line <= last || r->ncells < 1 || r->ncells > XLSX_MAX_COLS) abort();
        for (int c = 0; c < r->ncells; c++)
            if (!r->cells[c]) abort();
        last = r->line;
    }
    xlsx_sheet_free(s);
    free(err);
    return 0;
}
