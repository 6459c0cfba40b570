/*
 * check.h — the C tests' one assertion: CHECK(cond, fmt, ...) counts a pass
 * or prints the failing condition with its file, line and message, and
 * counts a failure; a test ends by printing `passed` and `failed`.
 * Included by each test program once (the counters are its own).
 */
#ifndef YTX_TEST_CHECK_H
#define YTX_TEST_CHECK_H

#include <stdio.h>

static int passed = 0;
static int failed = 0;

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (cond) {                                                         \
            passed++;                                                       \
        } else {                                                            \
            failed++;                                                       \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                   \
            fprintf(stderr, "\n");                                          \
        }                                                                   \
    } while (0)

#endif
