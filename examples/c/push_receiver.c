/*
 * push_receiver.c — receive the platform's pushes (state and call-record)
 * on the app's callback URL and parse them with the ytx C API.
 *
 * A deliberately small HTTP/1.1 server on POSIX sockets: one request per
 * connection, answered "200 ok" at once (before any work), then parsed with
 * ytx_push_parse. Idempotent by requestId: the platform may send a push
 * twice or out of order, so a push already seen is ignored. Pushes carry no
 * signature: treat them as hints and confirm what matters (billing, "the
 * customer was reached") with ytx_call_record. In production put it behind
 * your web server; this is the shape to copy, not a hardened server.
 *
 * Build (from the repository root, after `cargo build`):
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Iinclude \
 *      examples/c/push_receiver.c -Ltarget/debug -lytx -o push_receiver
 *   LD_LIBRARY_PATH=target/debug ./push_receiver [PORT] [--max N]
 *
 * It prints "listening on http://127.0.0.1:PORT/" first (PORT 0, the
 * default, picks a free port), then one line per push. With --max N it exits
 * after N new (non-duplicate) pushes. Point the emulator at it with
 * `ytx-emulator --push-url http://127.0.0.1:PORT/`.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ytx.h"

#define MAX_REQUEST (64 * 1024)
#define SEEN_SLOTS 1024

/* The keys of pushes already handled (a ring: old ones are forgotten). */
static char seen[SEEN_SLOTS][160];
static size_t seen_next = 0;

/* 1 if `key` was seen before; otherwise remembers it and returns 0. */
static int seen_before(const char *key) {
    for (size_t i = 0; i < SEEN_SLOTS; i++) {
        if (seen[i][0] != '\0' && strcmp(seen[i], key) == 0) return 1;
    }
    snprintf(seen[seen_next], sizeof seen[seen_next], "%s", key);
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

/* Handle one push body; returns the number of new pushes (0 or 1). */
static int handle(const char *body, size_t len) {
    ytx_push *push = NULL;
    ytx_outcome *o = NULL;
    if (ytx_push_parse((const uint8_t *)body, len, &push, &o) != YTX_OK) {
        printf("not a push: %s\n", ytx_outcome_message(o));
        ytx_outcome_free(o);
        return 0;
    }
    ytx_outcome_free(o);
    char key[160];
    int fresh = 0;
    if (ytx_push_kind_of(push) == YTX_PUSH_STATE) {
        snprintf(key, sizeof key, "state|%s|%s|%s", ytx_push_request_id(push), ytx_push_number(push),
                 ytx_push_state_text(push));
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
            fresh = 1;
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

/* Read one request; returns the body length or -1. `buf` gets the body. */
static long read_request(int fd, char *buf, size_t cap) {
    size_t got = 0;
    char *end = NULL;
    while (end == NULL) {
        if (got + 1 >= cap) return -1;
        ssize_t n = read(fd, buf + got, cap - 1 - got);
        if (n <= 0) return -1;
        got += (size_t)n;
        buf[got] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    size_t head = (size_t)(end - buf) + 4;
    long length = 0;
    for (char *line = strstr(buf, "\r\n"); line != NULL && line < end; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, "Content-Length:", 15) == 0) length = strtol(line + 17, NULL, 10);
    }
    if (length < 0 || head + (size_t)length >= cap) return -1;
    while (got < head + (size_t)length) {
        ssize_t n = read(fd, buf + got, head + (size_t)length - got);
        if (n <= 0) return -1;
        got += (size_t)n;
    }
    memmove(buf, buf + head, (size_t)length);
    return length;
}

int main(int argc, char **argv) {
    int port = 0;
    long max = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--max") == 0 && i + 1 < argc) {
            max = strtol(argv[++i], NULL, 10);
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
    printf("listening on http://127.0.0.1:%d/\n", ntohs(addr.sin_port));
    fflush(stdout);

    char *buf = malloc(MAX_REQUEST);
    if (buf == NULL) return 1;
    long handled = 0;
    while (max < 0 || handled < max) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) continue;
        long len = read_request(fd, buf, MAX_REQUEST);
        /* Answer at once: the platform only needs to know it arrived. */
        const char *answer = len >= 0 ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                                      : "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        ssize_t w = write(fd, answer, strlen(answer));
        (void)w;
        close(fd);
        if (len >= 0) handled += handle(buf, (size_t)len);
    }
    free(buf);
    close(listener);
    return 0;
}
