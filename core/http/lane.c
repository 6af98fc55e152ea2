/* lane.c: a fixed pool of threads over a bounded FIFO of jobs (see lane.h). */
#include "lane.h"
#include <string.h>

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

typedef struct job {
    void (*fn)(void *);
    void *arg;
} job;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static job *ring;                 /* capacity slots; head is the oldest queued job */
static int capacity, head, count, stopping, nthreads_started;
static pthread_t *threads;

static void *lane_main(void *unused)
{
    (void)unused;
    for (;;) {
        pthread_mutex_lock(&mu);
        while (!count && !stopping) pthread_cond_wait(&cv, &mu);
        if (!count) { /* stopping and drained */
            pthread_mutex_unlock(&mu);
            return NULL;
        }
        job j = ring[head];
        head = (head + 1) % capacity;
        count--;
        pthread_mutex_unlock(&mu);
        j.fn(j.arg);
    }
}

int lane_start(int nthreads, int cap, char **err)
{
    if (nthreads < 1) nthreads = 1;
    if (cap < 1) cap = 1;
    ring = calloc((size_t)cap, sizeof *ring);
    threads = calloc((size_t)nthreads, sizeof *threads);
    if (!ring || !threads) {
        free(ring);
        free(threads);
        ring = NULL;
        threads = NULL;
        *err = strdup("out of memory");
        return -1;
    }
    capacity = cap;
    head = count = stopping = 0;
    /* Lane threads take no signals: SIGINT/SIGTERM must reach the thread waiting in http_serve. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = 0;
    for (nthreads_started = 0; nthreads_started < nthreads; nthreads_started++)
        if (pthread_create(&threads[nthreads_started], NULL, lane_main, NULL) != 0) {
            rc = -1;
            break;
        }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        lane_stop();
        *err = strdup("cannot start the Lua lane threads");
    }
    return rc;
}

int lane_submit(void (*fn)(void *), void *arg)
{
    int rc = -1;
    pthread_mutex_lock(&mu);
    if (ring && !stopping && count < capacity) {
        ring[(head + count) % capacity] = (job){fn, arg};
        count++;
        rc = 0;
        pthread_cond_signal(&cv);
    }
    pthread_mutex_unlock(&mu);
    return rc;
}

void lane_stop(void)
{
    pthread_mutex_lock(&mu);
    stopping = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < nthreads_started; i++) pthread_join(threads[i], NULL);
    nthreads_started = 0;
    free(threads);
    free(ring);
    threads = NULL;
    ring = NULL;
}
