/*
 * push_receiver.c — receive the platform's pushes (state and call-record) on
 * the app's callback URL and feed them to a ytx_tracker, which turns them
 * (unsigned hints: lost, repeated, reordered, forged) and the signed record
 * query (the truth) into one event per fact. This program prints the events.
 *
 * Each complete request's body goes to ytx_tracker_on_push with the request
 * target (the routing key the platform appends: ?Call, ?CallState; ?SMS is
 * not a call's), and the status that returns at once is the answer: 200 for
 * anything that is JSON (used, repeated or unrecognised), 400 for a body
 * that is not. on_push never touches the network. De-duplication by
 * PROTOCOL.md's keys, ordering each leg's states, dropping pushes for no
 * watched call and confirming each record with the signed query are the
 * library's rules: no table, no "is this push genuine?" here.
 *
 * The tracker has no thread of its own: a second thread takes its events
 * (ytx_tracker_next_event) and the tracker does its work there (record
 * queries, with backoff, within a budget), never in the HTTP loop.
 *
 * Which calls it watches: in your application, make the tracker on the
 * client that places the calls (every callback call it places is tracked).
 * This standalone program places none: it watches the requestIds it reads on
 * stdin, one a line (or a line of ytx_pending_json, kept over a restart).
 *
 * Pushes are unauthenticated: anyone who finds the URL can POST to it. So
 * this receiver follows PROTOCOL.md's "Protecting a receiver":
 *   - a body limit (64 KiB; a record push is a few hundred bytes) and a head
 *     limit; a negative, malformed or too large Content-Length is refused at
 *     once (400 / 413), before any body is read; no chunked bodies (411);
 *   - a read deadline per connection (10 s by default): a client that sends
 *     slowly is cut off (408);
 *   - one slow client cannot stop the others: every connection is served
 *     by one poll() loop, never by a blocking read, with at most MAX_CONNS
 *     open at once;
 *   - optionally an unguessable path (--secret-path /SOME-RANDOM-PATH),
 *     compared in constant time; any other path gets 404.
 *
 * Build (from the repository root, after `cargo build`):
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Iinclude \
 *      examples/c/push_receiver.c -Ltarget/debug -lytx -lpthread -o push_receiver
 *   YTX_ACCOUNT_SID=... YTX_AUTH_TOKEN=... YTX_APP_ID=... [YTX_BASE_URL=...] \
 *   LD_LIBRARY_PATH=target/debug ./push_receiver [PORT] [--max N]
 *       [--secret-path /PATH] [--read-deadline-ms MS] [--option NAME=VALUE]...
 *
 * --option passes a tracker option (ytx_tracker_new: verify=never,
 * orphan_window_ms=..., ...). It prints "listening on http://127.0.0.1:PORT/"
 * first (PORT 0, the default, picks a free port; with --secret-path the URL
 * ends with it), then one line per event or refusal:
 *   state <requestId> <src|dst|?> <number> <state> <timestamp>
 *   completed <requestId> customParm=... duration=... amount=... (... fen) url=... desc=... verified=0|1
 *   resolved customParm=... placed=1|0|-1 requestId=... <why>
 *   overdue <requestId or customParm> <why>
 *   unrecognised push: <why>              (forged, another app's, an SMS report)
 *   answered 400: not JSON                (what on_push returned, when not 200)
 *   refused: <status> (<why>)             (the receiver's own protections)
 *   not watched: <why>                    (a bad line on stdin)
 * With --max N it exits after N events. Point the emulator at it with
 * `ytx-emulator --push-url http://127.0.0.1:PORT/`. A real receiver would
 * hand the events to a queue instead of printing them, and keep
 * ytx_tracker_pending's JSON over a restart.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ytx.h"

#define MAX_HEAD (8 * 1024)
#define MAX_BODY (64 * 1024)
#define MAX_CONNS 64
#define MAX_OPTIONS 16
#define LINE_MAX_LEN 4096

static ytx_tracker *tracker = NULL;

/* One line on stdout, whole, from either thread. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    flockfile(stdout);
    vprintf(fmt, ap);
    putchar('\n');
    fflush(stdout);
    funlockfile(stdout);
    va_end(ap);
}

/* ---- the tracker's events: a thread of their own ---- */

static long max_events = -1;
static int done_pipe[2] = {-1, -1}; /* the events thread says "--max reached" */

static const char *or_dash(const char *s) { return s[0] != '\0' ? s : "-"; }

static void describe(const ytx_event *e) {
    const char *rid = ytx_event_request_id(e);
    const ytx_record *r = ytx_event_record(e);
    switch (ytx_event_kind_of(e)) {
    case YTX_EVENT_LEG_STATE:
        say("state %s %s %s %s %s", rid, ytx_event_leg(e)[0] ? ytx_event_leg(e) : "?", ytx_event_number(e),
            ytx_event_state(e), ytx_event_timestamp(e));
        return;
    case YTX_EVENT_COMPLETED: {
        /* Once per call. The amount is exact: the decimal text and whole fen. */
        int64_t fen = -1;
        int has_amount = ytx_record_amount_fen(r, &fen);
        say("completed %s customParm=%s duration=%lld amount=%s (%lld fen) url=%s desc=%s verified=%d", rid,
            or_dash(ytx_record_custom_parm(r)), (long long)ytx_record_duration(r),
            has_amount ? ytx_record_amount_text(r) : "?", (long long)fen, or_dash(ytx_record_recording_url(r)),
            or_dash(ytx_record_state_desc(r)), ytx_event_verified(e));
        return;
    }
    case YTX_EVENT_RESOLVED:
        say("resolved customParm=%s placed=%d requestId=%s %s", or_dash(ytx_event_custom_parm(e)),
            ytx_event_placed(e), or_dash(rid), ytx_event_reason(e));
        return;
    case YTX_EVENT_OVERDUE:
        say("overdue %s %s", rid[0] ? rid : ytx_event_custom_parm(e), ytx_event_reason(e));
        return;
    default:
        say("unrecognised push: %s", ytx_event_reason(e));
    }
}

/* Takes the tracker's events until it is freed (or --max is reached). */
static void *print_events(void *arg) {
    (void)arg;
    long seen = 0;
    ytx_event *e = NULL;
    while (ytx_tracker_next_event(tracker, -1, &e, NULL) == YTX_OK && e != NULL) {
        describe(e);
        ytx_event_free(e);
        if (max_events >= 0 && ++seen == max_events) {
            ssize_t w = write(done_pipe[1], "x", 1); /* wakes the HTTP loop */
            (void)w;
            break;
        }
    }
    return NULL;
}

/* ---- stdin: the calls to watch ---- */

static char line_buf[LINE_MAX_LEN];
static size_t line_len = 0;

static void watch_line(char *line) {
    while (*line == ' ' || *line == '\t') line++;
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t')) line[--n] = '\0';
    if (n == 0) return;
    ytx_outcome *o = NULL;
    ytx_result rc = line[0] == '{' ? ytx_tracker_restore(tracker, line, &o)
                                   : ytx_tracker_track(tracker, line, NULL, 0, 0, NULL, NULL, &o);
    if (rc != YTX_OK) say("not watched: %s", ytx_outcome_message(o));
    ytx_outcome_free(o);
}

/* Reads what stdin has; returns 0 at its end. */
static int on_stdin(void) {
    ssize_t n = read(STDIN_FILENO, line_buf + line_len, sizeof line_buf - 1 - line_len);
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    if (n == 0) {
        line_buf[line_len] = '\0';
        watch_line(line_buf);
        line_len = 0;
        return 0;
    }
    line_len += (size_t)n;
    char *start = line_buf, *nl;
    while ((nl = memchr(start, '\n', line_len - (size_t)(start - line_buf))) != NULL) {
        *nl = '\0';
        watch_line(start);
        start = nl + 1;
    }
    line_len -= (size_t)(start - line_buf);
    memmove(line_buf, start, line_len);
    if (line_len == sizeof line_buf - 1) {
        say("not watched: a line over %d bytes", LINE_MAX_LEN - 1);
        line_len = 0;
    }
    return 1;
}

/* ---- HTTP: one request per connection, all connections in one poll loop ---- */

struct conn {
    int fd;
    char *buf;          /* head + body, NUL-terminated */
    size_t got;         /* bytes in buf */
    size_t head;        /* length of the head, 0 until it is complete */
    size_t want;        /* head + Content-Length, once known */
    long long deadline; /* monotonic ms */
};

static struct conn conns[MAX_CONNS];
static const char *secret_path = NULL;
static long long read_deadline_ms = 10000;

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Equal strings, in a time that depends on the lengths only. */
static int same_secret(const char *a, size_t alen, const char *b) {
    size_t blen = strlen(b);
    unsigned char diff = (unsigned char)(alen != blen);
    for (size_t i = 0; i < blen; i++) diff |= (unsigned char)((i < alen ? a[i] : 0) ^ b[i]);
    return diff == 0;
}

static void answer(int fd, const char *status) {
    int ok = strncmp(status, "200", 3) == 0;
    char out[160];
    int n = snprintf(out, sizeof out, "HTTP/1.1 %s\r\nContent-Length: 2\r\nConnection: close\r\n\r\n%s", status,
                     ok ? "ok" : "no");
    ssize_t w = write(fd, out, (size_t)n); /* small: fits the socket buffer */
    (void)w;
}

static const char *status_line(int status) {
    switch (status) {
    case 200: return "200 OK";
    case 400: return "400 Bad Request";
    case 413: return "413 Content Too Large";
    default: return "500 Internal Server Error";
    }
}

static void drop_conn(struct conn *c) {
    close(c->fd);
    free(c->buf);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

static void refuse(struct conn *c, const char *status, const char *why) {
    say("refused: %s (%s)", status, why);
    answer(c->fd, status);
    drop_conn(c);
}

/* The head is complete: check it. Returns 0 to go on reading the body. */
static int check_head(struct conn *c) {
    char *line_end = strstr(c->buf, "\r\n");
    char *sp1 = memchr(c->buf, ' ', (size_t)(line_end - c->buf));
    char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(line_end - sp1 - 1)) : NULL;
    if (sp1 == NULL || sp2 == NULL) return refuse(c, "400 Bad Request", "request line"), 1;
    if ((size_t)(sp1 - c->buf) != 4 || strncmp(c->buf, "POST", 4) != 0)
        return refuse(c, "405 Method Not Allowed", "not POST"), 1;
    if (secret_path != NULL) {
        const char *target = sp1 + 1;
        const char *q = memchr(target, '?', (size_t)(sp2 - target));
        size_t path_len = (size_t)((q ? q : sp2) - target);
        if (!same_secret(target, path_len, secret_path)) return refuse(c, "404 Not Found", "wrong path"), 1;
    }
    long long length = -1;
    for (char *line = line_end; line != NULL && line < c->buf + c->head - 4; line = strstr(line + 2, "\r\n")) {
        char *h = line + 2;
        if (strncasecmp(h, "Transfer-Encoding:", 18) == 0) return refuse(c, "411 Length Required", "chunked"), 1;
        if (strncasecmp(h, "Content-Length:", 15) != 0) continue;
        const char *v = h + 15;
        while (*v == ' ' || *v == '\t') v++;
        if (*v < '0' || *v > '9') return refuse(c, "400 Bad Request", "Content-Length not a number"), 1;
        long long n = 0;
        for (; *v >= '0' && *v <= '9'; v++) {
            n = n * 10 + (*v - '0');
            if (n > MAX_BODY) return refuse(c, "413 Content Too Large", "Content-Length over the limit"), 1;
        }
        if (*v != '\r' && *v != ' ' && *v != '\t') return refuse(c, "400 Bad Request", "Content-Length"), 1;
        if (length >= 0 && length != n) return refuse(c, "400 Bad Request", "two Content-Lengths"), 1;
        length = n;
    }
    if (length < 0) return refuse(c, "411 Length Required", "no Content-Length"), 1;
    c->want = c->head + (size_t)length;
    return 0;
}

/* Read what is there; when the request is whole, hand it to the tracker and
 * answer the status it returns (the connection closes). */
static void on_readable(struct conn *c) {
    size_t cap = MAX_HEAD + MAX_BODY;
    ssize_t n = read(c->fd, c->buf + c->got, cap - c->got);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n <= 0) {
        drop_conn(c); /* gone before a whole request */
        return;
    }
    c->got += (size_t)n;
    c->buf[c->got] = '\0';
    if (c->head == 0) {
        char *end = strstr(c->buf, "\r\n\r\n");
        if (end == NULL) {
            if (c->got >= MAX_HEAD) refuse(c, "431 Request Header Fields Too Large", "head");
            return;
        }
        c->head = (size_t)(end - c->buf) + 4;
        if (check_head(c) != 0) return;
    }
    if (c->got < c->want) return;
    /* The request target ("/secret?CallState"): the tracker reads the
     * routing key from it. At once, never touching the network. */
    char target[1024];
    const char *sp1 = strchr(c->buf, ' ');
    const char *sp2 = strchr(sp1 + 1, ' ');
    snprintf(target, sizeof target, "%.*s", (int)(sp2 - sp1 - 1), sp1 + 1);
    uint16_t status = ytx_tracker_on_push(tracker, (const uint8_t *)c->buf + c->head, c->want - c->head, target);
    if (status != 200) say("answered %d: %s", status, status == 400 ? "not JSON" : "refused by the tracker");
    answer(c->fd, status_line(status));
    drop_conn(c);
}

/* The client the tracker queries with, from the environment. */
static ytx_client *client_from_env(void) {
    const char *sid = getenv("YTX_ACCOUNT_SID"), *token = getenv("YTX_AUTH_TOKEN"), *app = getenv("YTX_APP_ID");
    const char *base_url = getenv("YTX_BASE_URL");
    if (sid == NULL || token == NULL || app == NULL) {
        fprintf(stderr, "set YTX_ACCOUNT_SID, YTX_AUTH_TOKEN, YTX_APP_ID (and YTX_BASE_URL for the emulator)\n");
        return NULL;
    }
    const char *names[] = {"base_url"}, *values[] = {base_url};
    size_t n = base_url != NULL && base_url[0] != '\0' ? 1 : 0;
    ytx_client *client = NULL;
    ytx_outcome *o = NULL;
    if (ytx_client_new(sid, token, app, names, values, n, &client, &o) != YTX_OK)
        fprintf(stderr, "ytx_client_new: %s\n", ytx_outcome_message(o));
    ytx_outcome_free(o);
    return client;
}

int main(int argc, char **argv) {
    int port = 0;
    const char *option_names[MAX_OPTIONS], *option_values[MAX_OPTIONS];
    char option_text[MAX_OPTIONS][256];
    size_t options = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--max") == 0 && i + 1 < argc) {
            max_events = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--secret-path") == 0 && i + 1 < argc) {
            secret_path = argv[++i];
        } else if (strcmp(argv[i], "--read-deadline-ms") == 0 && i + 1 < argc) {
            read_deadline_ms = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--option") == 0 && i + 1 < argc && options < MAX_OPTIONS) {
            /* NAME=VALUE, split in a copy: the names and values are C strings. */
            snprintf(option_text[options], sizeof option_text[options], "%s", argv[++i]);
            char *eq = strchr(option_text[options], '=');
            if (eq == NULL) {
                fprintf(stderr, "--option NAME=VALUE, not %s\n", argv[i]);
                return 2;
            }
            *eq = '\0';
            option_names[options] = option_text[options];
            option_values[options++] = eq + 1;
        } else {
            port = atoi(argv[i]);
        }
    }
    ytx_client *client = client_from_env();
    if (client == NULL) return 2;
    ytx_outcome *o = NULL;
    ytx_result rc = ytx_tracker_new(client, option_names, option_values, options, &tracker, &o);
    ytx_free(client); /* the tracker keeps the client alive */
    if (rc != YTX_OK) {
        fprintf(stderr, "ytx_tracker_new: %s\n", ytx_outcome_message(o));
        ytx_outcome_free(o);
        return 2;
    }
    ytx_outcome_free(o);

    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof addr;
    if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 64) != 0 ||
        getsockname(listener, (struct sockaddr *)&addr, &alen) != 0 || pipe(done_pipe) != 0) {
        perror("listen");
        ytx_tracker_free(tracker);
        return 1;
    }
    fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK);
    pthread_t events;
    if (pthread_create(&events, NULL, print_events, NULL) != 0) {
        perror("pthread_create");
        ytx_tracker_free(tracker);
        return 1;
    }
    say("listening on http://127.0.0.1:%d%s", ntohs(addr.sin_port), secret_path ? secret_path : "/");

    for (int i = 0; i < MAX_CONNS; i++) conns[i].fd = -1;
    int stdin_open = 1, running = 1;
    while (running) {
        struct pollfd fds[MAX_CONNS + 3];
        int slot_of[MAX_CONNS + 3]; /* a connection's slot; -1 listener, -2 stdin, -3 done */
        nfds_t nfds = 0;
        long long now = now_ms(), wait = -1;
        int free_slots = 0;
        for (int i = 0; i < MAX_CONNS; i++) {
            if (conns[i].fd < 0) {
                free_slots++;
                continue;
            }
            if (now >= conns[i].deadline) {
                refuse(&conns[i], "408 Request Timeout", "read deadline");
                free_slots++;
                continue;
            }
            long long left = conns[i].deadline - now;
            if (wait < 0 || left < wait) wait = left;
            fds[nfds].fd = conns[i].fd;
            fds[nfds].events = POLLIN;
            slot_of[nfds++] = i;
        }
        if (free_slots > 0) { /* when full, new clients wait in the backlog */
            fds[nfds].fd = listener;
            fds[nfds].events = POLLIN;
            slot_of[nfds++] = -1;
        }
        if (stdin_open) {
            fds[nfds].fd = STDIN_FILENO;
            fds[nfds].events = POLLIN;
            slot_of[nfds++] = -2;
        }
        fds[nfds].fd = done_pipe[0];
        fds[nfds].events = POLLIN;
        slot_of[nfds++] = -3;
        if (poll(fds, nfds, (int)wait) < 0 && errno != EINTR) {
            perror("poll");
            break;
        }
        for (nfds_t k = 0; k < nfds; k++) {
            if (fds[k].revents == 0) continue;
            if (slot_of[k] >= 0) {
                if (conns[slot_of[k]].fd >= 0) on_readable(&conns[slot_of[k]]);
            } else if (slot_of[k] == -2) {
                stdin_open = on_stdin(); /* at its end: no more calls to watch, pushes still come */
            } else if (slot_of[k] == -3) {
                running = 0; /* --max events printed */
            } else {
                int fd;
                while ((fd = accept(listener, NULL, NULL)) >= 0) {
                    int i = 0;
                    while (i < MAX_CONNS && conns[i].fd >= 0) i++;
                    char *buf = i < MAX_CONNS ? malloc(MAX_HEAD + MAX_BODY + 1) : NULL;
                    if (buf == NULL) {
                        answer(fd, "503 Service Unavailable");
                        close(fd);
                        break;
                    }
                    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
                    conns[i] = (struct conn){.fd = fd, .buf = buf, .deadline = now_ms() + read_deadline_ms};
                }
            }
        }
    }
    for (int i = 0; i < MAX_CONNS; i++)
        if (conns[i].fd >= 0) drop_conn(&conns[i]);
    close(listener);
    ytx_tracker_free(tracker); /* the events thread, if still waiting, returns */
    pthread_join(events, NULL);
    close(done_pipe[0]);
    close(done_pipe[1]);
    return 0;
}
