/*
 * test_tracker.c — the tracker through the C ABI, end to end against the
 * emulator (issue 21):
 *
 *   test_tracker EMULATOR
 *
 * Starts a push receiver (a secret path, fed to ytx_tracker_on_push), then
 * the emulator with that push URL, places 50 callback calls mixing every
 * magic number (lost record push, lost state pushes, record first, forged
 * pushes, an SMS report routed by its key, duplicates, out of order, failed
 * legs, and two outcomes unknown), restarts the tracker in the middle (a new
 * one restored from ytx_tracker_pending's JSON), then moves the tracker's
 * manual clock. Checks: exactly one COMPLETED or RESOLVED per call with the
 * right record, no leg state reported twice, no event for a forged push or
 * the SMS report but UNRECOGNISED_PUSH, every lost record found by the
 * tracker's own query (verified), and nothing left live. Run under valgrind
 * and under ASan+UBSan by tests/c/tracker.sh. Last line:
 * "tracker: N passed, N failed".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ytx.h"
#include "check.h"

#define SECRET "/s3cret-91ab/push"
#define SRC "13800138000"
#define DST "13900139000"

/* The receiver's tracker, swapped at the restart under the lock (a push
 * being taken finishes first). */
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static ytx_tracker *slot = NULL;
static long received = 0;
static int listen_fd = -1;

static void *receiver(void *arg) {
    (void)arg;
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0) return NULL;
        struct timeval tv = {5, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[65536];
        size_t got = 0;
        long want = -1;
        char *body = NULL;
        while (got < sizeof buf - 1) {
            ssize_t n = read(fd, buf + got, sizeof buf - 1 - got);
            if (n <= 0) break;
            got += (size_t)n;
            buf[got] = '\0';
            char *end = strstr(buf, "\r\n\r\n");
            if (end && want < 0) {
                char *cl = strstr(buf, "Content-Length:");
                if (!cl) cl = strstr(buf, "content-length:");
                want = cl ? strtol(cl + 15, NULL, 10) : 0;
                body = end + 4;
            }
            if (body && (long)(got - (size_t)(body - buf)) >= want) break;
        }
        int status = 400;
        char target[512] = "";
        if (body && sscanf(buf, "POST %511s ", target) == 1 &&
            strncmp(target, SECRET, strlen(SECRET)) == 0) {
            const char *query = strchr(target, '?');
            pthread_mutex_lock(&slot_lock);
            status = ytx_tracker_on_push(slot, (const uint8_t *)body, (size_t)want,
                                         query ? query + 1 : NULL);
            received++;
            pthread_mutex_unlock(&slot_lock);
        } else if (body) {
            status = 404;
        }
        char answer[128];
        int len = snprintf(answer, sizeof answer,
                           "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status);
        if (write(fd, answer, (size_t)len) < 0) { /* the emulator retries */ }
        close(fd);
    }
}

static long received_now(void) {
    pthread_mutex_lock(&slot_lock);
    long n = received;
    pthread_mutex_unlock(&slot_lock);
    return n;
}

/* The emulator's magic numbers (emulator/README.md) and how many pushes
 * reach the receiver for each (lost ones never do). */
struct kind {
    const char *src, *dst;
    int pushes;
    int unknown;
};
static const struct kind KINDS[] = {
    {SRC, DST, 9, 0},
    {SRC, "19900002002", 7, 0},  /* second leg busy */
    {SRC, "19900002003", 12, 0}, /* duplicate pushes */
    {SRC, "19900002004", 9, 0},  /* out of order */
    {SRC, "19900002005", 8, 0},  /* second leg no answer */
    {"19900002001", DST, 4, 0},  /* first leg no answer */
    {SRC, "19900002006", 8, 0},  /* record push lost */
    {SRC, "19900002007", 1, 0},  /* state pushes lost */
    {SRC, "19900002008", 9, 0},  /* record push first */
    {SRC, "19900002009", 11, 0}, /* forged pushes */
    {SRC, "19900002010", 10, 0}, /* SMS report routed by ?SMS */
    {SRC, "19900000002", 9, 1},  /* connection dropped: outcome unknown */
    {SRC, "19900000005", 9, 1},  /* truncated JSON: outcome unknown */
};
#define NKINDS (sizeof KINDS / sizeof KINDS[0])
#define NCALLS 50

struct placed {
    char custom_parm[16];
    char request_id[64]; /* "" for an outcome unknown */
    const struct kind *kind;
    int finals;
};
static struct placed calls[NCALLS];

/* Leg states seen, "requestId|number|state|timestamp", to catch a repeat. */
static char *seen[4096];
static int nseen = 0;
static int unrecognised = 0, forged_or_sms = 0;

static struct placed *by_custom_parm(const char *p) {
    for (int i = 0; i < NCALLS; i++)
        if (strcmp(calls[i].custom_parm, p) == 0) return &calls[i];
    return NULL;
}

static void take(ytx_event *e) {
    ytx_event_kind k = ytx_event_kind_of(e);
    const char *rid = ytx_event_request_id(e);
    if (k == YTX_EVENT_LEG_STATE) {
        char key[256];
        snprintf(key, sizeof key, "%s|%s|%s|%s", rid, ytx_event_number(e), ytx_event_state(e),
                 ytx_event_timestamp(e));
        for (int i = 0; i < nseen; i++) CHECK(strcmp(seen[i], key) != 0, "reported twice: %s", key);
        if (nseen < 4096) seen[nseen++] = strdup(key);
        CHECK(strcmp(ytx_event_state(e), "DELIVRD") != 0, "an SMS report as a state");
        CHECK(strcmp(rid, "") != 0 && strncmp(rid, "19700101000000", 14) != 0, "forged: %s", rid);
    } else if (k == YTX_EVENT_COMPLETED || k == YTX_EVENT_RESOLVED) {
        struct placed *p = by_custom_parm(ytx_event_custom_parm(e));
        CHECK(p != NULL, "final event of an unknown call: %s", ytx_event_custom_parm(e));
        if (!p) return;
        p->finals++;
        const ytx_record *r = ytx_event_record(e);
        CHECK(r != NULL, "no record for %s", p->custom_parm);
        if (!r) return;
        CHECK(strcmp(ytx_record_custom_parm(r), p->custom_parm) == 0, "record of %s", p->custom_parm);
        if (p->kind->unknown) {
            CHECK(k == YTX_EVENT_RESOLVED && ytx_event_placed(e) == 1, "%s resolved placed", p->custom_parm);
            CHECK(strcmp(rid, ytx_record_request_id(r)) == 0, "resolved requestId");
        } else {
            CHECK(k == YTX_EVENT_COMPLETED, "%s completed", p->custom_parm);
            CHECK(strcmp(rid, p->request_id) == 0, "completed %s: %s", p->request_id, rid);
            CHECK(strcmp(ytx_record_request_id(r), p->request_id) == 0, "its own record");
        }
        if (strcmp(p->kind->dst, "19900002006") == 0)
            CHECK(ytx_event_verified(e) == 1, "lost record of %s found by the query", p->custom_parm);
    } else if (k == YTX_EVENT_UNRECOGNISED_PUSH) {
        unrecognised++;
        if (strncmp(rid, "19700101000000", 14) == 0 || strstr(ytx_event_reason(e), "SMS"))
            forged_or_sms++;
    } else {
        CHECK(0, "unexpected event %s for %s", ytx_event_kind_name(k), rid);
    }
}

static void drain(ytx_tracker *t) {
    for (;;) {
        ytx_event *e = NULL;
        ytx_result rc = ytx_tracker_next_event(t, 5, &e, NULL);
        CHECK(rc == YTX_OK, "next_event: %s", ytx_result_name(rc));
        if (!e) return;
        take(e);
        ytx_event_free(e);
    }
}

static void wait_received(long n) {
    for (int i = 0; i < 12000 && received_now() < n; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    CHECK(received_now() == n, "%ld of %ld pushes received", received_now(), n);
}

static ytx_tracker *new_tracker(ytx_client *c) {
    const char *names[] = {"clock", "verify"}, *values[] = {"manual", "when_no_record_push"};
    ytx_tracker *t = NULL;
    ytx_outcome *o = NULL;
    ytx_result rc = ytx_tracker_new(c, names, values, 2, &t, &o);
    CHECK(rc == YTX_OK && t != NULL, "tracker_new: %s", ytx_outcome_message(o));
    ytx_outcome_free(o);
    return t;
}

static void place(ytx_client *c, int i) {
    struct placed *p = &calls[i];
    p->kind = &KINDS[i % NKINDS];
    snprintf(p->custom_parm, sizeof p->custom_parm, "c%d", i);
    const char *names[] = {"customParm"}, *values[] = {p->custom_parm};
    ytx_outcome *o = NULL;
    ytx_result rc = ytx_callback_call(c, p->kind->src, p->kind->dst, 100, names, values, 1, &o);
    if (p->kind->unknown) {
        CHECK(rc != YTX_OK && strlen(ytx_outcome_ticket(o)) > 0, "call %d: an outcome unknown", i);
    } else {
        CHECK(rc == YTX_OK, "call %d: %s", i, ytx_outcome_message(o));
        snprintf(p->request_id, sizeof p->request_id, "%s", ytx_outcome_request_id(o));
    }
    ytx_outcome_free(o);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_tracker EMULATOR\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    socklen_t alen = sizeof a;
    if (bind(listen_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(listen_fd, 64) != 0 ||
        getsockname(listen_fd, (struct sockaddr *)&a, &alen) != 0) {
        perror("receiver");
        return 2;
    }
    char push_url[128];
    snprintf(push_url, sizeof push_url, "http://127.0.0.1:%d%s", ntohs(a.sin_port), SECRET);

    /* The emulator, its stdin a pipe: it exits when we close it. */
    int to_emu[2], from_emu[2];
    if (pipe(to_emu) != 0 || pipe(from_emu) != 0) return 2;
    pid_t emu = fork();
    if (emu == 0) {
        dup2(to_emu[0], 0);
        dup2(from_emu[1], 1);
        FILE *quiet = freopen("/dev/null", "w", stderr);
        (void)quiet;
        close(to_emu[1]);
        close(from_emu[0]);
        /* A long push timeout: the receiver answers one push at a time,
         * slowly under valgrind, and a push whose attempt timed out would
         * come again (counted twice by wait_received). */
        execl(argv[1], argv[1], "--listen", "127.0.0.1:0", "--push-url", push_url,
              "--push-interval-ms", "1", "--push-timeout-ms", "120000", "--exit-on-stdin-eof",
              (char *)NULL);
        _exit(127);
    }
    close(to_emu[0]);
    close(from_emu[1]);
    char line[256] = "";
    FILE *out = fdopen(from_emu[0], "r");
    if (!out || !fgets(line, sizeof line, out)) {
        fprintf(stderr, "the emulator did not start\n");
        return 2;
    }
    char *base = strstr(line, "http://");
    if (!base) return 2;
    base[strcspn(base, "\r\n")] = '\0';

    const char *cn[] = {"base_url"}, *cv[] = {base};
    ytx_client *c = NULL;
    CHECK(ytx_client_new("8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8", "5c7e9a1b3d5f7092e4b6c8d0f2a4c6e8",
                         "ff8080813fc70a7b013fc72312324213", cn, cv, 1, &c, NULL) == YTX_OK,
          "client");
    slot = new_tracker(c);
    pthread_t th;
    pthread_create(&th, NULL, receiver, NULL);

    /* Bad input names its field; a system clock cannot be advanced. */
    ytx_outcome *o = NULL;
    const char *bn[] = {"verify"}, *bv[] = {"sometimes"};
    ytx_tracker *bad = NULL;
    CHECK(ytx_tracker_new(c, bn, bv, 1, &bad, &o) == YTX_ERR_INVALID_ARGUMENT && bad == NULL &&
              strcmp(ytx_outcome_field(o), "verify") == 0,
          "bad option");
    ytx_outcome_free(o);
    CHECK(ytx_tracker_restore(slot, "{}", &o) == YTX_ERR_INVALID_ARGUMENT &&
              strcmp(ytx_outcome_field(o), "request_id") == 0,
          "restore without a requestId: %s", ytx_outcome_message(o));
    ytx_outcome_free(o);
    CHECK(ytx_tracker_on_push(slot, (const uint8_t *)"not json", 8, NULL) == 400, "not JSON: 400");
    CHECK(ytx_tracker_on_push(NULL, (const uint8_t *)"{}", 2, NULL) == 500, "bad handle: 500");
    CHECK(ytx_tracker_stat(slot, "pushes") == 1, "one push counted");

    long expected = 0;
    for (int i = 0; i < NCALLS / 2; i++) {
        place(c, i);
        expected += calls[i].kind->pushes;
    }
    wait_received(expected);
    drain(slot);

    /* The restart: a new tracker takes the pushes, restored from the old
     * one's pending list; the old one is freed. */
    ytx_tracker *old = slot, *fresh = new_tracker(c);
    pthread_mutex_lock(&slot_lock);
    slot = fresh;
    pthread_mutex_unlock(&slot_lock);
    drain(old);
    ytx_pending *pending = NULL;
    CHECK(ytx_tracker_pending(old, &pending, NULL) == YTX_OK, "pending");
    size_t n = ytx_pending_count(pending);
    CHECK(n >= 2, "%zu calls pending at the restart", n);
    for (size_t i = 0; i < n; i++) {
        CHECK(strlen(ytx_pending_custom_parm(pending, i)) > 0 && ytx_pending_credit(pending, i) == 100 &&
                  ytx_pending_sent_unix(pending, i) > 1700000000,
              "pending item %zu", i);
        /* What ytx_callback_call sent: its numbers, no ring timeouts, and a
         * ticket exactly when there is no requestId. */
        int k = atoi(ytx_pending_custom_parm(pending, i) + 1);
        int unknown = ytx_pending_request_id(pending, i)[0] == '\0';
        CHECK(k >= 0 && k < NCALLS && strcmp(ytx_pending_src(pending, i), calls[k].kind->src) == 0 &&
                  strcmp(ytx_pending_dst(pending, i), calls[k].kind->dst) == 0,
              "pending item %zu (%s): src %s dst %s", i, ytx_pending_custom_parm(pending, i),
              ytx_pending_src(pending, i), ytx_pending_dst(pending, i));
        CHECK(ytx_pending_src_timeout(pending, i) == -1 && ytx_pending_dst_timeout(pending, i) == -1,
              "pending item %zu: no ring timeouts sent", i);
        CHECK(unknown == calls[k].kind->unknown &&
                  (unknown ? strncmp(ytx_pending_ticket(pending, i), "ytx-ticket", 10) == 0
                           : ytx_pending_ticket(pending, i)[0] == '\0'),
              "pending item %zu: ticket \"%s\"", i, ytx_pending_ticket(pending, i));
        CHECK(ytx_tracker_restore(fresh, ytx_pending_json(pending, i), NULL) == YTX_OK, "restore %zu", i);
    }
    CHECK(ytx_pending_src(pending, n)[0] == '\0' && ytx_pending_ticket(pending, n)[0] == '\0' &&
              ytx_pending_src_timeout(pending, n) == -1 && ytx_pending_dst_timeout(NULL, 0) == -1,
          "past the end, NULL: \"\" and -1");
    ytx_pending_free(pending);
    ytx_tracker_free(old);

    /* What track and restore take comes back from the accessors; a ring
     * timeout of 0 is a timeout, not "not known". */
    ytx_tracker *aside = new_tracker(c);
    ytx_outcome *ao = NULL;
    CHECK(ytx_tracker_track(aside, "rByHand1", NULL, 0, 0, "13700137000", "13600136000", &ao) == YTX_OK,
          "track: %s", ytx_outcome_message(ao));
    ytx_outcome_free(ao);
    CHECK(ytx_tracker_restore(aside, "{\"request_id\":\"rRestored1\",\"src_timeout\":0,\"dst_timeout\":45}",
                              &ao) == YTX_OK,
          "restore: %s", ytx_outcome_message(ao));
    ytx_outcome_free(ao);
#define TICKET "ytx-ticket:1;kind=callback;sent=1700000000;credit=100;srctimeout=;dsttimeout=30;anchor=;customParm=t1;fid=4"
    CHECK(ytx_tracker_restore(aside, "{\"ticket\":\"" TICKET "\"}", &ao) == YTX_OK,
          "restore a ticket: %s", ytx_outcome_message(ao));
    ytx_outcome_free(ao);
    pending = NULL;
    CHECK(ytx_tracker_pending(aside, &pending, NULL) == YTX_OK && ytx_pending_count(pending) == 3,
          "three calls aside, %zu pending", ytx_pending_count(pending));
    int seen_aside = 0;
    for (size_t i = 0; i < ytx_pending_count(pending); i++) {
        const char *rid = ytx_pending_request_id(pending, i);
        if (strcmp(rid, "rByHand1") == 0) {
            seen_aside |= 1;
            CHECK(strcmp(ytx_pending_src(pending, i), "13700137000") == 0 &&
                      strcmp(ytx_pending_dst(pending, i), "13600136000") == 0 &&
                      ytx_pending_src_timeout(pending, i) == -1 && ytx_pending_ticket(pending, i)[0] == '\0',
                  "tracked by hand: src %s dst %s", ytx_pending_src(pending, i), ytx_pending_dst(pending, i));
        } else if (strcmp(rid, "rRestored1") == 0) {
            seen_aside |= 2;
            CHECK(ytx_pending_src_timeout(pending, i) == 0 && ytx_pending_dst_timeout(pending, i) == 45 &&
                      ytx_pending_src(pending, i)[0] == '\0',
                  "restored: timeouts %lld %lld", (long long)ytx_pending_src_timeout(pending, i),
                  (long long)ytx_pending_dst_timeout(pending, i));
        } else {
            seen_aside |= 4;
            CHECK(rid[0] == '\0' && strcmp(ytx_pending_ticket(pending, i), TICKET) == 0 &&
                      strcmp(ytx_pending_custom_parm(pending, i), "t1") == 0 &&
                      ytx_pending_src_timeout(pending, i) == -1 && ytx_pending_dst_timeout(pending, i) == 30,
                  "an outcome unknown: ticket %s", ytx_pending_ticket(pending, i));
        }
    }
    CHECK(seen_aside == 7, "each call aside once (%d)", seen_aside);
    ytx_pending_free(pending);
    ytx_tracker_free(aside);
    CHECK(ytx_tracker_on_push(old, (const uint8_t *)"{}", 2, NULL) == 500, "a freed handle: 500");

    for (int i = NCALLS / 2; i < NCALLS; i++) {
        place(c, i);
        expected += calls[i].kind->pushes;
    }
    wait_received(expected);
    int done = 0;
    for (int round = 0; round < 240 && !done; round++) {
        drain(fresh);
        done = 1;
        for (int i = 0; i < NCALLS; i++) done &= calls[i].finals >= 1;
        if (!done) CHECK(ytx_tracker_advance_clock(fresh, 30000, NULL) == YTX_OK, "advance");
    }
    CHECK(ytx_tracker_advance_clock(fresh, 6 * 3600 * 1000, NULL) == YTX_OK, "advance");
    drain(fresh);
    for (int i = 0; i < NCALLS; i++)
        CHECK(calls[i].finals == 1, "%s: %d final events", calls[i].custom_parm, calls[i].finals);
    CHECK(unrecognised == forged_or_sms && unrecognised >= 4, "%d unrecognised, %d forged or SMS",
          unrecognised, forged_or_sms);
    CHECK(ytx_tracker_pending(fresh, &pending, NULL) == YTX_OK && ytx_pending_count(pending) == 0,
          "nothing left pending");
    ytx_pending_free(pending);
    printf("tracker: %llu queries for %d calls after the restart\n",
           (unsigned long long)ytx_tracker_stat(fresh, "queries"), NCALLS);

    pthread_mutex_lock(&slot_lock);
    slot = NULL;
    pthread_mutex_unlock(&slot_lock);
    ytx_tracker_free(fresh);
    ytx_free(c);
    shutdown(listen_fd, SHUT_RDWR);
    close(listen_fd);
    pthread_join(th, NULL);
    close(to_emu[1]);
    fclose(out);
    waitpid(emu, NULL, 0);
    for (int i = 0; i < nseen; i++) free(seen[i]);
    CHECK(ytx_live_trackers() == 0, "%zu trackers live", ytx_live_trackers());
    CHECK(ytx_live_objects() == 0, "%zu objects live", ytx_live_objects());
    CHECK(ytx_live_clients() == 0, "%zu clients live", ytx_live_clients());
    printf("tracker: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
