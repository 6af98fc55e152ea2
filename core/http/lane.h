/* lane.h: the Lua lane, a few threads that run requests whose cost the client chooses (console code,
 * rule edits, evaluations, dry runs) away from libmicrohttpd's request threads, so those always stay
 * free for everything else (GET /api/health among them). Uses pthreads only; http.c suspends the
 * connection, submits its job here, and the job resumes the connection when its reply is ready. */
#ifndef SPOT_LANE_H
#define SPOT_LANE_H

/* Starts nthreads (>= 1) lane threads with room for capacity (>= 1) waiting jobs. Returns 0, or -1
 * with *err set (caller frees). */
int lane_start(int nthreads, int capacity, char **err);

/* Queues fn(arg) to run on a lane thread. Returns 0, or -1 when every place in the queue is taken or
 * the lane is stopping (fn is then not called: the caller answers "busy"). Thread-safe. */
int lane_submit(void (*fn)(void *), void *arg);

/* Lets the lane threads run what is queued, then joins them. Jobs submitted meanwhile are refused. */
void lane_stop(void);

#endif
