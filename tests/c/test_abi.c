/*
 * test_abi.c — tests of the C ABI against a running ytx-emulator.
 *
 * Run by tests/run-all.sh, which starts the emulator and sets:
 *   YTX_BASE_URL (http://127.0.0.1:PORT), YTX_ACCOUNT_SID, YTX_AUTH_TOKEN,
 *   YTX_APP_ID (demo credentials), YTX_CALLBACK_ONLY_APP_ID.
 * Built with -Wall -Wextra -Werror and run under valgrind (zero leaks).
 *
 * Every bad input must give its documented code, name its field, and send
 * nothing: the emulator's request counter (GET /_emulator/count) proves it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ytx.h"
#include "emulator.h"
#include "check.h"

static const char *SID, *TOKEN, *APP, *CB_ONLY_APP, *BASE;

static ytx_client *new_client(const char *token) {
    const char *names[] = {"base_url", "timeout_ms"};
    const char *values[] = {BASE, "10000"};
    ytx_client *c = NULL;
    ytx_result rc = ytx_client_new(SID, token, APP, names, values, 2, &c, NULL);
    CHECK(rc == YTX_OK && c != NULL, "client_new rc=%d", (int)rc);
    return c;
}

/* Expect `rc` with `field` named; frees the outcome. */
static void expect_arg_error(const char *what, ytx_result rc, ytx_outcome *o,
                             ytx_result want, const char *field) {
    CHECK(rc == want, "%s: rc=%s want %s (%s)", what, ytx_result_name(rc),
          ytx_result_name(want), ytx_outcome_message(o));
    CHECK(ytx_outcome_result(o) == rc, "%s: outcome result", what);
    CHECK(strcmp(ytx_outcome_field(o), field) == 0, "%s: field '%s' want '%s'", what,
          ytx_outcome_field(o), field);
    CHECK(strstr(ytx_outcome_message(o), field) != NULL, "%s: message '%s' names no %s",
          what, ytx_outcome_message(o), field);
    CHECK(ytx_outcome_delivery(o) == YTX_DELIVERY_NOT_SENT, "%s: delivery", what);
    CHECK(ytx_outcome_request_body(o)[0] == '\0', "%s: a request was built", what);
    ytx_outcome_free(o);
}

static void test_version(void) {
    CHECK(strcmp(ytx_version(), YTX_VERSION) == 0, "version %s vs %s", ytx_version(), YTX_VERSION);
    CHECK(ytx_version_number() == YTX_VERSION_NUMBER, "version number");
    CHECK(strcmp(ytx_result_name(YTX_ERR_TIMEOUT), "YTX_ERR_TIMEOUT") == 0, "result name");
    CHECK(strcmp(ytx_result_name(12345), "YTX_UNKNOWN") == 0, "unknown result name");
    CHECK(strcmp(ytx_result_name(-1), "YTX_UNKNOWN") == 0, "negative result name");
    CHECK(sizeof(ytx_result) == 4 && sizeof(ytx_delivery) == 4 && sizeof(ytx_log_level) == 4, "fixed-width enums");
}

/* The core's tables, read through the ABI (the bindings do the same). */
static void test_tables(void) {
    size_t live = ytx_live_objects();
    ytx_outcome *lo = NULL;
    ytx_push *lp = NULL;
    ytx_push_parse((const uint8_t *)"{\"requestid\":\"1\",\"state\":\"x\"}", 29, &lp, &lo);
    CHECK(ytx_live_objects() == live + 2, "a push and an outcome are counted");
    ytx_push_free(lp);
    ytx_outcome_free(lo);
    CHECK(ytx_live_objects() == live, "and uncounted when freed");
    CHECK(ytx_outcome_delivery(NULL) == YTX_DELIVERY_UNKNOWN, "a missing outcome is never 'safe to retry'");
    CHECK(strcmp(ytx_delivery_name(YTX_DELIVERY_NOT_SENT), "YTX_DELIVERY_NOT_SENT") == 0, "delivery name");
    CHECK(strcmp(ytx_delivery_name(7), "YTX_UNKNOWN") == 0, "unknown delivery name");
    size_t n = ytx_client_option_count();
    int has_timeout = 0;
    for (size_t i = 0; i < n; i++) has_timeout |= strcmp(ytx_client_option_name(i), "timeout_ms") == 0;
    CHECK(n >= 9 && has_timeout && ytx_client_option_name(n) == NULL, "client option names (%zu)", n);
    CHECK(ytx_callback_option_count() == 15, "15 callback options");
    CHECK(strcmp(ytx_callback_option_name(0), "customParm") == 0, "wire order");
    CHECK(strcmp(ytx_callback_option_name(14), "iscallstatuscheck") == 0, "last callback option");
    CHECK(ytx_callback_option_name(15) == NULL, "out of range");
    CHECK(ytx_default_timeout_ms() == 30000 && ytx_default_connect_timeout_ms() == 5000, "defaults");
    CHECK(strcmp(ytx_production_url(), "http://api.ytx.net") == 0, "production URL");
    CHECK(strcmp(ytx_sandbox_url(), "http://sandbox.ytx.net") == 0, "sandbox URL");
    int has_104 = 0;
    for (size_t i = 0; i < ytx_status_code_count(); i++) has_104 |= strcmp(ytx_status_code_at(i), "-104") == 0;
    CHECK(has_104 && ytx_status_code_at(ytx_status_code_count()) == NULL, "status codes, -104 among them");
    CHECK(strstr(ytx_explain_status_code("-104"), "rate") != NULL, "-104 explained");
    CHECK(ytx_explain_status_code("-999") == NULL && ytx_explain_status_code(NULL) == NULL, "unknown code");
}

/* Options: order never matters; each once; environment and base_url exclude each other. */
static void test_client_options(void) {
    char url[128];
    const char *n1[] = {"timeout_ms", "base_url"}, *v1[] = {"1000", BASE};
    ytx_client *c = NULL;
    ytx_outcome *o = NULL;
    CHECK(ytx_client_new(SID, TOKEN, APP, n1, v1, 2, &c, NULL) == YTX_OK, "any order");
    size_t len = ytx_client_base_url(c, url, sizeof url);
    CHECK(len == strlen(BASE) && strcmp(url, BASE) == 0, "effective base URL %s", url);
    CHECK(ytx_client_base_url(c, url, 5) == strlen(BASE) && strlen(url) == 4, "cut like snprintf");
    CHECK(ytx_client_base_url(c, NULL, 0) == strlen(BASE), "length only");
    ytx_free(c);
    CHECK(ytx_client_base_url(c, url, sizeof url) == 0 && url[0] == '\0', "freed handle: 0");
    const char *n2[] = {"environment"}, *v2[] = {"sandbox"};
    CHECK(ytx_client_new(SID, TOKEN, APP, n2, v2, 1, &c, NULL) == YTX_OK, "sandbox");
    ytx_client_base_url(c, url, sizeof url);
    CHECK(strcmp(url, "http://sandbox.ytx.net") == 0, "sandbox base URL %s", url);
    ytx_free(c);
    const char *n3[] = {"base_url", "environment"}, *v3[] = {BASE, "sandbox"};
    c = NULL;
    ytx_result rc = ytx_client_new(SID, TOKEN, APP, n3, v3, 2, &c, &o);
    CHECK(rc == YTX_ERR_INVALID_ARGUMENT && c == NULL, "environment and base_url together");
    CHECK(strstr(ytx_outcome_message(o), "environment") && strstr(ytx_outcome_message(o), "base_url"),
          "names both: %s", ytx_outcome_message(o));
    ytx_outcome_free(o);
    const char *n4[] = {"timeout_ms", "timeout_ms"}, *v4[] = {"1000", "2000"};
    rc = ytx_client_new(SID, TOKEN, APP, n4, v4, 2, &c, &o);
    CHECK(rc == YTX_ERR_INVALID_ARGUMENT && strcmp(ytx_outcome_field(o), "timeout_ms") == 0, "repeated option");
    ytx_outcome_free(o);
}

static void test_client_new_errors(void) {
    ytx_client *c = NULL;
    ytx_outcome *o = NULL;
    ytx_result rc;

    rc = ytx_client_new(NULL, TOKEN, APP, NULL, NULL, 0, &c, &o);
    expect_arg_error("NULL sid", rc, o, YTX_ERR_NULL_ARGUMENT, "account_sid");
    rc = ytx_client_new(SID, NULL, APP, NULL, NULL, 0, &c, &o);
    expect_arg_error("NULL token", rc, o, YTX_ERR_NULL_ARGUMENT, "auth_token");
    rc = ytx_client_new(SID, TOKEN, NULL, NULL, NULL, 0, &c, &o);
    expect_arg_error("NULL app", rc, o, YTX_ERR_NULL_ARGUMENT, "app_id");
    rc = ytx_client_new(SID, TOKEN, APP, NULL, NULL, 0, NULL, &o);
    expect_arg_error("NULL client_out", rc, o, YTX_ERR_NULL_ARGUMENT, "client_out");
    rc = ytx_client_new(SID, "tok\xff\xfe", APP, NULL, NULL, 0, &c, &o);
    expect_arg_error("bad UTF-8 token", rc, o, YTX_ERR_INVALID_UTF8, "auth_token");
    rc = ytx_client_new("", TOKEN, APP, NULL, NULL, 0, &c, &o);
    expect_arg_error("empty sid", rc, o, YTX_ERR_INVALID_ARGUMENT, "account_sid");

    /* A token pasted with a newline: named, and never echoed. */
    char pasted[128];
    snprintf(pasted, sizeof pasted, "%s\n", TOKEN);
    rc = ytx_client_new(SID, pasted, APP, NULL, NULL, 0, &c, &o);
    CHECK(strstr(ytx_outcome_message(o), TOKEN) == NULL, "token in message: %s", ytx_outcome_message(o));
    expect_arg_error("token with newline", rc, o, YTX_ERR_INVALID_ARGUMENT, "auth_token");

    const char *n1[] = {"timeout_ms"};
    const char *v1[] = {"0"};
    rc = ytx_client_new(SID, TOKEN, APP, n1, v1, 1, &c, &o);
    expect_arg_error("timeout 0", rc, o, YTX_ERR_INVALID_ARGUMENT, "timeout_ms");
    const char *n2[] = {"colour"};
    rc = ytx_client_new(SID, TOKEN, APP, n2, v1, 1, &c, &o);
    expect_arg_error("unknown option", rc, o, YTX_ERR_INVALID_ARGUMENT, "colour");
    const char *n3[] = {"base_url"};
    const char *v3[] = {NULL};
    rc = ytx_client_new(SID, TOKEN, APP, n3, v3, 1, &c, &o);
    expect_arg_error("NULL option value", rc, o, YTX_ERR_NULL_ARGUMENT, "base_url");
    rc = ytx_client_new(SID, TOKEN, APP, NULL, v3, 1, &c, &o);
    expect_arg_error("NULL option names", rc, o, YTX_ERR_NULL_ARGUMENT, "option_names");
    const char *v4[] = {"ftp://x"};
    rc = ytx_client_new(SID, TOKEN, APP, n3, v4, 1, &c, &o);
    expect_arg_error("bad base_url", rc, o, YTX_ERR_INVALID_ARGUMENT, "base_url");
    CHECK(c == NULL, "client_out written on error");

    /* Issue 18: a user name or password in the base URL is refused (it would
     * not be sent and would be printed), never echoed; an empty port is
     * refused; the scheme is case-insensitive and the URL normalised. */
    char url[256];
    const char *v5[] = {url};
    snprintf(url, sizeof url, "http://user:s3cret@%s:%d", HOST, PORT);
    rc = ytx_client_new(SID, TOKEN, APP, n3, v5, 1, &c, &o);
    CHECK(strstr(ytx_outcome_message(o), "s3cret") == NULL, "password echoed: %s", ytx_outcome_message(o));
    CHECK(strstr(ytx_outcome_message(o), "user name or password") != NULL, "message: %s",
          ytx_outcome_message(o));
    expect_arg_error("userinfo in base_url", rc, o, YTX_ERR_INVALID_ARGUMENT, "base_url");
    snprintf(url, sizeof url, "http://%s:/", HOST);
    rc = ytx_client_new(SID, TOKEN, APP, n3, v5, 1, &c, &o);
    expect_arg_error("empty port", rc, o, YTX_ERR_INVALID_ARGUMENT, "base_url");
    snprintf(url, sizeof url, "HTTP://%s:%d/", HOST, PORT);
    rc = ytx_client_new(SID, TOKEN, APP, n3, v5, 1, &c, &o);
    CHECK(rc == YTX_OK, "HTTP:// refused: %s", ytx_outcome_message(o));
    ytx_outcome_free(o);
    if (rc == YTX_OK) {
        char got[256], want[256];
        ytx_client_base_url(c, got, sizeof got);
        snprintf(want, sizeof want, "http://%s:%d", HOST, PORT);
        CHECK(strcmp(got, want) == 0, "base_url '%s' want '%s'", got, want);
        o = NULL;
        rc = ytx_voice_code(c, "13800138000", "02160000000", "1", 0, &o);
        CHECK(rc == YTX_OK, "call through HTTP://: %s", ytx_outcome_message(o));
        ytx_outcome_free(o);
        CHECK(ytx_free(c) == YTX_OK, "free");
        c = NULL;
    }

    /* outcome_out may be NULL: only the code comes back. */
    CHECK(ytx_client_new(NULL, TOKEN, APP, NULL, NULL, 0, &c, NULL) == YTX_ERR_NULL_ARGUMENT, "no outcome");
}

static void test_call_argument_errors(ytx_client *c) {
    long before = emulator_count();
    ytx_outcome *o = NULL;
    ytx_result rc;

    rc = ytx_callback_call(c, NULL, "13900139000", 120, NULL, NULL, 0, &o);
    expect_arg_error("NULL src", rc, o, YTX_ERR_NULL_ARGUMENT, "src");
    rc = ytx_callback_call(c, "13800138000", NULL, 120, NULL, NULL, 0, &o);
    expect_arg_error("NULL dst", rc, o, YTX_ERR_NULL_ARGUMENT, "dst");
    rc = ytx_callback_call(c, "", "13900139000", 120, NULL, NULL, 0, &o);
    expect_arg_error("empty src", rc, o, YTX_ERR_INVALID_ARGUMENT, "src");
    rc = ytx_callback_call(c, "138-0013-8000", "13900139000", 120, NULL, NULL, 0, &o);
    expect_arg_error("dashes", rc, o, YTX_ERR_INVALID_ARGUMENT, "src");
    rc = ytx_callback_call(c, "13800138000", "\xe4\xb8\x80\xe4\xba\x8c", 120, NULL, NULL, 0, &o);
    expect_arg_error("non-ASCII digits", rc, o, YTX_ERR_INVALID_ARGUMENT, "dst");
    rc = ytx_callback_call(c, "13800138000", "1390\xff", 120, NULL, NULL, 0, &o);
    expect_arg_error("bad UTF-8 dst", rc, o, YTX_ERR_INVALID_UTF8, "dst");
    long long credits[] = {-1, 0, 60, 4294967296LL};
    for (size_t i = 0; i < sizeof credits / sizeof credits[0]; i++) {
        rc = ytx_callback_call(c, "13800138000", "13900139000", credits[i], NULL, NULL, 0, &o);
        expect_arg_error("credit", rc, o, YTX_ERR_INVALID_ARGUMENT, "credit");
    }
    const char *names[] = {"customParm", "ringbacktype"};
    const char *bad_ring[] = {"ok", "4"};
    rc = ytx_callback_call(c, "13800138000", "13900139000", 120, names, bad_ring, 2, &o);
    expect_arg_error("ringbacktype 4", rc, o, YTX_ERR_INVALID_ARGUMENT, "ringbacktype");
    const char *dup_names[] = {"customParm", "customParm"};
    const char *dup_values[] = {"a", "b"};
    rc = ytx_callback_call(c, "13800138000", "13900139000", 120, dup_names, dup_values, 2, &o);
    expect_arg_error("duplicate option", rc, o, YTX_ERR_INVALID_ARGUMENT, "customParm");
    const char *null_name[] = {NULL};
    rc = ytx_callback_call(c, "13800138000", "13900139000", 120, null_name, dup_values, 1, &o);
    expect_arg_error("NULL option name", rc, o, YTX_ERR_NULL_ARGUMENT, "option_names[0]");

    rc = ytx_voice_code(c, "13800138000", "02160000000", "12 34", 2, &o);
    expect_arg_error("code with space", rc, o, YTX_ERR_INVALID_ARGUMENT, "code");
    rc = ytx_voice_code(c, "13800138000", "02160000000", "12345678901234567890", 2, &o);
    expect_arg_error("code of 20", rc, o, YTX_ERR_INVALID_ARGUMENT, "code");
    rc = ytx_voice_code(c, "13800138000", "02160000000", "", 2, &o);
    expect_arg_error("empty code", rc, o, YTX_ERR_INVALID_ARGUMENT, "code");
    rc = ytx_voice_code(c, "13800138000", "02160000000", NULL, 2, &o);
    expect_arg_error("NULL code", rc, o, YTX_ERR_NULL_ARGUMENT, "code");
    rc = ytx_voice_code_prepare(c, "13800138000", NULL, "1234", 2, &o);
    CHECK(rc == YTX_OK, "NULL dstclid is optional");
    CHECK(strstr(ytx_outcome_request_body(o), "dstclid") == NULL, "NULL dstclid not sent");
    ytx_outcome_free(o);
    rc = ytx_voice_code(c, "13800138000", " ", "1234", 2, &o);
    expect_arg_error("blank dstclid", rc, o, YTX_ERR_INVALID_ARGUMENT, "dstclid");
    rc = ytx_voice_code(c, "13800138000", "02160000000", "1234", 4, &o);
    expect_arg_error("time 4", rc, o, YTX_ERR_INVALID_ARGUMENT, "time");
    rc = ytx_voice_code(c, "13800138000", "02160000000", "1234", -1, &o);
    expect_arg_error("time -1", rc, o, YTX_ERR_INVALID_ARGUMENT, "time");

    /* Outcome-less calls still validate. */
    CHECK(ytx_callback_call(c, "1", "2", 1, NULL, NULL, 0, NULL) == YTX_ERR_INVALID_ARGUMENT, "no outcome");

    long after = emulator_count();
    CHECK(before >= 0 && after == before, "bad input reached the emulator: %ld -> %ld", before, after);
}

static void test_handles(void) {
    ytx_outcome *o = NULL;
    CHECK(ytx_free(NULL) == YTX_OK, "free NULL");
    ytx_client *c = new_client(TOKEN);
    size_t live = ytx_live_clients();
    CHECK(ytx_free(c) == YTX_OK, "free");
    CHECK(ytx_live_clients() == live - 1, "live count");
    CHECK(ytx_free(c) == YTX_ERR_INVALID_HANDLE, "double free");
    ytx_result rc = ytx_voice_code(c, "13800138000", "02160000000", "1234", 0, &o);
    CHECK(rc == YTX_ERR_INVALID_HANDLE, "use after free rc=%d", (int)rc);
    CHECK(strstr(ytx_outcome_message(o), "handle") != NULL, "message %s", ytx_outcome_message(o));
    ytx_outcome_free(o);
    int on_stack = 0;
    rc = ytx_callback_call((ytx_client *)&on_stack, "13800138000", "13900139000", 120, NULL, NULL, 0, NULL);
    CHECK(rc == YTX_ERR_INVALID_HANDLE, "foreign handle rc=%d", (int)rc);
    rc = ytx_callback_call(NULL, "13800138000", "13900139000", 120, NULL, NULL, 0, NULL);
    CHECK(rc == YTX_ERR_INVALID_HANDLE, "NULL handle rc=%d", (int)rc);
    CHECK(ytx_free((ytx_client *)&on_stack) == YTX_ERR_INVALID_HANDLE, "free foreign");

    /* NULL outcome accessors are safe. */
    CHECK(ytx_outcome_result(NULL) == YTX_ERR_NULL_ARGUMENT, "null outcome result");
    CHECK(strcmp(ytx_outcome_message(NULL), "") == 0, "null outcome message");
    CHECK(ytx_outcome_http_status(NULL) == 0, "null outcome http");
    ytx_outcome_free(NULL);
}

static void test_calls(ytx_client *c) {
    ytx_outcome *o = NULL;
    long before = emulator_count();
    const char *names[] = {"customParm", "srcclid", "ringbacktype", "iscallstatuscheck"};
    const char *values[] = {"order-\xe4\xb8\xad", "02160000000", "2", "1"};
    ytx_result rc = ytx_callback_call(c, "+8613800138000", "01085485069", 600, names, values, 4, &o);
    CHECK(rc == YTX_OK, "callback: %s %s", ytx_result_name(rc), ytx_outcome_message(o));
    CHECK(strcmp(ytx_outcome_status_code(o), "0") == 0, "status code %s", ytx_outcome_status_code(o));
    CHECK(strlen(ytx_outcome_request_id(o)) == 29, "request id '%s'", ytx_outcome_request_id(o));
    CHECK(ytx_outcome_delivery(o) == YTX_DELIVERY_ANSWERED, "delivery");
    CHECK(ytx_outcome_http_status(o) == 200, "http status");
    CHECK(strstr(ytx_outcome_request_body(o), "\"src\":\"13800138000\"") != NULL, "normalised src: %s",
          ytx_outcome_request_body(o));
    CHECK(strstr(ytx_outcome_request_body(o), "\"customParm\":\"order-\xe4\xb8\xad\"") != NULL, "body %s",
          ytx_outcome_request_body(o));
    CHECK(strstr(ytx_outcome_request_url(o), "/call/DailbackCall.wx?Sign=") != NULL, "url %s",
          ytx_outcome_request_url(o));
    CHECK(strstr(ytx_outcome_request_headers(o), "Authorization: ") != NULL, "headers");
    CHECK(strstr(ytx_outcome_request_url(o), TOKEN) == NULL, "token in URL");
    CHECK(ytx_outcome_message(o)[0] == '\0', "message on success");
    ytx_outcome_free(o);

    rc = ytx_voice_code(c, "13800138000", "02160000000", "Ab12", 0, &o);
    CHECK(rc == YTX_OK, "voice code: %s %s", ytx_result_name(rc), ytx_outcome_message(o));
    CHECK(strlen(ytx_outcome_request_id(o)) == 29, "request id");
    CHECK(strstr(ytx_outcome_request_body(o), "\"time\"") == NULL, "time 0 sent");
    ytx_outcome_free(o);
    CHECK(emulator_count() == before + 2, "exactly two requests");

    /* Dry run: signed, nothing sent. */
    rc = ytx_voice_code_prepare(c, "13800138000", "02160000000", "9", 3, &o);
    CHECK(rc == YTX_OK, "prepare");
    CHECK(strstr(ytx_outcome_request_body(o), "\"time\":\"3\"") != NULL, "prepared body");
    CHECK(strstr(ytx_outcome_request_url(o), "CodeCallOut.wx?Sign=") != NULL, "prepared url");
    CHECK(strstr(ytx_outcome_request_url_redacted(o), "CodeCallOut.wx?Sign=<redacted>") != NULL, "redacted url");
    CHECK(strstr(ytx_outcome_request_url_redacted(o), "?Sign=<redacted>")[16] == '\0', "nothing after <redacted>");
    CHECK(strcmp(ytx_outcome_request_method(o), "POST") == 0, "prepared method");
    ytx_outcome_free(o);
    rc = ytx_callback_prepare(c, "13800138000", "13900139000", 61, NULL, NULL, 0, &o);
    CHECK(rc == YTX_OK, "callback prepare");
    ytx_outcome_free(o);
    CHECK(emulator_count() == before + 2, "dry run sent something");
}

static void test_platform_and_transport_errors(void) {
    ytx_outcome *o = NULL;
    /* Wrong token: the platform's -203, with its message kept. */
    ytx_client *bad = new_client("0000000000000000000000000000dead");
    ytx_result rc = ytx_voice_code(bad, "13800138000", "02160000000", "1234", 0, &o);
    CHECK(rc == YTX_ERR_PLATFORM, "wrong token rc=%s", ytx_result_name(rc));
    CHECK(strcmp(ytx_outcome_status_code(o), "-203") == 0, "status %s", ytx_outcome_status_code(o));
    CHECK(ytx_outcome_status_msg(o)[0] != '\0', "status msg empty");
    CHECK(strstr(ytx_outcome_message(o), "-203") != NULL, "message %s", ytx_outcome_message(o));
    CHECK(ytx_outcome_delivery(o) == YTX_DELIVERY_ANSWERED, "delivery");
    ytx_outcome_free(o);
    ytx_free(bad);

    /* Voice code on an app without the feature: -205. */
    const char *names[] = {"base_url"};
    const char *values[] = {BASE};
    ytx_client *cb_only = NULL;
    CHECK(ytx_client_new(SID, TOKEN, CB_ONLY_APP, names, values, 1, &cb_only, NULL) == YTX_OK, "cb only");
    rc = ytx_voice_code(cb_only, "13800138000", "02160000000", "1234", 0, &o);
    CHECK(rc == YTX_ERR_PLATFORM && strcmp(ytx_outcome_status_code(o), "-205") == 0, "-205: %s",
          ytx_outcome_message(o));
    ytx_outcome_free(o);
    ytx_free(cb_only);

    /* Nothing listens on port 1: connection refused, nothing sent. */
    const char *rn[] = {"base_url"};
    const char *rv[] = {"http://127.0.0.1:1"};
    ytx_client *refused = NULL;
    CHECK(ytx_client_new(SID, TOKEN, APP, rn, rv, 1, &refused, NULL) == YTX_OK, "client");
    rc = ytx_voice_code(refused, "13800138000", "02160000000", "1234", 0, &o);
    CHECK(rc == YTX_ERR_NOT_SENT, "refused rc=%s %s", ytx_result_name(rc), ytx_outcome_message(o));
    CHECK(ytx_outcome_delivery(o) == YTX_DELIVERY_NOT_SENT, "refused delivery");
    ytx_outcome_free(o);
    ytx_free(refused);
}

/* --- faults: the documented code, bounded time, exactly one request ------ */
struct fault_case {
    const char *dst;
    ytx_result want;
    ytx_result also_ok; /* a second acceptable code, or the same */
    ytx_delivery delivery;
    unsigned http_status;
};

/* The emulator's count once it reaches `want` (or after 30 s): it logs a
 * request when it has read it all, which for a timeout fault may be after
 * the client gave up. */
static long emulator_count_reaching(long want) {
    long n = emulator_count();
    for (int i = 0; i < 3000 && n >= 0 && n < want; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        n = emulator_count();
    }
    return n;
}

static void test_faults(void) {
    /* Two clients: the timeout faults need a timeout far below the slow
     * answer (60 s) and the slow body (about 18 s) yet long enough to send
     * the request under valgrind on a loaded machine; the other faults get
     * all the time they need (the 10 MiB body under valgrind). */
    const char *names[] = {"base_url", "timeout_ms", "connect_timeout_ms"};
    const char *quick_values[] = {BASE, "4000", "4000"};
    const char *values[] = {BASE, "60000", "10000"};
    ytx_client *quick = NULL, *c = NULL;
    CHECK(ytx_client_new(SID, TOKEN, APP, names, quick_values, 3, &quick, NULL) == YTX_OK, "timeout client");
    CHECK(ytx_client_new(SID, TOKEN, APP, names, values, 3, &c, NULL) == YTX_OK, "fault client");
    const struct fault_case cases[] = {
        {"19900000001", YTX_ERR_TIMEOUT, YTX_ERR_TIMEOUT, YTX_DELIVERY_UNKNOWN, 0},           /* slow answer */
        {"19900000002", YTX_ERR_OUTCOME_UNKNOWN, YTX_ERR_OUTCOME_UNKNOWN, YTX_DELIVERY_UNKNOWN, 0}, /* dropped */
        {"19900000003", YTX_ERR_HTTP_STATUS, YTX_ERR_HTTP_STATUS, YTX_DELIVERY_UNKNOWN, 500},
        {"19900000004", YTX_ERR_PROTOCOL, YTX_ERR_PROTOCOL, YTX_DELIVERY_UNKNOWN, 0},         /* not JSON */
        {"19900000005", YTX_ERR_PROTOCOL, YTX_ERR_PROTOCOL, YTX_DELIVERY_UNKNOWN, 0},         /* truncated */
        {"19900000006", YTX_ERR_PROTOCOL, YTX_ERR_PROTOCOL, YTX_DELIVERY_UNKNOWN, 0},         /* no statusCode */
        {"19900000007", YTX_ERR_PROTOCOL, YTX_ERR_PROTOCOL, YTX_DELIVERY_UNKNOWN, 0},         /* numeric */
        {"19900000008", YTX_ERR_PROTOCOL, YTX_ERR_PROTOCOL, YTX_DELIVERY_UNKNOWN, 0},         /* 10 MiB */
        {"19900000009", YTX_ERR_PROTOCOL, YTX_ERR_PROTOCOL, YTX_DELIVERY_UNKNOWN, 0},         /* not UTF-8 */
        {"19900000010", YTX_ERR_TIMEOUT, YTX_ERR_TIMEOUT, YTX_DELIVERY_UNKNOWN, 0},           /* slow body */
        {"19900000011", YTX_ERR_HTTP_STATUS, YTX_ERR_HTTP_STATUS, YTX_DELIVERY_UNKNOWN, 502},
        {"19900000012", YTX_ERR_OUTCOME_UNKNOWN, YTX_ERR_PROTOCOL, YTX_DELIVERY_UNKNOWN, 0},  /* reset mid-body */
        {"19900001204", YTX_ERR_PLATFORM, YTX_ERR_PLATFORM, YTX_DELIVERY_ANSWERED, 200},      /* -204 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct fault_case *f = &cases[i];
        long before = emulator_count();
        ytx_outcome *o = NULL;
        ytx_client *with = f->want == YTX_ERR_TIMEOUT ? quick : c;
        ytx_result rc = ytx_voice_code(with, f->dst, "02160000000", "1234", 0, &o);
        CHECK(rc == f->want || rc == f->also_ok, "fault %s: %s (%s)", f->dst, ytx_result_name(rc),
              ytx_outcome_message(o));
        CHECK(ytx_outcome_delivery(o) == f->delivery, "fault %s: delivery %d", f->dst, (int)ytx_outcome_delivery(o));
        if (f->http_status != 0) {
            CHECK(ytx_outcome_http_status(o) == f->http_status, "fault %s: http %u", f->dst,
                  (unsigned)ytx_outcome_http_status(o));
        }
        CHECK(ytx_outcome_message(o)[0] != '\0', "fault %s: no message", f->dst);
        CHECK(strstr(ytx_outcome_message(o), TOKEN) == NULL, "fault %s: token in message", f->dst);
        ytx_outcome_free(o);
        long after = emulator_count_reaching(before + 1);
        CHECK(after == before + 1, "fault %s: %ld requests reached the emulator, want 1", f->dst, after - before);
    }
    CHECK(ytx_free(quick) == YTX_OK, "timeout client free");
    CHECK(ytx_free(c) == YTX_OK, "fault client free");
}

/* --- the log callback ---------------------------------------------------- */
struct log_capture {
    pthread_mutex_t lock;
    int events[5];
    int token_seen;
    int sign_seen;
    int info_with_request_id;
};

static void on_log(void *user_data, ytx_log_level level, const char *message) {
    struct log_capture *cap = user_data;
    pthread_mutex_lock(&cap->lock);
    if ((int)level >= 0 && (int)level < 5) cap->events[level]++;
    if (strstr(message, TOKEN) != NULL) cap->token_seen++;
    const char *sign = strstr(message, "?Sign=");
    if (sign != NULL && strncmp(sign, "?Sign=<redacted>", 16) != 0) cap->sign_seen++;
    if (level == YTX_LOG_INFO && strstr(message, "requestId ") != NULL) cap->info_with_request_id++;
    /* Calling back into the library from the callback is refused. */
    if (ytx_set_logger(NULL, NULL, 0) != YTX_ERR_INVALID_ARGUMENT) cap->events[0]++;
    pthread_mutex_unlock(&cap->lock);
}

static void test_logging(ytx_client *c) {
    struct log_capture cap;
    memset(&cap, 0, sizeof cap);
    pthread_mutex_init(&cap.lock, NULL);
    CHECK(ytx_set_logger(on_log, &cap, 9) == YTX_ERR_INVALID_ARGUMENT, "min_level 9");
    CHECK(ytx_set_logger(on_log, &cap, YTX_LOG_DEBUG) == YTX_OK, "set logger");
    CHECK(ytx_voice_code(c, "13800138000", "02160000000", "1234", 0, NULL) == YTX_OK, "logged call");
    CHECK(ytx_voice_code(c, "19900000003", "02160000000", "1234", 0, NULL) == YTX_ERR_HTTP_STATUS, "logged 500");
    CHECK(ytx_voice_code(c, "13800138000", "02160000000", "1 2", 0, NULL) == YTX_ERR_INVALID_ARGUMENT, "logged bad");
    CHECK(ytx_set_logger(NULL, NULL, YTX_LOG_DEBUG) == YTX_OK, "remove logger");
    CHECK(ytx_voice_code(c, "13800138000", "02160000000", "1234", 0, NULL) == YTX_OK, "unlogged call");
    CHECK(cap.events[YTX_LOG_DEBUG] == 2, "debug events %d", cap.events[YTX_LOG_DEBUG]);
    CHECK(cap.events[YTX_LOG_INFO] == 1 && cap.info_with_request_id == 1, "info events %d", cap.events[YTX_LOG_INFO]);
    CHECK(cap.events[YTX_LOG_ERROR] == 1, "error events %d", cap.events[YTX_LOG_ERROR]);
    CHECK(cap.events[YTX_LOG_WARN] == 1, "warn events %d", cap.events[YTX_LOG_WARN]);
    CHECK(cap.events[0] == 0, "set_logger from inside the callback was not refused");
    CHECK(cap.token_seen == 0 && cap.sign_seen == 0, "secret logged: token %d sign %d", cap.token_seen, cap.sign_seen);
    pthread_mutex_destroy(&cap.lock);
}

/* --- retry advice, the opt-in retry, size limits (issue 18, parts 3, 5) -- */
static ytx_client *retry_client(const char *max_retries) {
    const char *names[] = {"base_url", "timeout_ms", "max_retries", "retry_backoff_ms"};
    const char *values[] = {BASE, "10000", max_retries, "1"};
    ytx_client *c = NULL;
    ytx_outcome *o = NULL;
    ytx_result rc = ytx_client_new(SID, TOKEN, APP, names, values, 4, &c, &o);
    CHECK(rc == YTX_OK, "retry client: %s", ytx_outcome_message(o));
    ytx_outcome_free(o);
    return c;
}

static void test_retry_advice(void) {
    ytx_outcome *o = NULL;
    ytx_client *c = retry_client("0");
    /* -104: the platform refused it, nothing was placed: after 1000 ms. */
    long before = emulator_count();
    ytx_result rc = ytx_callback_call(c, "13800138000", "19900001104", 600, NULL, NULL, 0, &o);
    CHECK(rc == YTX_ERR_PLATFORM && ytx_outcome_retry_safe(o), "-104: %s", ytx_outcome_message(o));
    CHECK(ytx_outcome_retry_after_ms(o) == 1000, "-104 pause %u", (unsigned)ytx_outcome_retry_after_ms(o));
    CHECK(ytx_outcome_delivery(o) == YTX_DELIVERY_ANSWERED, "-104 delivery");
    ytx_outcome_free(o);
    CHECK(emulator_count() == before + 1, "off by default: sent once");
    /* Other refusals, unknown outcomes, argument errors: never. */
    const char *nos[] = {"19900001204", "19900001100", "19900000002", "19900000011", "1"};
    for (size_t i = 0; i < sizeof nos / sizeof nos[0]; i++) {
        rc = ytx_callback_call(c, "13800138000", nos[i], 600, NULL, NULL, 0, &o);
        CHECK(rc != YTX_OK && !ytx_outcome_retry_safe(o), "%s: retry-safe? %s", nos[i], ytx_outcome_message(o));
        CHECK(ytx_outcome_retry_after_ms(o) == 0, "%s: pause", nos[i]);
        ytx_outcome_free(o);
    }
    rc = ytx_callback_call(c, NULL, "13900139000", 600, NULL, NULL, 0, &o);
    CHECK(rc == YTX_ERR_NULL_ARGUMENT && !ytx_outcome_retry_safe(o), "NULL src retry-safe");
    ytx_outcome_free(o);
    rc = ytx_callback_call((ytx_client *)8, "13800138000", "13900139000", 600, NULL, NULL, 0, &o);
    CHECK(rc == YTX_ERR_INVALID_HANDLE && !ytx_outcome_retry_safe(o), "bad handle retry-safe");
    ytx_outcome_free(o);
    CHECK(!ytx_outcome_retry_safe(NULL) && ytx_outcome_retry_after_ms(NULL) == 0, "NULL outcome");
    ytx_push *p = NULL;
    rc = ytx_push_parse((const uint8_t *)"nope", 4, &p, &o);
    CHECK(rc == YTX_ERR_PROTOCOL && !ytx_outcome_retry_safe(o), "a push parse error is not retry-safe");
    ytx_outcome_free(o);
    rc = ytx_voice_code(c, "13800138000", "", "1234", 0, &o);
    CHECK(rc == YTX_OK && !ytx_outcome_retry_safe(o), "success is nothing to retry");
    ytx_outcome_free(o);
    ytx_free(c);

    /* Not written: retry-safe at once; with max_retries, resent (nothing listens). */
    const char *rn[] = {"base_url", "max_retries", "retry_backoff_ms"};
    const char *rv[] = {"http://127.0.0.1:1", "2", "1"};
    ytx_client *refused = NULL;
    CHECK(ytx_client_new(SID, TOKEN, APP, rn, rv, 3, &refused, NULL) == YTX_OK, "client");
    rc = ytx_voice_code(refused, "13800138000", "", "1234", 0, &o);
    CHECK(rc == YTX_ERR_NOT_SENT && ytx_outcome_retry_safe(o), "refused: %s", ytx_outcome_message(o));
    CHECK(ytx_outcome_retry_after_ms(o) == 0, "refused pause");
    ytx_outcome_free(o);
    ytx_free(refused);

    /* The opt-in retry: -104 sent twice with max_retries 1; unknown once. */
    c = retry_client("1");
    before = emulator_count();
    rc = ytx_callback_call(c, "13800138000", "19900001104", 600, NULL, NULL, 0, &o);
    CHECK(rc == YTX_ERR_PLATFORM, "-104 after a retry: %s", ytx_outcome_message(o));
    ytx_outcome_free(o);
    CHECK(emulator_count() == before + 2, "-104 with max_retries 1: %ld requests, want 2", emulator_count() - before);
    before = emulator_count();
    rc = ytx_callback_call(c, "13800138000", "19900000002", 600, NULL, NULL, 0, &o);
    CHECK(rc == YTX_ERR_OUTCOME_UNKNOWN, "dropped: %s", ytx_outcome_message(o));
    ytx_outcome_free(o);
    CHECK(emulator_count() == before + 1, "an unknown outcome was resent: %ld requests", emulator_count() - before);
    ytx_free(c);

    /* Bad retry options name themselves. */
    const char *bn[] = {"max_retries"};
    const char *bv[] = {"11"};
    ytx_client *bad = NULL;
    rc = ytx_client_new(SID, TOKEN, APP, bn, bv, 1, &bad, &o);
    expect_arg_error("max_retries 11", rc, o, YTX_ERR_INVALID_ARGUMENT, "max_retries");
}

/* ytx_outcome_view_of: everything the accessors say in one call, the same
 * pointers (borrowed until ytx_outcome_free); written only on YTX_OK. */
static void check_view(const char *what, const ytx_outcome *o) {
    ytx_outcome_view v;
    memset(&v, 0, sizeof v);
    CHECK(ytx_outcome_view_of(o, &v) == YTX_OK, "%s: view_of", what);
    CHECK(v.result == ytx_outcome_result(o) && v.delivery == ytx_outcome_delivery(o), "%s: codes", what);
    CHECK(v.retry_safe == ytx_outcome_retry_safe(o) && v.retry_after_ms == ytx_outcome_retry_after_ms(o),
          "%s: retry", what);
    CHECK(v.http_status == ytx_outcome_http_status(o), "%s: http status", what);
    CHECK(v.message == ytx_outcome_message(o) && v.field == ytx_outcome_field(o) &&
              v.status_code == ytx_outcome_status_code(o) && v.status_msg == ytx_outcome_status_msg(o) &&
              v.request_id == ytx_outcome_request_id(o) && v.ticket == ytx_outcome_ticket(o),
          "%s: the accessors' strings", what);
}

static void test_outcome_view(ytx_client *c) {
    ytx_outcome *o = NULL;
    ytx_outcome_view v;
    ytx_result rc = ytx_callback_call(c, "13800138000", "01085485069", 600, NULL, NULL, 0, &o);
    CHECK(rc == YTX_OK, "callback: %s", ytx_outcome_message(o));
    check_view("accepted", o);
    CHECK(ytx_outcome_view_of(o, &v) == YTX_OK && strlen(v.request_id) == 29 && strcmp(v.status_code, "0") == 0 &&
              v.message[0] == '\0' && v.delivery == YTX_DELIVERY_ANSWERED && v.http_status == 200,
          "accepted view: '%s' '%s'", v.request_id, v.status_code);
    /* NULL arguments: the null-argument code, nothing written. */
    memset(&v, 0xab, sizeof v);
    CHECK(ytx_outcome_view_of(NULL, &v) == YTX_ERR_NULL_ARGUMENT && v.result == 0xabababab, "NULL outcome");
    CHECK(ytx_outcome_view_of(o, NULL) == YTX_ERR_NULL_ARGUMENT, "NULL view_out");
    ytx_outcome_free(o);

    rc = ytx_callback_call(c, "13800138000", "01085485069", 60, NULL, NULL, 0, &o);
    check_view("credit 60", o);
    CHECK(ytx_outcome_view_of(o, &v) == YTX_OK && v.result == YTX_ERR_INVALID_ARGUMENT && rc == v.result &&
              strcmp(v.field, "credit") == 0 && strstr(v.message, "credit") != NULL,
          "argument error view: '%s'", v.field);
    ytx_outcome_free(o);

    ytx_client *r = retry_client("0");
    rc = ytx_callback_call(r, "13800138000", "19900001104", 600, NULL, NULL, 0, &o);
    check_view("-104", o);
    CHECK(ytx_outcome_view_of(o, &v) == YTX_OK && v.retry_safe && v.retry_after_ms == 1000 &&
              strcmp(v.status_code, "-104") == 0,
          "-104 view: %d %u", (int)v.retry_safe, (unsigned)v.retry_after_ms);
    ytx_outcome_free(o);
    rc = ytx_callback_call(r, "13800138000", "19900000002", 600, NULL, NULL, 0, &o);
    check_view("unknown", o);
    CHECK(ytx_outcome_view_of(o, &v) == YTX_OK && v.result == YTX_ERR_OUTCOME_UNKNOWN && rc == v.result &&
              strncmp(v.ticket, "ytx-ticket:1;", 13) == 0,
          "unknown view: ticket '%s'", v.ticket);
    ytx_outcome_free(o);
    ytx_free(r);
}

static void test_size_limits(ytx_client *c) {
    ytx_outcome *o = NULL;
    /* A 1 MiB customParm: refused before sending, naming it (was: 413, unknown). */
    size_t big = 1024 * 1024;
    char *parm = malloc(big + 1);
    memset(parm, 'x', big);
    parm[big] = '\0';
    const char *names[] = {"customParm"};
    const char *values[] = {parm};
    long before = emulator_count();
    ytx_result rc = ytx_callback_call(c, "13800138000", "13900139000", 600, names, values, 1, &o);
    expect_arg_error("1 MiB customParm", rc, o, YTX_ERR_INVALID_ARGUMENT, "customParm");
    /* At the limit: accepted; one byte more: refused. */
    parm[YTX_MAX_TEXT_FIELD_BYTES] = '\0';
    rc = ytx_callback_call(c, "13800138000", "13900139000", 600, names, values, 1, &o);
    CHECK(rc == YTX_OK, "customParm of YTX_MAX_TEXT_FIELD_BYTES: %s", ytx_outcome_message(o));
    ytx_outcome_free(o);
    parm[YTX_MAX_TEXT_FIELD_BYTES] = 'x';
    parm[YTX_MAX_TEXT_FIELD_BYTES + 1] = '\0';
    const char *file_names[] = {"dstfailhintfile"};
    rc = ytx_callback_call(c, "13800138000", "13900139000", 600, file_names, values, 1, &o);
    expect_arg_error("long file name", rc, o, YTX_ERR_INVALID_ARGUMENT, "dstfailhintfile");
    free(parm);
    CHECK(emulator_count() == before + 1, "only the call within the limits was sent");
    CHECK(YTX_MAX_REQUEST_BODY_BYTES >= 7 * 2 * YTX_MAX_TEXT_FIELD_BYTES, "a full valid body fits");
}

/* --- the Sign never leaves in a message (issue 18, part 9) --------------- */
/* One connection: read the request, answer 400 with a page that echoes its
 * request line (as some gateways do). */
static void *echo_once(void *arg) {
    int lfd = *(int *)arg;
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) return NULL;
    char req[8192];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof req - 1 && (n = read(fd, req + got, sizeof req - 1 - got)) > 0) {
        got += (size_t)n;
        req[got] = '\0';
        const char *end = strstr(req, "\r\n\r\n");
        const char *cl = strstr(req, "Content-Length:");
        if (cl == NULL) cl = strstr(req, "content-length:");
        if (end && cl && (size_t)(req + got - (end + 4)) >= (size_t)strtol(cl + 15, NULL, 10)) break;
    }
    req[got] = '\0';
    char *eol = strstr(req, "\r\n");
    if (eol) *eol = '\0';
    char body[4096];
    int blen = snprintf(body, sizeof body, "<html><p>Bad request: %s</p></html>", req);
    char head[256];
    int hlen = snprintf(head, sizeof head,
                        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: %d\r\n"
                        "Connection: close\r\n\r\n", blen);
    if (write(fd, head, (size_t)hlen) < 0 || write(fd, body, (size_t)blen) < 0) { /* the test will say */ }
    close(fd);
    return NULL;
}

static void test_sign_never_in_a_message(void) {
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    CHECK(bind(lfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(lfd, 4) == 0 &&
          getsockname(lfd, (struct sockaddr *)&a, &alen) == 0, "echo server");
    pthread_t t;
    pthread_create(&t, NULL, echo_once, &lfd);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", (int)ntohs(a.sin_port));
    const char *names[] = {"base_url", "timeout_ms"};
    const char *values[] = {url, "10000"};
    ytx_client *c = NULL;
    CHECK(ytx_client_new(SID, TOKEN, APP, names, values, 2, &c, NULL) == YTX_OK, "echo client");
    ytx_outcome *o = NULL;
    ytx_result rc = ytx_voice_code(c, "13800138000", "", "1234", 0, &o);
    pthread_join(t, NULL);
    close(lfd);
    CHECK(rc == YTX_ERR_HTTP_STATUS && ytx_outcome_http_status(o) == 400, "echo: %s", ytx_outcome_message(o));
    const char *sign = strstr(ytx_outcome_request_url(o), "?Sign=");
    CHECK(sign != NULL && strlen(sign + 6) == 32, "the outcome keeps the request's Sign");
    if (sign != NULL) {
        CHECK(strstr(ytx_outcome_message(o), sign + 6) == NULL, "the Sign in the message: %s", ytx_outcome_message(o));
    }
    CHECK(strstr(ytx_outcome_message(o), "Sign=<redacted>") != NULL, "the page is still quoted: %s",
          ytx_outcome_message(o));
    ytx_outcome_free(o);
    ytx_free(c);
}

/* --- threads sharing one client ------------------------------------------ */
#define THREADS 8
#define CALLS 50

struct worker {
    ytx_client *client;
    int index;
    int ok;
    int mismatched;
};

static void *work(void *arg) {
    struct worker *w = arg;
    for (int i = 0; i < CALLS; i++) {
        char parm[64];
        snprintf(parm, sizeof parm, "t%d-c%d", w->index, i);
        const char *names[] = {"customParm"};
        const char *values[] = {parm};
        ytx_outcome *o = NULL;
        ytx_result rc = ytx_callback_call(w->client, "13800138000", "13900139000", 61, names, values, 1, &o);
        if (rc == YTX_OK && strlen(ytx_outcome_request_id(o)) == 29) w->ok++;
        /* Each outcome belongs to its own call. */
        char want[96];
        snprintf(want, sizeof want, "\"customParm\":\"%s\"", parm);
        if (strstr(ytx_outcome_request_body(o), want) == NULL) w->mismatched++;
        ytx_outcome_free(o);
    }
    return NULL;
}

static void test_threads(ytx_client *c) {
    pthread_t t[THREADS];
    struct worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){c, i, 0, 0};
        pthread_create(&t[i], NULL, work, &w[i]);
    }
    int ok = 0, mismatched = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        ok += w[i].ok;
        mismatched += w[i].mismatched;
    }
    CHECK(ok == THREADS * CALLS, "%d of %d calls ok", ok, THREADS * CALLS);
    CHECK(mismatched == 0, "%d outcomes of another call", mismatched);
}

/* --- after "accepted": pushes, records, balance -------------------------- */

/* PROTOCOL.md's samples, exactly. */
static const char STATE_SAMPLE[] =
    "{\"requestid\":\"20200437755840048670965760400\",\"dsc\":\"18610559223\","
    " \"state\":\"answer\",\"stateDesc\":\"...\",\"timestamp\":\"2020-04-28 14:51:37\"}";
static const char RECORD_SAMPLE[] =
    "{\"cdr\":[{\"requestid\":\"20200437755811196850667520400\",\"appid\":\"ff1f324a0604417c9c7f5f1186225fda\","
    " \"fid\":4,\"caller\":\"18610559223\",\"called\":\"01053189990\","
    " \"callerstime\":\"2020-04-28 14:51:37\",\"calleretime\":\"2020-04-28 14:51:47\","
    " \"calledstime\":\"2020-04-28 14:51:43\",\"calledetime\":\"2020-04-28 14:51:47\","
    " \"tapesurl\":\"http://101.200.159.167:16214/.../20200428145126_xxx.mp3\","
    " \"duration\":10,\"oriamount\":0.31,\"customParm\":\"order-id-123456\",\"stateDesc\":\"\xe5\xba\x94\xe7\xad\x94|\xe6\xad\xa3\xe5\xb8\xb8\","
    " \"futureField\":{\"a\":[1,2]}}]}";

static ytx_push *parse(const char *body, ytx_result want) {
    ytx_push *p = (ytx_push *)1; /* must be overwritten either way */
    ytx_outcome *o = NULL;
    ytx_result rc = ytx_push_parse((const uint8_t *)body, strlen(body), &p, &o);
    CHECK(rc == want, "parse %.40s: rc=%d want %d (%s)", body, (int)rc, (int)want, ytx_outcome_message(o));
    CHECK(ytx_outcome_result(o) == rc, "outcome result");
    if (rc != YTX_OK) CHECK(p == NULL, "push_out is NULL on error");
    ytx_outcome_free(o);
    return rc == YTX_OK ? p : NULL;
}

static ytx_push *parse_len_helper(const char *body, size_t len) {
    ytx_push *p = NULL;
    return ytx_push_parse((const uint8_t *)body, len, &p, NULL) == YTX_OK ? p : NULL;
}

static void expect_protocol(const char *body, const char *words) {
    ytx_push *p = NULL;
    ytx_outcome *o = NULL;
    ytx_result rc = ytx_push_parse((const uint8_t *)body, strlen(body), &p, &o);
    CHECK(rc == YTX_ERR_PROTOCOL && p == NULL, "garbage %s: rc=%d", body, (int)rc);
    CHECK(strstr(ytx_outcome_message(o), words) != NULL, "message for %s names '%s': %s", body, words,
          ytx_outcome_message(o));
    CHECK(strncmp(ytx_outcome_message(o), "not a push: ", 12) == 0, "reads as a bad push: %s", ytx_outcome_message(o));
    CHECK(ytx_outcome_delivery(o) == YTX_DELIVERY_NOT_SENT, "parsing sends nothing");
    ytx_outcome_free(o);
}

static void test_pushes(void) {
    int64_t t = 0;
    ytx_push *p = parse(STATE_SAMPLE, YTX_OK);
    CHECK(ytx_push_kind_of(p) == YTX_PUSH_STATE, "state push kind");
    CHECK(strcmp(ytx_push_request_id(p), "20200437755840048670965760400") == 0, "29-digit requestid intact");
    CHECK(strcmp(ytx_push_number(p), "18610559223") == 0, "dsc");
    CHECK(ytx_push_state(p) == YTX_CALL_STATE_ANSWER, "state answer");
    CHECK(strcmp(ytx_push_state_text(p), "answer") == 0, "state text");
    CHECK(strcmp(ytx_push_state_desc(p), "...") == 0, "stateDesc");
    CHECK(strcmp(ytx_push_timestamp(p), "2020-04-28 14:51:37") == 0, "timestamp text");
    CHECK(ytx_push_timestamp_unix(p, &t) == 1 && t == 1588056697, "timestamp is UTC+8: %lld", (long long)t);
    CHECK(ytx_push_field_count(p) == 5, "five fields");
    CHECK(strcmp(ytx_push_field_name(p, 0), "requestid") == 0, "fields in order");
    CHECK(ytx_push_field_name(p, 5) == NULL && ytx_push_field_value(p, 5) == NULL, "out of range");
    CHECK(ytx_push_field(p, "nope") == NULL, "absent field is NULL");
    CHECK(ytx_records_count(ytx_push_records(p)) == 0, "a state push has no records");
    /* ytx_push_view_of: the same in one call, the accessors' pointers. */
    ytx_push_view pv;
    memset(&pv, 0, sizeof pv);
    CHECK(ytx_push_view_of(p, &pv) == YTX_OK && pv.kind == YTX_PUSH_STATE && pv.state == YTX_CALL_STATE_ANSWER,
          "push view kind and state");
    CHECK(pv.has_timestamp_unix == 1 && pv.timestamp_unix == 1588056697, "push view timestamp");
    CHECK(pv.request_id == ytx_push_request_id(p) && pv.number == ytx_push_number(p) &&
              pv.state_text == ytx_push_state_text(p) && pv.state_desc == ytx_push_state_desc(p) &&
              pv.timestamp == ytx_push_timestamp(p),
          "push view strings");
    CHECK(pv.field_count == 5, "push view: %zu fields", pv.field_count);
    for (size_t i = 0; i < pv.field_count; i++) {
        CHECK(pv.field_names[i] == ytx_push_field_name(p, i) && pv.field_values[i] == ytx_push_field_value(p, i),
              "push view field %zu", i);
    }
    memset(&pv, 0xab, sizeof pv);
    CHECK(ytx_push_view_of(NULL, &pv) == YTX_ERR_NULL_ARGUMENT && pv.kind == 0xabababab, "push view of NULL");
    CHECK(ytx_push_view_of(p, NULL) == YTX_ERR_NULL_ARGUMENT, "push view into NULL");
    ytx_push_free(p);

    p = parse("{\"requestid\":\"1\",\"state\":\"hold\",\"timestamp\":\"soon\",\"x\":7}", YTX_OK);
    CHECK(ytx_push_state(p) == YTX_CALL_STATE_UNKNOWN, "unknown state");
    CHECK(strcmp(ytx_push_state_text(p), "hold") == 0, "unknown state survives");
    CHECK(ytx_push_timestamp_unix(p, &t) == 0, "unparsed timestamp");
    CHECK(strcmp(ytx_push_field(p, "x"), "7") == 0, "unknown field survives");
    ytx_push_free(p);

    p = parse(RECORD_SAMPLE, YTX_OK);
    CHECK(ytx_push_kind_of(p) == YTX_PUSH_RECORDS, "record push kind");
    CHECK(ytx_push_view_of(p, &pv) == YTX_OK && pv.kind == YTX_PUSH_RECORDS && pv.field_count == 0 &&
              pv.field_names == NULL && pv.field_values == NULL && pv.request_id[0] == '\0' &&
              pv.has_timestamp_unix == 0 && pv.timestamp_unix == 0,
          "record push view");
    const ytx_records *list = ytx_push_records(p);
    CHECK(ytx_records_count(list) == 1, "one record");
    CHECK(ytx_records_get(list, 1) == NULL, "index out of range");
    const ytx_record *r = ytx_records_get(list, 0);
    int64_t fen = -1;
    CHECK(strcmp(ytx_record_request_id(r), "20200437755811196850667520400") == 0, "requestid");
    CHECK(strcmp(ytx_record_app_id(r), "ff1f324a0604417c9c7f5f1186225fda") == 0, "appid");
    CHECK(strcmp(ytx_record_fid(r), "4") == 0, "fid from a JSON number");
    CHECK(strcmp(ytx_record_caller(r), "18610559223") == 0, "caller");
    CHECK(strcmp(ytx_record_called(r), "01053189990") == 0, "called");
    CHECK(strcmp(ytx_record_tel(r), "") == 0, "no tel in a two-leg record");
    CHECK(ytx_record_duration(r) == 10, "duration 10");
    CHECK(ytx_record_amount_fen(r, &fen) == 1 && fen == 31, "0.31 yuan is 31 fen: %lld", (long long)fen);
    CHECK(strcmp(ytx_record_amount_text(r), "0.31") == 0, "amount text exact");
    CHECK(strcmp(ytx_record_custom_parm(r), "order-id-123456") == 0, "customParm");
    CHECK(strcmp(ytx_record_state_desc(r), "\xe5\xba\x94\xe7\xad\x94|\xe6\xad\xa3\xe5\xb8\xb8") == 0, "stateDesc");
    CHECK(strstr(ytx_record_recording_url(r), "_xxx.mp3") != NULL, "recording url");
    CHECK(ytx_record_time_unix(r, "callerstime", &t) == 1 && t == 1588056697, "callerstime");
    CHECK(ytx_record_time_unix(r, "calledstime", &t) == 1 && t == 1588056703, "calledstime");
    CHECK(ytx_record_time_unix(r, "stime", &t) == 0, "no stime");
    CHECK(ytx_record_time_unix(r, NULL, &t) == 0, "NULL name");
    CHECK(strcmp(ytx_record_field(r, "futureField"), "{\"a\":[1,2]}") == 0, "unknown field kept as JSON");
    CHECK(strcmp(ytx_record_field(r, "oriamount"), "0.31") == 0, "field by wire name");
    CHECK(ytx_record_field_count(r) == 15, "15 fields: %zu", ytx_record_field_count(r));
    CHECK(strcmp(ytx_record_field_name(r, 14), "futureField") == 0, "last field name");
    ytx_push_free(p);

    /* The one-leg shape, numbers as strings, NoTapes, missing fields. */
    p = parse("{\"cdr\":[{\"requestid\":20200437755811196850667520401,\"tel\":\"13800138000\",\"stime\":\"\","
              "\"etime\":\"20200428145147\",\"duration\":\"0\",\"tapesurl\":\"NoTapes\",\"stateDesc\":\"x\"},{}]}",
              YTX_OK);
    list = ytx_push_records(p);
    CHECK(ytx_records_count(list) == 2, "two records");
    r = ytx_records_get(list, 0);
    CHECK(strcmp(ytx_record_request_id(r), "20200437755811196850667520401") == 0, "a 29-digit JSON number intact");
    CHECK(strcmp(ytx_record_tel(r), "13800138000") == 0, "tel");
    CHECK(ytx_record_duration(r) == 0, "duration from a string");
    CHECK(strcmp(ytx_record_recording_url(r), "") == 0, "NoTapes is no recording");
    CHECK(ytx_record_amount_fen(r, &fen) == 0, "no amount");
    CHECK(ytx_record_time_unix(r, "stime", &t) == 0, "empty stime: never happened");
    CHECK(ytx_record_time_unix(r, "etime", &t) == 1 && t == 1588056707, "etime compact");
    r = ytx_records_get(list, 1);
    CHECK(ytx_record_duration(r) == -1 && strcmp(ytx_record_request_id(r), "") == 0, "empty record");
    ytx_push_free(p);

    /* Issue 18: an oddity in a field not read never rejects the push. */
    p = parse("{\"requestid\":\"1\",\"state\":\"answer\",\"x\":\"a\\ud800b\",\"z\":\"n\\u0000l\"}", YTX_OK);
    CHECK(strcmp(ytx_push_field(p, "x"), "a\xef\xbf\xbd" "b") == 0, "a lone surrogate is U+FFFD");
    CHECK(strcmp(ytx_push_field(p, "z"), "n\xef\xbf\xbd" "l") == 0, "a NUL is U+FFFD");
    ytx_push_free(p);

    /* Issue 18: routed by the key the platform appends to the URL. */
    {
        const char *st = "{\"requestid\":\"1\",\"state\":\"answer\"}";
        const char *rec = "{\"cdr\":[{\"requestid\":\"1\"}]}";
        ytx_push *rp = NULL;
        ytx_outcome *ro = NULL;
        CHECK(ytx_push_parse_routed((const uint8_t *)st, strlen(st), "/p?CallState", &rp, NULL) == YTX_OK &&
                  ytx_push_kind_of(rp) == YTX_PUSH_STATE,
              "?CallState: a state push");
        ytx_push_free(rp);
        CHECK(ytx_push_parse_routed((const uint8_t *)rec, strlen(rec), NULL, &rp, NULL) == YTX_OK &&
                  ytx_push_kind_of(rp) == YTX_PUSH_RECORDS,
              "NULL target: by shape");
        ytx_push_free(rp);
        CHECK(ytx_push_parse_routed((const uint8_t *)st, strlen(st), "/p?Call", &rp, &ro) == YTX_ERR_PROTOCOL &&
                  rp == NULL,
              "?Call with a state body is refused");
        CHECK(strstr(ytx_outcome_message(ro), "?Call") != NULL, "names the key: %s", ytx_outcome_message(ro));
        ytx_outcome_free(ro);
    }

    /* Issue 18: 1 MiB of distinct keys (90,000) parses (the quadratic check
     * took minutes; speed is measured by benches/run.sh --pushes, with 4 MiB),
     * and every field is readable through the accessors. */
    {
        size_t cap = 1024 * 1024, n = 0;
        char *big = malloc(cap);
        CHECK(big != NULL, "malloc");
        n += (size_t)snprintf(big, cap, "{\"requestid\":\"1\",\"state\":\"answer\"");
        size_t keys = 2;
        while (n + 32 < cap) {
            n += (size_t)snprintf(big + n, cap - n, ",\"k%zu\":%zu", keys, keys);
            keys++;
        }
        big[n++] = '}';
        ytx_push *bp = NULL;
        CHECK(ytx_push_parse((const uint8_t *)big, n, &bp, NULL) == YTX_OK, "1 MiB of keys parses");
        CHECK(ytx_push_field_count(bp) == keys, "every key: %zu of %zu", ytx_push_field_count(bp), keys);
        CHECK(strcmp(ytx_push_field(bp, "k7"), "7") == 0, "a key by name");
        size_t read = 0;
        for (size_t i = 0; i < ytx_push_field_count(bp); i++) read += ytx_push_field_value(bp, i) != NULL;
        CHECK(read == keys, "every value readable");
        ytx_push_free(bp);
        free(big);
    }

    expect_protocol("not json", "not JSON");
    expect_protocol("[1]", "not a JSON object");
    expect_protocol("{\"cdr\":{}}", "cdr is not an array");
    expect_protocol("{\"cdr\":[1]}", "cdr[0]");
    expect_protocol("{\"state\":\"answer\"}", "requestid");
    expect_protocol("{\"a\":1}", "neither");
    expect_protocol("{\"cdr\":[", "truncated");

    /* Bad arguments. */
    ytx_outcome *o = NULL;
    ytx_push *q = NULL;
    CHECK(ytx_push_parse(NULL, 5, &q, &o) == YTX_ERR_NULL_ARGUMENT, "NULL body with a length");
    CHECK(strcmp(ytx_outcome_field(o), "body") == 0, "names body");
    ytx_outcome_free(o);
    CHECK(ytx_push_parse(NULL, 0, &q, NULL) == YTX_ERR_PROTOCOL && q == NULL, "empty body");
    CHECK(ytx_push_parse((const uint8_t *)"{}", 2, NULL, &o) == YTX_ERR_NULL_ARGUMENT, "NULL push_out");
    CHECK(strcmp(ytx_outcome_field(o), "push_out") == 0, "names push_out");
    ytx_outcome_free(o);
    /* Not NUL-terminated: only body_len bytes are read. */
    char raw[sizeof STATE_SAMPLE];
    memcpy(raw, STATE_SAMPLE, sizeof raw);
    raw[sizeof raw - 1] = 'X';
    q = parse_len_helper(raw, sizeof raw - 1);
    CHECK(q != NULL, "length-delimited body parses");
    ytx_push_free(q);

    /* Every accessor is NULL-safe. */
    CHECK(ytx_push_kind_of(NULL) == YTX_PUSH_NONE && ytx_push_state(NULL) == YTX_CALL_STATE_UNKNOWN, "NULL push");
    CHECK(strcmp(ytx_push_request_id(NULL), "") == 0 && ytx_push_records(NULL) == NULL, "NULL push strings");
    CHECK(ytx_records_count(NULL) == 0 && ytx_records_get(NULL, 0) == NULL, "NULL records");
    CHECK(strcmp(ytx_record_custom_parm(NULL), "") == 0 && ytx_record_duration(NULL) == -1, "NULL record");
    CHECK(ytx_record_field(NULL, "x") == NULL && ytx_record_amount_fen(NULL, &fen) == 0, "NULL record field");
    CHECK(strcmp(ytx_balance_text(NULL), "") == 0 && ytx_balance_fen(NULL) == 0, "NULL balance");
    ytx_push_free(NULL);
    ytx_records_free(NULL);
    ytx_balance_free(NULL);
}

static void test_records_and_balance(ytx_client *c) {
    /* Place a call with a customParm; its record is then queryable. */
    const char *names[] = {"customParm"};
    char parm[64];
    snprintf(parm, sizeof parm, "c-order-%ld", (long)getpid());
    const char *values[] = {parm};
    ytx_outcome *o = NULL;
    ytx_result rc = ytx_callback_call(c, "13800138000", "13900139000", 600, names, values, 1, &o);
    CHECK(rc == YTX_OK, "call for the record: %s", ytx_outcome_message(o));
    char rid[64];
    snprintf(rid, sizeof rid, "%s", ytx_outcome_request_id(o));
    ytx_outcome_free(o);

    ytx_records *list = NULL;
    rc = ytx_call_record(c, rid, NULL, &list, &o);
    CHECK(rc == YTX_OK, "ytx_call_record: %s", ytx_outcome_message(o));
    CHECK(ytx_outcome_delivery(o) == YTX_DELIVERY_ANSWERED, "a query's answer is ANSWERED");
    ytx_outcome_free(o);
    CHECK(ytx_records_count(list) == 1, "the call's record");
    const ytx_record *r = ytx_records_get(list, 0);
    CHECK(strcmp(ytx_record_request_id(r), rid) == 0, "its requestId");
    CHECK(strcmp(ytx_record_custom_parm(r), parm) == 0, "its customParm");
    CHECK(ytx_record_duration(r) > 0, "billed seconds");
    ytx_records_free(list);

    list = NULL;
    CHECK(ytx_call_record(c, "20000000000000000000000000000", "4", &list, NULL) == YTX_OK, "unknown id");
    CHECK(list != NULL && ytx_records_count(list) == 0, "no record: an empty list");
    ytx_records_free(list);

    CHECK(ytx_call_records_after(c, "0", 1000, NULL, &list, NULL) == YTX_OK, "records after 0");
    CHECK(ytx_records_count(list) >= 1, "at least the call above");
    ytx_records_free(list);

    CHECK(ytx_find_call(c, parm, "0", NULL, &list, NULL) == YTX_OK, "find_call");
    CHECK(ytx_records_count(list) == 1 && strcmp(ytx_record_request_id(ytx_records_get(list, 0)), rid) == 0,
          "found by customParm");
    ytx_records_free(list);
    CHECK(ytx_find_call(c, "c-never-placed", "0", "", &list, NULL) == YTX_OK, "find_call never placed");
    CHECK(ytx_records_count(list) == 0, "never placed: not found");
    ytx_records_free(list);

    ytx_balance *b = NULL;
    rc = ytx_query_balance(c, &b, &o);
    CHECK(rc == YTX_OK, "balance: %s", ytx_outcome_message(o));
    ytx_outcome_free(o);
    CHECK(ytx_balance_fen(b) > 0 && strlen(ytx_balance_text(b)) > 0, "balance %s", ytx_balance_text(b));
    ytx_balance_free(b);

    /* Bad input: an error naming the field, nothing sent, out-pointer NULL. */
    long before = emulator_count();
    list = (ytx_records *)1;
    rc = ytx_call_records_after(c, "0", 0, NULL, &list, &o);
    expect_arg_error("limit 0", rc, o, YTX_ERR_INVALID_ARGUMENT, "limit");
    CHECK(list == NULL, "records_out NULL on error");
    rc = ytx_call_record(c, NULL, NULL, &list, &o);
    expect_arg_error("NULL request_id", rc, o, YTX_ERR_NULL_ARGUMENT, "request_id");
    rc = ytx_call_record(c, "1", "four", &list, &o);
    expect_arg_error("bad fid", rc, o, YTX_ERR_INVALID_ARGUMENT, "fid");
    rc = ytx_call_record(c, "1", NULL, NULL, &o);
    expect_arg_error("NULL records_out", rc, o, YTX_ERR_NULL_ARGUMENT, "records_out");
    rc = ytx_find_call(c, "", "0", NULL, &list, &o);
    expect_arg_error("empty customParm", rc, o, YTX_ERR_INVALID_ARGUMENT, "customParm");
    rc = ytx_query_balance(c, NULL, &o);
    expect_arg_error("NULL balance_out", rc, o, YTX_ERR_NULL_ARGUMENT, "balance_out");
    CHECK(ytx_query_balance((const ytx_client *)0x10, &b, NULL) == YTX_ERR_INVALID_HANDLE, "foreign handle");
    CHECK(emulator_count() == before, "bad input sent nothing");

    /* A wrong token: refused by the platform (-203), ANSWERED. */
    ytx_client *wrong = new_client("0123456789abcdef0123456789abcdef");
    rc = ytx_query_balance(wrong, &b, &o);
    CHECK(rc == YTX_ERR_PLATFORM && b == NULL, "wrong token balance rc=%d", (int)rc);
    CHECK(strcmp(ytx_outcome_status_code(o), "-203") == 0, "-203");
    CHECK(ytx_outcome_delivery(o) == YTX_DELIVERY_ANSWERED, "a refusal is ANSWERED");
    CHECK(strstr(ytx_outcome_message(o), "0123456789abcdef") == NULL, "no token in the message");
    ytx_outcome_free(o);
    CHECK(ytx_free(wrong) == YTX_OK, "free wrong");
}

/* --- resolving an outcome unknown (issue 18, part 2) -------------------- */
static ytx_resolution_status resolve_status(ytx_client *c, const char *ticket, const char *cursor,
                                            uint32_t max_pages, const char *want_parm) {
    ytx_resolution *r = (ytx_resolution *)1;
    ytx_outcome *o = NULL;
    ytx_result rc = ytx_resolve(c, ticket, cursor, 0, max_pages, &r, &o);
    CHECK(rc == YTX_OK && r != NULL, "resolve rc=%s %s", ytx_result_name((int)rc), ytx_outcome_message(o));
    ytx_outcome_free(o);
    ytx_resolution_status s = ytx_resolution_status_of(r);
    const ytx_record *rec = ytx_resolution_record(r);
    int64_t again = 0;
    int has_again = ytx_resolution_check_again_unix(r, &again);
    if (s == YTX_RESOLUTION_PLACED) {
        CHECK(rec != NULL && want_parm && strcmp(ytx_record_custom_parm(rec), want_parm) == 0,
              "placed: the record of %s", want_parm ? want_parm : "?");
        CHECK(!has_again, "placed: no time to ask again");
    } else {
        CHECK(rec == NULL, "%s: no record", ytx_resolution_status_name(s));
    }
    if (s == YTX_RESOLUTION_NOT_KNOWN_YET)
        CHECK(has_again && again > 0, "not known yet: a time to ask again");
    CHECK(ytx_resolution_reason(r)[0] != '\0', "a reason");
    ytx_resolution_free(r);
    return s;
}

static void test_resolve(ytx_client *c) {
    size_t live = ytx_live_objects();
    CHECK(sizeof(ytx_resolution_status) == 4, "fixed-width status");
    /* An earlier accepted call is the anchor; then a call whose answer is lost. */
    ytx_outcome *o = NULL;
    const char *pn[] = {"customParm"};
    const char *before[] = {"c-before"};
    CHECK(ytx_callback_call(c, "13800138000", "13900139000", 600, pn, before, 1, &o) == YTX_OK, "anchor call");
    char anchor[64];
    snprintf(anchor, sizeof anchor, "%s", ytx_outcome_request_id(o));
    CHECK(ytx_outcome_ticket(o)[0] == '\0', "an accepted call has no ticket");
    ytx_outcome_free(o);
    const char *lost[] = {"c-order-lost"};
    ytx_result rc = ytx_callback_call(c, "13800138000", "19900000002", 600, pn, lost, 1, &o);
    CHECK(rc == YTX_ERR_OUTCOME_UNKNOWN, "lost answer rc=%s", ytx_result_name((int)rc));
    char ticket[512];
    snprintf(ticket, sizeof ticket, "%s", ytx_outcome_ticket(o));
    ytx_outcome_free(o);
    CHECK(strncmp(ticket, "ytx-ticket:1;kind=callback;", 27) == 0, "ticket '%s'", ticket);
    CHECK(strstr(ticket, anchor) != NULL, "the anchor %s is in the ticket %s", anchor, ticket);
    CHECK(strstr(ticket, "customParm=c%2Dorder%2Dlost") != NULL, "customParm in %s", ticket);
    CHECK(resolve_status(c, ticket, NULL, 0, "c-order-lost") == YTX_RESOLUTION_PLACED, "placed");

    /* Never placed, sent long ago (the bound has passed): not placed. */
    const char *old = "ytx-ticket:1;kind=callback;sent=1000;credit=600;srctimeout=;dsttimeout=;anchor=;customParm=c%2Dnever";
    CHECK(resolve_status(c, old, NULL, 0, NULL) == YTX_RESOLUTION_NOT_PLACED, "not placed");
    /* Sent just now: not known yet, until the bound. */
    char fresh[256];
    snprintf(fresh, sizeof fresh,
             "ytx-ticket:1;kind=callback;sent=%lld;credit=600;srctimeout=;dsttimeout=;anchor=%s;customParm=c%%2Dnever",
             (long long)time(NULL), anchor);
    CHECK(resolve_status(c, fresh, NULL, 0, NULL) == YTX_RESOLUTION_NOT_KNOWN_YET, "not known yet");
    ytx_resolution *r = NULL;
    CHECK(ytx_resolve(c, fresh, NULL, 0, 0, &r, NULL) == YTX_OK, "resolve without an outcome");
    int64_t again = 0;
    CHECK(ytx_resolution_check_again_unix(r, &again) == 1 && again >= (int64_t)time(NULL) + 770,
          "ask again at the bound: %lld", (long long)again);
    CHECK(strcmp(ytx_resolution_cursor(r), anchor) == 0, "before the bound the cursor stays at the anchor");
    ytx_resolution_free(r);
    /* Out of pages after the bound: not known yet with a cursor to resume from. */
    const char *from0 = "ytx-ticket:1;kind=callback;sent=1000;credit=600;srctimeout=;dsttimeout=;anchor=;customParm=c%2Dorder%2Dlost";
    CHECK(ytx_resolve(c, from0, NULL, 0, 1, &r, NULL) == YTX_OK, "one page");
    ytx_resolution_status s = ytx_resolution_status_of(r);
    if (s == YTX_RESOLUTION_NOT_KNOWN_YET) {
        char cursor[64];
        snprintf(cursor, sizeof cursor, "%s", ytx_resolution_cursor(r));
        CHECK(cursor[0] != '\0', "a cursor after the bound");
        ytx_resolution_status next = resolve_status(c, from0, cursor, 0, "c-order-lost");
        CHECK(next == YTX_RESOLUTION_PLACED, "resumed: %s", ytx_resolution_status_name(next));
    } else {
        CHECK(s == YTX_RESOLUTION_PLACED, "one page: %s", ytx_resolution_status_name(s));
    }
    ytx_resolution_free(r);

    /* What cannot be resolved says so. */
    rc = ytx_callback_call(c, "13800138000", "19900000002", 600, NULL, NULL, 0, &o);
    CHECK(rc == YTX_ERR_OUTCOME_UNKNOWN, "lost, no customParm");
    snprintf(ticket, sizeof ticket, "%s", ytx_outcome_ticket(o));
    ytx_outcome_free(o);
    CHECK(resolve_status(c, ticket, NULL, 0, NULL) == YTX_RESOLUTION_CANNOT_BE_RESOLVED, "no customParm");
    rc = ytx_voice_code(c, "19900000002", NULL, "1234", 0, &o);
    CHECK(rc == YTX_ERR_OUTCOME_UNKNOWN, "voice code lost");
    snprintf(ticket, sizeof ticket, "%s", ytx_outcome_ticket(o));
    ytx_outcome_free(o);
    CHECK(strstr(ticket, "kind=voicecode") != NULL, "voice code ticket %s", ticket);
    CHECK(resolve_status(c, ticket, NULL, 0, NULL) == YTX_RESOLUTION_CANNOT_BE_RESOLVED, "voice code");

    /* An outcome without a ticket gives "": nothing to resolve. */
    CHECK(resolve_status(c, "", NULL, 0, NULL) == YTX_RESOLUTION_CANNOT_BE_RESOLVED, "no ticket");

    /* Bad input names its field and sends nothing. */
    long sent_before = emulator_count();
    r = (ytx_resolution *)1;
    rc = ytx_resolve(c, "ytx-ticket:2;x", NULL, 0, 0, &r, &o);
    expect_arg_error("bad ticket", rc, o, YTX_ERR_INVALID_ARGUMENT, "ticket");
    CHECK(r == NULL, "resolution_out NULL on error");
    rc = ytx_resolve(c, NULL, NULL, 0, 0, &r, &o);
    expect_arg_error("NULL ticket", rc, o, YTX_ERR_NULL_ARGUMENT, "ticket");
    rc = ytx_resolve(c, old, "not-a-cursor", 0, 0, &r, &o);
    expect_arg_error("bad cursor", rc, o, YTX_ERR_INVALID_ARGUMENT, "cursor");
    rc = ytx_resolve(c, old, NULL, 0, 0, NULL, &o);
    expect_arg_error("NULL resolution_out", rc, o, YTX_ERR_NULL_ARGUMENT, "resolution_out");
    CHECK(emulator_count() == sent_before, "bad input sent nothing");
    CHECK(ytx_resolution_status_of(NULL) == YTX_RESOLUTION_NONE, "NULL status");
    CHECK(ytx_resolution_record(NULL) == NULL && ytx_resolution_check_again_unix(NULL, &again) == 0,
          "NULL record, no time");
    CHECK(strcmp(ytx_resolution_cursor(NULL), "") == 0 && strcmp(ytx_outcome_ticket(NULL), "") == 0, "NULL strings");
    CHECK(strcmp(ytx_resolution_status_name(YTX_RESOLUTION_NOT_KNOWN_YET), "YTX_RESOLUTION_NOT_KNOWN_YET") == 0 &&
              strcmp(ytx_resolution_status_name(99), "YTX_UNKNOWN") == 0,
          "status names");
    ytx_resolution_free(NULL);
    CHECK(ytx_live_objects() == live, "every resolution and outcome freed (%zu vs %zu)", ytx_live_objects(), live);
}

int main(void) {
    SID = getenv("YTX_ACCOUNT_SID");
    TOKEN = getenv("YTX_AUTH_TOKEN");
    APP = getenv("YTX_APP_ID");
    CB_ONLY_APP = getenv("YTX_CALLBACK_ONLY_APP_ID");
    BASE = getenv("YTX_BASE_URL");
    if (!SID || !TOKEN || !APP || !CB_ONLY_APP || !BASE ||
        sscanf(BASE, "http://%63[^:]:%d", HOST, &PORT) != 2) {
        fprintf(stderr, "run through tests/run-all.sh (needs the emulator's URL and demo credentials)\n");
        return 2;
    }
    test_version();
    test_tables();
    test_client_options();
    test_client_new_errors();
    test_handles();
    ytx_client *c = new_client(TOKEN);
    test_call_argument_errors(c);
    test_calls(c);
    test_platform_and_transport_errors();
    test_faults();
    test_logging(c);
    test_threads(c);
    test_pushes();
    test_records_and_balance(c);
    test_retry_advice();
    test_outcome_view(c);
    test_size_limits(c);
    test_sign_never_in_a_message();
    test_resolve(c);
    CHECK(ytx_free(c) == YTX_OK, "final free");
    CHECK(ytx_live_clients() == 0, "%zu clients leaked", ytx_live_clients());
    CHECK(ytx_live_objects() == 0, "%zu outcomes/pushes/records/balances leaked", ytx_live_objects());
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
