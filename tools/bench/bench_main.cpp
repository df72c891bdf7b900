// blockhub-bench: benchmark programs (never timed unit tests). `blockhub-bench --help` lists the
// subcommands; `blockhub-bench <sub> --help` explains one.
#include <cstdio>
#include <cstring>
#include <string>

#include "common/version.h"
#include "tools/bench/bench_command.h"

namespace blockhub::bench {
std::map<std::string, Command>& Registry() {
  static std::map<std::string, Command> registry;
  return registry;
}
}  // namespace blockhub::bench

int main(int argc, char** argv) {
  auto& registry = blockhub::bench::Registry();
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("blockhub-bench %s\n", blockhub::kVersionString);
    return 0;
  }
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::printf(
        "usage: blockhub-bench <subcommand> [options]   (<subcommand> --help for more)\n"
        "       blockhub-bench --version\n\n"
        "Benchmark programs; each prints `RESULT <name> <value> <unit>` lines on stdout.\n\n"
        "subcommands:\n");
    for (const auto& [name, cmd] : registry) {
      std::printf("  %-14s %s\n", name.c_str(), cmd.summary.c_str());
    }
    return argc < 2 ? 2 : 0;
  }
  auto it = registry.find(argv[1]);
  if (it == registry.end()) {
    std::fprintf(stderr, "blockhub-bench: unknown subcommand '%s' (try --help)\n", argv[1]);
    return 2;
  }
  std::string prog = std::string("blockhub-bench ") + argv[1];
  argv[1] = prog.data();
  return it->second.run(argc - 1, argv + 1);
}
