/*
 * quickstart.cpp — the C API from C++11, with RAII wrappers for the handle
 * and the outcome. Same environment variables as examples/c/quickstart.c.
 *
 *   c++ -std=c++11 -Wall -Wextra -Werror $(pkg-config --cflags ytx) \
 *       examples/cpp/quickstart.cpp $(pkg-config --libs ytx) -o quickstart
 */
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "ytx.h"

namespace {

struct ClientDeleter {
    void operator()(ytx_client *c) const { ytx_free(c); }
};
struct OutcomeDeleter {
    void operator()(ytx_outcome *o) const { ytx_outcome_free(o); }
};
using Client = std::unique_ptr<ytx_client, ClientDeleter>;
using Outcome = std::unique_ptr<ytx_outcome, OutcomeDeleter>;

std::string env_or(const char *name, const char *fallback) {
    const char *v = std::getenv(name);
    return (v != nullptr && *v != '\0') ? v : fallback;
}

bool report(const char *what, ytx_result rc, const Outcome &o) {
    if (rc == YTX_OK) {
        std::printf("%s: accepted, requestId %s\n", what, ytx_outcome_request_id(o.get()));
        return true;
    }
    std::printf("%s: %s: %s%s\n", what, ytx_result_name(rc), ytx_outcome_message(o.get()),
                ytx_outcome_retry_safe(o.get()) ? " (nothing was placed: safe to send again)" : "");
    return false;
}

}  // namespace

int main() {
    const char *sid = std::getenv("YTX_ACCOUNT_SID");
    const char *token = std::getenv("YTX_AUTH_TOKEN");
    const char *app = std::getenv("YTX_APP_ID");
    if (sid == nullptr || token == nullptr || app == nullptr) {
        std::fprintf(stderr, "set YTX_ACCOUNT_SID, YTX_AUTH_TOKEN, YTX_APP_ID (and YTX_BASE_URL)\n");
        return 2;
    }
    std::string base_url = env_or("YTX_BASE_URL", "http://api.ytx.net");
    const char *names[] = {"base_url"};
    const char *values[] = {base_url.c_str()};

    ytx_client *raw = nullptr;
    ytx_outcome *raw_outcome = nullptr;
    ytx_result rc = ytx_client_new(sid, token, app, names, values, 1, &raw, &raw_outcome);
    Outcome created(raw_outcome);
    if (rc != YTX_OK) {
        std::fprintf(stderr, "ytx_client_new: %s\n", ytx_outcome_message(created.get()));
        return 1;
    }
    Client client(raw);

    std::string src = env_or("YTX_SRC", "13800138000");
    std::string dst = env_or("YTX_DST", "13900139000");
    std::string dstclid = env_or("YTX_DSTCLID", "02160000000");
    const char *opt_names[] = {"customParm"};
    const char *opt_values[] = {"cpp-quickstart-1"};

    raw_outcome = nullptr;
    rc = ytx_callback_call(client.get(), src.c_str(), dst.c_str(), 600, opt_names, opt_values, 1, &raw_outcome);
    Outcome call(raw_outcome);
    bool ok = report("callback call", rc, call);

    raw_outcome = nullptr;
    rc = ytx_voice_code(client.get(), dst.c_str(), dstclid.c_str(), "4096", 2, &raw_outcome);
    Outcome code(raw_outcome);
    ok = report("voice code", rc, code) && ok;
    return ok ? 0 : 1;
}
