// examples/consumer: a worker built outside the blockhub tree, against the installed package only
// (find_package(blockhub) or pkg-config). It asks the hub for leases on its keys, registers the
// granted ones (acknowledged), matches them back and prints one line:
//   consumer: library=<version> hub=<hub version> granted=N registered=N matched=N
// Keys: the arguments (default: two fixed keys). Hub endpoints: DYN_REGISTRY_CLIENT_* (FromEnv).
// Exit 0 when every key was granted, registered and matched; 1 otherwise; 2 on bad settings.
#include <blockhub/client.h>

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  using namespace blockhub;
  std::vector<std::string> keys(argv + 1, argv + argc);
  if (keys.empty()) keys = {"consumer-block-1", "consumer-block-2"};

  Result<ClientOptions> options = ClientOptions::FromEnv();
  if (!options) {
    std::fprintf(stderr, "consumer: %s\n", options.error().ToString().c_str());
    return 2;
  }
  Result<std::unique_ptr<Client>> client = Client::Connect(*options);
  if (!client) {
    std::fprintf(stderr, "consumer: %s\n", client.error().ToString().c_str());
    return 1;
  }
  Client& hub = **client;

  Result<HelloResult> hello = hub.Hello("blockhub-consumer-example");
  if (!hello) {
    std::fprintf(stderr, "consumer: Hello: %s\n", hello.error().ToString().c_str());
    return 1;
  }
  Result<CanOffloadResult> offload = hub.CanOffload(keys);
  if (!offload) {
    std::fprintf(stderr, "consumer: CanOffload: %s\n", offload.error().ToString().c_str());
    return 1;
  }
  std::vector<BlockEntry> stored;
  for (const std::string& key : offload->granted) stored.push_back({key, "file:///" + key, ""});
  Result<std::vector<RegisterStatus>> registered = hub.RegisterSync(stored);
  if (!registered) {
    std::fprintf(stderr, "consumer: RegisterSync: %s\n", registered.error().ToString().c_str());
    return 1;
  }
  Result<std::vector<BlockEntry>> hits = hub.Match(keys);
  if (!hits) {
    std::fprintf(stderr, "consumer: Match: %s\n", hits.error().ToString().c_str());
    return 1;
  }
  std::printf("consumer: library=%s hub=%s granted=%zu registered=%zu matched=%zu\n",
              BLOCKHUB_VERSION_STRING, hello->hub_version.c_str(), offload->granted.size(),
              registered->size(), hits->size());
  const bool all = offload->granted.size() == keys.size() && hits->size() == keys.size();
  return hub.Close().ok() && all ? 0 : 1;
}
