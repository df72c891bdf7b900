#include "tools/cli/cli_keygen.h"

#include <cstdio>

#include "security/curve_keys.h"

namespace blockhub::cli {

int RunKeygen(const CommonSettings& s, const std::string& prefix) {
  auto pair = GenerateCurveKeyPair();
  if (!pair) return ReportError(s, pair.error(), kExitHubError);
  if (Status st = WriteCurveKeyPair(prefix, *pair); !st.ok()) {
    return ReportError(s, st,
                       st.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitHubError);
  }
  if (s.json) {
    PrintJson(boost::json::object{{"public_key", pair->public_z85},
                                  {"secret_key_file", prefix + ".key"},
                                  {"public_key_file", prefix + ".pub"}});
  } else {
    std::printf("%s\n", pair->public_z85.c_str());
    std::fprintf(stderr, "wrote %s.key (secret, mode 0600) and %s.pub\n", prefix.c_str(),
                 prefix.c_str());
  }
  return kExitOk;
}

}  // namespace blockhub::cli
