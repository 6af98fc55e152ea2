/* migrations.h: the schema migrations embedded from core/migrations at build time.
 * Forward-only: version N is applied once, in a transaction, after N-1. */
#ifndef SPOT_MIGRATIONS_H
#define SPOT_MIGRATIONS_H

struct migration {
    int version;        /* the NNNN prefix of the file name */
    const char *name;   /* file name without .sql */
    const char *sql;    /* the whole script */
};

/* Terminated by an entry whose version is 0. */
extern const struct migration spot_migrations[];

#endif
