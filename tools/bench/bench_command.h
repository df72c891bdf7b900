// blockhub-bench subcommands register themselves here, one file per subcommand family
// (bench_codec.cpp, bench_core.cpp, bench_hub.cpp, ...). Each subcommand parses its own options.
// Output convention: one `RESULT <name> <value> <unit>` line per figure on stdout.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace blockhub::bench {

struct Command {
  std::string summary;
  // argv[0] is "blockhub-bench <name>"; returns the process exit code.
  std::function<int(int argc, char** argv)> run;
};

std::map<std::string, Command>& Registry();

struct Registrar {
  Registrar(const std::string& name, std::string summary, std::function<int(int, char**)> run) {
    Registry()[name] = Command{std::move(summary), std::move(run)};
  }
};

}  // namespace blockhub::bench
