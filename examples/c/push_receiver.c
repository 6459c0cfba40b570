/*
 * push_receiver.c — receive the platform's pushes (state and call-record)
 * on the app's callback URL and parse them with the ytx C API.
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
 *   - routing by the key the platform appends to the URL (`?Call`: a record
 *     push, `?CallState`: a state push), by the body's shape when absent:
 *     ytx_push_parse_routed holds the rule;
 *   - de-duplication by PROTOCOL.md's keys (state: requestid, dsc, state,
 *     timestamp; record: requestid) in a fixed-size table: bounded memory,
 *     the oldest keys are forgotten first;
 *   - optionally an unguessable path (--secret-path /SOME-RANDOM-PATH),
 *     compared in constant time; any other path gets 404.
 * Every accepted push is answered "200 ok" at once, then parsed. Pushes
 * carry no signature: treat them as hints and confirm what matters
 * (billing, "the customer was reached") with ytx_call_record.
 *
 * Build (from the repository root, after `cargo build`):
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Iinclude \
 *      examples/c/push_receiver.c -Ltarget/debug -lytx -o push_receiver
 *   LD_LIBRARY_PATH=target/debug ./push_receiver [PORT] [--max N]
 *       [--secret-path /PATH] [--read-deadline-ms MS]
 *
 * It prints "listening on http://127.0.0.1:PORT/" first (PORT 0, the
 * default, picks a free port; with --secret-path the URL ends with it), then
 * one line per push or refusal. With --max N it exits after N new
 * (non-duplicate) pushes. Point the emulator at it with
 * `ytx-emulator --push-url http://127.0.0.1:PORT/`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
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
#define SEEN_SLOTS 4096
#define KEY_MAX 256

/* ---- de-duplication: a fixed table of recent keys (bounded memory) ---- */

static struct {
    uint64_t hash;
    char key[KEY_MAX];
} seen[SEEN_SLOTS];
static size_t seen_next = 0;

static uint64_t fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h | 1; /* 0 marks an empty slot */
}

/* 1 if `key` was seen recently; otherwise remembers it and returns 0. */
static int seen_before(const char *key) {
    uint64_t h = fnv1a(key);
    for (size_t i = 0; i < SEEN_SLOTS; i++) {
        if (seen[i].hash == h && strcmp(seen[i].key, key) == 0) return 1;
    }
    seen[seen_next].hash = h;
    snprintf(seen[seen_next].key, KEY_MAX, "%s", key);
    seen_next = (seen_next + 1) % SEEN_SLOTS;
    return 0;
}

static const char *state_name(ytx_call_state s) {
    switch (s) {
    case YTX_CALL_STATE_CALLOUT: return "callout";
    case YTX_CALL_STATE_ALERTING: return "alerting";
    case YTX_CALL_STATE_ANSWER: return "answer";
    case YTX_CALL_STATE_DISCONNECT: return "disconnect";
    default: return "unknown";
    }
}

/* Handle one push body; returns the number of new pushes. */
static int handle(const char *target, const char *body, size_t len) {
    ytx_push *push = NULL;
    ytx_outcome *o = NULL;
    if (ytx_push_parse_routed((const uint8_t *)body, len, target, &push, &o) != YTX_OK) {
        printf("not a push: %s\n", ytx_outcome_message(o));
        ytx_outcome_free(o);
        fflush(stdout);
        return 0;
    }
    ytx_outcome_free(o);
    char key[KEY_MAX];
    int fresh = 0;
    if (ytx_push_kind_of(push) == YTX_PUSH_STATE) {
        /* PROTOCOL.md: never by requestid alone (several pushes share it). */
        snprintf(key, sizeof key, "state|%s|%s|%s|%s", ytx_push_request_id(push), ytx_push_number(push),
                 ytx_push_state_text(push), ytx_push_timestamp(push));
        if (seen_before(key)) {
            printf("duplicate ignored: %s\n", key);
        } else {
            fresh = 1;
            printf("state: requestId %s leg %s %s (%s, wire \"%s\") at %s\n", ytx_push_request_id(push),
                   ytx_push_number(push), state_name(ytx_push_state(push)), ytx_push_state_desc(push),
                   ytx_push_state_text(push), ytx_push_timestamp(push));
        }
    } else {
        const ytx_records *records = ytx_push_records(push);
        for (size_t i = 0; i < ytx_records_count(records); i++) {
            const ytx_record *r = ytx_records_get(records, i);
            snprintf(key, sizeof key, "record|%s", ytx_record_request_id(r));
            if (seen_before(key)) {
                printf("duplicate ignored: %s\n", key);
                continue;
            }
            fresh++;
            int64_t fen = 0;
            int has_amount = ytx_record_amount_fen(r, &fen);
            printf("record: requestId %s customParm %s duration %lld s amount %s yuan (%lld fen)%s %s\n",
                   ytx_record_request_id(r), ytx_record_custom_parm(r), (long long)ytx_record_duration(r),
                   has_amount ? ytx_record_amount_text(r) : "?", has_amount ? (long long)fen : -1LL,
                   ytx_record_recording_url(r)[0] != '\0' ? " with recording" : "", ytx_record_state_desc(r));
        }
    }
    ytx_push_free(push);
    fflush(stdout);
    return fresh;
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
    char out[160];
    int n = snprintf(out, sizeof out, "HTTP/1.1 %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", status,
                     strncmp(status, "200", 3) == 0 ? 2 : 0, strncmp(status, "200", 3) == 0 ? "ok" : "");
    ssize_t w = write(fd, out, (size_t)n); /* small: fits the socket buffer */
    (void)w;
}

static void drop_conn(struct conn *c) {
    close(c->fd);
    free(c->buf);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

static void refuse(struct conn *c, const char *status, const char *why) {
    printf("refused: %s (%s)\n", status, why);
    fflush(stdout);
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

/* Read what is there; returns new pushes handled (the connection may close). */
static int on_readable(struct conn *c) {
    size_t cap = MAX_HEAD + MAX_BODY;
    ssize_t n = read(c->fd, c->buf + c->got, cap - c->got);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return 0;
    if (n <= 0) {
        drop_conn(c); /* gone before a whole request */
        return 0;
    }
    c->got += (size_t)n;
    c->buf[c->got] = '\0';
    if (c->head == 0) {
        char *end = strstr(c->buf, "\r\n\r\n");
        if (end == NULL) {
            if (c->got >= MAX_HEAD) refuse(c, "431 Request Header Fields Too Large", "head");
            return 0;
        }
        c->head = (size_t)(end - c->buf) + 4;
        if (check_head(c) != 0) return 0;
    }
    if (c->got < c->want) return 0;
    /* Answer at once: the platform only needs to know it arrived. */
    answer(c->fd, "200 OK");
    char target[1024];
    const char *sp1 = strchr(c->buf, ' ');
    const char *sp2 = strchr(sp1 + 1, ' ');
    snprintf(target, sizeof target, "%.*s", (int)(sp2 - sp1 - 1), sp1 + 1);
    int fresh = handle(target, c->buf + c->head, c->want - c->head);
    drop_conn(c);
    return fresh;
}

int main(int argc, char **argv) {
    int port = 0;
    long max = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--max") == 0 && i + 1 < argc) {
            max = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--secret-path") == 0 && i + 1 < argc) {
            secret_path = argv[++i];
        } else if (strcmp(argv[i], "--read-deadline-ms") == 0 && i + 1 < argc) {
            read_deadline_ms = strtol(argv[++i], NULL, 10);
        } else {
            port = atoi(argv[i]);
        }
    }
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
        getsockname(listener, (struct sockaddr *)&addr, &alen) != 0) {
        perror("listen");
        return 1;
    }
    fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK);
    printf("listening on http://127.0.0.1:%d%s\n", ntohs(addr.sin_port), secret_path ? secret_path : "/");
    fflush(stdout);

    for (int i = 0; i < MAX_CONNS; i++) conns[i].fd = -1;
    long handled = 0;
    while (max < 0 || handled < max) {
        struct pollfd fds[MAX_CONNS + 1];
        int slot_of[MAX_CONNS + 1];
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
        if (poll(fds, nfds, (int)wait) < 0 && errno != EINTR) {
            perror("poll");
            break;
        }
        for (nfds_t k = 0; k < nfds; k++) {
            if (fds[k].revents == 0) continue;
            if (slot_of[k] >= 0) {
                if (conns[slot_of[k]].fd >= 0) handled += on_readable(&conns[slot_of[k]]);
                continue;
            }
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
    for (int i = 0; i < MAX_CONNS; i++)
        if (conns[i].fd >= 0) drop_conn(&conns[i]);
    close(listener);
    return 0;
}
