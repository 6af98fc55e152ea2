/* clock.c: wall-clock helpers. */
#define _DEFAULT_SOURCE
#include "clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

long long clock_unix(void)
{
    return (long long)time(NULL);
}

void clock_now_rfc3339(char *out)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void day_at(time_t t, char *out)
{
    t += CLOCK_BUREAU_UTC_OFFSET;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

void clock_today(char *out)
{
    day_at(time(NULL), out);
}

int clock_day_of(const char *stamp, char *out)
{
    struct tm tm = {0};
    char tail;
    out[0] = 0;
    if (!stamp || strlen(stamp) != 20 || stamp[10] != 'T' || stamp[19] != 'Z') return -1;
    if (sscanf(stamp, "%4d-%2d-%2dT%2d:%2d:%2dZ%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec, &tail) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    day_at(timegm(&tm), out);
    return 0;
}

int clock_valid_date(const char *s)
{
    int y, m, d;
    char tail;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return 0;
    if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) return 0;
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1) return 0;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int max = mdays[m - 1] + (m == 2 && leap);
    return d <= max;
}
