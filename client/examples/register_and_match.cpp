// The README's client example: ask for leases, upload (here: pretend), register, then match.
// Built in every build (client/CMakeLists.txt) so that it always compiles against the library.
//
//   DYN_REGISTRY_CLIENT_QUERY_ADDR=tcp://localhost:5555 ./blockhub_client_example
#include <cstdio>
#include <string>
#include <vector>

#include "client/client.h"

int main() {
  using namespace blockhub;
  Result<ClientOptions> options = ClientOptions::FromEnv();  // DYN_REGISTRY_CLIENT_* or defaults
  if (!options) {
    std::fprintf(stderr, "%s\n", options.error().ToString().c_str());
    return 2;
  }
  Result<std::unique_ptr<Client>> client = Client::Connect(*options);
  if (!client) {
    std::fprintf(stderr, "%s\n", client.error().ToString().c_str());
    return 1;
  }
  Client& hub = **client;

  // Which of these blocks should this worker upload? (keys: opaque bytes, here 8-byte strings)
  std::vector<std::string> keys = {"block-01", "block-02", "block-03"};
  Result<CanOffloadResult> offload = hub.CanOffload(keys);
  if (!offload) {
    std::fprintf(stderr, "CanOffload: %s\n", offload.error().ToString().c_str());
    return 1;
  }
  // Upload the granted blocks to storage (not shown), then register where they are.
  std::vector<BlockEntry> uploaded;
  for (const std::string& key : offload->granted) {
    uploaded.push_back({key, "s3://bucket/" + key, /*metadata=*/""});
  }
  Result<std::vector<RegisterStatus>> stored = hub.RegisterSync(uploaded);  // acknowledged
  if (!stored) {
    std::fprintf(stderr, "RegisterSync: %s\n", stored.error().ToString().c_str());
    return 1;
  }
  // Later, any worker: which prefix of a sequence is already stored?
  Result<std::vector<BlockEntry>> hits = hub.Match(keys, MatchMode::kLeadingRun);
  if (!hits) {
    std::fprintf(stderr, "Match: %s\n", hits.error().ToString().c_str());
    return 1;
  }
  for (const BlockEntry& e : *hits) std::printf("%s -> %s\n", e.key.c_str(), e.value.c_str());
  return hub.Close().ok() ? 0 : 1;  // Close flushes fire-and-forget Register calls
}
