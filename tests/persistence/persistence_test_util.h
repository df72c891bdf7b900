// Helpers shared by the persistence tests: a temporary data dir removed at the end, a capture of
// the log lines (spdlog ostream sink installed as the default logger for the test's duration), a
// core factory, and a bounded wait that drives Persistence like the server's loop does.
#pragma once

#include <poll.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "hub/core/hub_core.h"
#include "hub/persistence/persistence.h"

namespace blockhub::persistence::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "bh-persist-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }
  bool Contains(const std::string& s) const { return text().find(s) != std::string::npos; }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

// An empty core (in-memory store) with the given capacity and eviction.
std::unique_ptr<HubCore> MakeCore(uint64_t capacity = 1'000'000,
                                  EvictionKind eviction = EvictionKind::kLru);

// key/value/metadata of every stored entry.
using Content = std::map<std::string, std::pair<std::string, std::string>>;
Content ContentOf(const HubCore& core);

std::string Key(uint64_t i);  // 8-byte keys
// Registers keys [from, to) with value "v<i>" (metadata "m" on odd keys) through the core.
void RegisterRange(HubCore& core, uint64_t from, uint64_t to, TimePoint now);
// Removes keys through the core's Remove request; returns how many were removed.
uint64_t RemoveKeys(HubCore& core, const std::vector<uint64_t>& ids, TimePoint now);

PersistenceConfig TestConfig(const std::string& dir);

// Drives p like the server's loop (Pump, poll notify_fd, drain) until done() or the deadline.
bool PumpUntil(Persistence& p, const std::function<bool()>& done,
               std::chrono::milliseconds limit = std::chrono::seconds(20));

// Waits until every change made so far is durable.
bool WaitDurable(Persistence& p);

}  // namespace blockhub::persistence::testing
