/* server.h: the one entry the command line needs from the HTTP layer: start serving. Uses nothing
 * else; http.h is for the handlers inside core/http. */
#ifndef SPOT_SERVER_H
#define SPOT_SERVER_H

/* Starts serving spot_config's address with spot_config.threads workers and blocks until SIGINT or
 * SIGTERM. Returns 0 on clean stop, -1 with *err (e.g. port in use). */
int http_serve(char **err);

#endif
