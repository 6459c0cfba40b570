/*
 * quickstart.c — place a two-way callback call and send a voice code through
 * the ytx C API.
 *
 * Configuration comes from the environment, as in examples/quickstart.rs:
 *   YTX_ACCOUNT_SID, YTX_AUTH_TOKEN, YTX_APP_ID   credentials (required)
 *   YTX_BASE_URL     e.g. http://127.0.0.1:8080 for the emulator
 *                    (default: the production platform)
 *   YTX_SRC, YTX_DST   numbers (defaults: demo numbers)
 *   YTX_DSTCLID        optional caller id for the voice code (default: none)
 *
 * Build (from the repository root, after `cargo build`):
 *   cc -Wall -Wextra -Werror -Iinclude examples/c/quickstart.c \
 *      -Ltarget/debug -lytx -o quickstart
 *   LD_LIBRARY_PATH=target/debug ./quickstart
 *
 * Exits 0 when both requests were accepted, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ytx.h"

static const char *env_or(const char *name, const char *fallback) {
    const char *v = getenv(name);
    return (v != NULL && v[0] != '\0') ? v : fallback;
}

/* Print what was sent, with the Sign cut from the URL. */
static void print_request(const ytx_outcome *o) {
    const char *url = ytx_outcome_request_url(o);
    const char *sign = strstr(url, "?Sign=");
    int url_len = sign ? (int)(sign - url) : (int)strlen(url);
    printf("  sent: %s %.*s%s\n", ytx_outcome_request_method(o), url_len, url,
           sign ? "?Sign=<redacted>" : "");
    printf("  body: %s\n", ytx_outcome_request_body(o));
}

/* Print the outcome of a call; returns 1 when the platform accepted it. */
static int report(const char *what, ytx_result rc, const ytx_outcome *o) {
    printf("%s\n", what);
    if (ytx_outcome_request_method(o)[0] != '\0') {
        print_request(o);
    }
    if (rc == YTX_OK) {
        printf("  accepted: statusCode %s (%s), requestId %s\n",
               ytx_outcome_status_code(o), ytx_outcome_status_msg(o),
               ytx_outcome_request_id(o));
        return 1;
    }
    printf("  FAILED: %s: %s\n", ytx_result_name(rc), ytx_outcome_message(o));
    if (rc == YTX_ERR_PLATFORM) {
        printf("  platform statusCode %s, statusMsg %s\n",
               ytx_outcome_status_code(o), ytx_outcome_status_msg(o));
    }
    if (ytx_outcome_retry_safe(o)) {
        /* Not written, or the platform's -104: nothing was placed. */
        printf("  (nothing was placed: safe to send again after %u ms)\n",
               (unsigned)ytx_outcome_retry_after_ms(o));
    } else if (ytx_outcome_delivery(o) == YTX_DELIVERY_UNKNOWN) {
        printf("  (the platform may have acted on it: do not retry blindly)\n");
    }
    return 0;
}

int main(void) {
    const char *sid = getenv("YTX_ACCOUNT_SID");
    const char *token = getenv("YTX_AUTH_TOKEN");
    const char *app = getenv("YTX_APP_ID");
    const char *base_url = getenv("YTX_BASE_URL");
    if (sid == NULL || token == NULL || app == NULL) {
        fprintf(stderr,
                "set YTX_ACCOUNT_SID, YTX_AUTH_TOKEN, YTX_APP_ID (and YTX_BASE_URL "
                "for the emulator: run `cargo run -p ytx-emulator` and use the "
                "credentials it prints)\n");
        return 2;
    }
    if (ytx_version_number() != YTX_VERSION_NUMBER) {
        fprintf(stderr, "header %s does not match library %s\n", YTX_VERSION, ytx_version());
        return 2;
    }
    printf("ytx %s\n", ytx_version());

    const char *names[1];
    const char *values[1];
    size_t n = 0;
    if (base_url != NULL && base_url[0] != '\0') {
        names[0] = "base_url";
        values[0] = base_url;
        n = 1;
    }
    ytx_client *client = NULL;
    ytx_outcome *o = NULL;
    ytx_result rc = ytx_client_new(sid, token, app, names, values, n, &client, &o);
    if (rc != YTX_OK) {
        fprintf(stderr, "ytx_client_new: %s: %s\n", ytx_result_name(rc), ytx_outcome_message(o));
        ytx_outcome_free(o);
        return 1;
    }
    ytx_outcome_free(o);

    const char *src = env_or("YTX_SRC", "13800138000");
    const char *dst = env_or("YTX_DST", "13900139000");
    /* Optional: NULL leaves it out (the callee sees the default caller id). */
    const char *dstclid = env_or("YTX_DSTCLID", NULL);
    int accepted = 0;

    /* Two-way callback call: ring src, then dst, 10 minutes at most. */
    const char *opt_names[] = {"customParm"};
    const char *opt_values[] = {"c-quickstart-1"};
    o = NULL;
    rc = ytx_callback_call(client, src, dst, 600, opt_names, opt_values, 1, &o);
    accepted += report("callback call", rc, o);
    ytx_outcome_free(o);

    /* Voice verification code, played twice. */
    o = NULL;
    rc = ytx_voice_code(client, dst, dstclid, "4096", 2, &o);
    accepted += report("voice code", rc, o);
    ytx_outcome_free(o);

    ytx_free(client);
    return accepted == 2 ? 0 : 1;
}
