/*
 * test_fork.c — one client, made before fork(), used by a master and the
 * workers it forks (a pre-fork call-center worker pool).
 *
 * Run by tests/c/fork.sh, which starts ytx-emulator with
 * --request-id-from-custom-parm (a call whose customParm is digits is
 * answered a requestId ending in them, zero-padded to 15) and sets
 * YTX_BASE_URL, YTX_ACCOUNT_SID, YTX_AUTH_TOKEN, YTX_APP_ID.
 *
 * The master places a call first, so that its keep-alive connection sits in
 * the client's pool when it forks WORKERS workers; each worker places CALLS
 * calls on the inherited client at the same time as the others. Without
 * fork safety they all write into the master's one socket and read each
 * other's answers. Checked: every call accepted, every answer the worker's
 * own (its requestId ends in the worker's customParm), the master's
 * connection still works after the workers are done, and the emulator
 * received each call exactly once (its request counter).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ytx.h"
#include "emulator.h"

#define WORKERS 4
#define CALLS 8

static const char *SID, *TOKEN, *APP, *BASE;

/* One call with customParm `parm`; 0 if accepted with its own requestId,
 * 1 if it failed, 2 if the answer was another call's. */
static int call(ytx_client *c, const char *who, long parm) {
    char text[32], want[32];
    snprintf(text, sizeof text, "%ld", parm);
    snprintf(want, sizeof want, "%015ld", parm);
    const char *names[] = {"customParm"};
    const char *values[] = {text};
    ytx_outcome *o = NULL;
    ytx_result rc = ytx_callback_call(c, "13800138000", "13900139000", 61, names, values, 1, &o);
    const char *id = ytx_outcome_request_id(o);
    size_t len = strlen(id);
    int bad = 0;
    if (rc != YTX_OK) {
        fprintf(stderr, "FAIL %s: call %s: %s %s\n", who, text, ytx_result_name(rc),
                ytx_outcome_message(o));
        bad = 1;
    } else if (len < 15 || strcmp(id + len - 15, want) != 0) {
        fprintf(stderr, "FAIL %s: call %s was answered requestId %s (another call's)\n", who, text, id);
        bad = 2;
    }
    ytx_outcome_free(o);
    return bad;
}

int main(void) {
    SID = getenv("YTX_ACCOUNT_SID");
    TOKEN = getenv("YTX_AUTH_TOKEN");
    APP = getenv("YTX_APP_ID");
    BASE = getenv("YTX_BASE_URL");
    if (!SID || !TOKEN || !APP || !BASE || sscanf(BASE, "http://%63[^:]:%d", HOST, &PORT) != 2) {
        fprintf(stderr, "run through tests/c/fork.sh (needs the emulator's URL and demo credentials)\n");
        return 2;
    }
    const char *names[] = {"base_url", "timeout_ms"};
    const char *values[] = {BASE, "20000"};
    ytx_client *c = NULL;
    if (ytx_client_new(SID, TOKEN, APP, names, values, 2, &c, NULL) != YTX_OK) {
        fprintf(stderr, "FAIL: client_new\n");
        return 1;
    }
    long before = emulator_count();
    int failures = 0;
    /* The master's call: its connection goes to the pool. */
    failures += call(c, "master", 900001) != 0;

    pid_t pids[WORKERS];
    for (int w = 0; w < WORKERS; w++) {
        pids[w] = fork();
        if (pids[w] < 0) {
            perror("fork");
            return 1;
        }
        if (pids[w] == 0) {
            char who[32];
            snprintf(who, sizeof who, "worker %d", w);
            int failed = 0, crossed = 0;
            for (int i = 0; i < CALLS; i++) {
                int r = call(c, who, (long)(w + 1) * 1000 + i);
                failed += r == 1;
                crossed += r == 2;
            }
            ytx_free(c);
            /* exit status: failed calls * 16 + crossed answers */
            _exit(failed * 16 + crossed);
        }
    }
    int failed = 0, crossed = 0;
    for (int w = 0; w < WORKERS; w++) {
        int status = 0;
        if (waitpid(pids[w], &status, 0) != pids[w] || !WIFEXITED(status)) {
            fprintf(stderr, "FAIL: worker %d did not exit normally (status %d)\n", w, status);
            failed += CALLS;
            continue;
        }
        failed += WEXITSTATUS(status) / 16;
        crossed += WEXITSTATUS(status) % 16;
    }
    /* The master's pooled connection was not cut by any worker. */
    failures += call(c, "master after the workers", 900002) != 0;
    long sent = emulator_count() - before;
    long want = 2 + WORKERS * CALLS;
    printf("fork: %d workers x %d calls: %d failed, %d crossed answers; emulator received %ld of %ld\n",
           WORKERS, CALLS, failed, crossed, sent, want);
    if (sent != want) fprintf(stderr, "FAIL: the emulator received %ld requests, want %ld\n", sent, want);
    if (ytx_free(c) != YTX_OK || ytx_live_clients() != 0 || ytx_live_objects() != 0) {
        fprintf(stderr, "FAIL: handles left\n");
        failures++;
    }
    return failed == 0 && crossed == 0 && failures == 0 && sent == want ? 0 : 1;
}
