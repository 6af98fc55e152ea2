/* clock.h: wall-clock helpers: unix seconds, RFC 3339 UTC timestamps and today's date. */
#ifndef SPOT_CLOCK_H
#define SPOT_CLOCK_H

/* The bureau's offset from UTC (China Standard Time has no daylight saving), and an SQL expression
 * for the bureau's day of a stored UTC stamp column, as clock_day_of gives it. */
#define CLOCK_BUREAU_UTC_OFFSET (8 * 3600)
#define CLOCK_SQL_DAY(col) "date(" col ", '+8 hours')"

long long clock_unix(void);
/* "2026-11-27T20:01:39Z" into out (at least 21 bytes). */
void clock_now_rfc3339(char *out);
/* "2026-11-27" (UTC+8, China Standard Time, the bureau's calendar day) into out (11 bytes). */
void clock_today(char *out);
/* The bureau's calendar day (UTC+8) of an RFC 3339 UTC timestamp "2026-11-27T20:01:39Z" into out
 * (11 bytes). Returns 0, or -1 (out "") when stamp is not of that form. */
int clock_day_of(const char *stamp, char *out);
/* Whether s is a real calendar date "YYYY-MM-DD" between 1900 and 2999. */
int clock_valid_date(const char *s);

#endif
