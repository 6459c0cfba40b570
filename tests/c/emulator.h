/*
 * emulator.h — the emulator's request counter, shared by the C tests
 * (test_abi.c, test_fork.c). Each test's main parses HOST and PORT from
 * YTX_BASE_URL ("http://HOST:PORT") before it counts.
 */
#ifndef YTX_TESTS_EMULATOR_H
#define YTX_TESTS_EMULATOR_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char HOST[64];
static int PORT;

/* GET /_emulator/count: the requests the emulator received, -1 if it could
 * not be asked. */
static long emulator_count(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)PORT);
    inet_pton(AF_INET, HOST, &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    const char *req = "GET /_emulator/count HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    if (write(fd, req, strlen(req)) < 0) {
        close(fd);
        return -1;
    }
    char buf[4096];
    size_t got = 0;
    ssize_t n;
    while ((n = read(fd, buf + got, sizeof buf - 1 - got)) > 0) got += (size_t)n;
    close(fd);
    buf[got] = '\0';
    const char *c = strstr(buf, "\"count\":");
    return c ? strtol(c + 8, NULL, 10) : -1;
}

#endif
