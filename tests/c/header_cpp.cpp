// The header must compile as C++ (extern "C", no C-only constructs) and link.
#include "ytx.h"

#include <cstdio>
#include <cstring>

int main() {
    ytx_outcome *o = nullptr;
    ytx_result rc = ytx_client_new(nullptr, nullptr, nullptr, nullptr, nullptr, 0, nullptr, &o);
    bool ok = rc == YTX_ERR_NULL_ARGUMENT && std::strcmp(ytx_outcome_field(o), "account_sid") == 0 &&
              ytx_version_number() == YTX_VERSION_NUMBER;
    ytx_outcome_free(o);
    std::printf("C++ header check: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
