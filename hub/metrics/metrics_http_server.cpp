#include "hub/metrics/metrics_http_server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>

#include "hub/metrics/prometheus_text.h"

namespace blockhub {
namespace {

Status AddrError(std::string_view text, std::string_view why) {
  return InvalidArgumentError(
      fmt::format("metrics address '{}': {}; expected HOST:PORT (e.g. 0.0.0.0:9108, "
                  "127.0.0.1:0, [::1]:9108) or 'off'",
                  text, why));
}

Result<uint16_t> ParsePort(std::string_view text, std::string_view port) {
  unsigned value = 0;
  const char* end = port.data() + port.size();
  auto [ptr, ec] = std::from_chars(port.data(), end, value);
  if (port.empty() || ec != std::errc() || ptr != end || value > 65535) {
    return AddrError(text, fmt::format("port '{}' is not a number in 0..65535", port));
  }
  return static_cast<uint16_t>(value);
}

// Only SO_REUSEADDR: httplib's default also sets SO_REUSEPORT, which would let two hubs share a
// metrics port and split the scrapes between them.
void SetListenSocketOptions(socket_t sock) {
  int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

}  // namespace

Result<std::optional<MetricsAddress>> ParseMetricsAddr(std::string_view text) {
  if (text == "off") return std::optional<MetricsAddress>();
  if (text.empty()) return AddrError(text, "empty");
  if (text.find("://") != std::string_view::npos) return AddrError(text, "no scheme allowed");
  MetricsAddress addr;
  std::string_view port;
  if (text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return AddrError(text, "bracketed IPv6 address must be followed by :PORT");
    }
    addr.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
    if (addr.host.empty()) return AddrError(text, "empty IPv6 address");
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return AddrError(text, "missing :PORT");
    addr.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
    if (addr.host.find(':') != std::string::npos) {
      return AddrError(text, "write IPv6 addresses in brackets");
    }
    if (addr.host.empty()) addr.host = "0.0.0.0";
  }
  auto parsed_port = ParsePort(text, port);
  if (!parsed_port) return parsed_port.error();
  addr.port = *parsed_port;
  return std::optional<MetricsAddress>(std::move(addr));
}

std::string FormatHostPort(const MetricsAddress& address) {
  if (address.host.find(':') != std::string::npos) {
    return fmt::format("[{}]:{}", address.host, address.port);
  }
  return fmt::format("{}:{}", address.host, address.port);
}

struct MetricsHttpServer::Impl {
  httplib::Server http;
  SnapshotSource source;
  MetricsAddress bound;
  std::atomic<bool> ready{false};
  std::atomic<bool> listen_returned{false};
  std::thread listener;
  std::mutex stop_mu;  // serialises Stop callers

  void InstallRoutes() {
    http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      std::optional<MetricsSnapshot> snapshot = source ? source() : std::nullopt;
      if (!snapshot) {
        res.status = 503;
        res.set_content("metrics unavailable\n", "text/plain");
        return;
      }
      res.set_content(RenderPrometheus(*snapshot), std::string(kPrometheusContentType).c_str());
    });
    http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok\n", "text/plain");
    });
    http.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
      const bool is_ready = ready.load(std::memory_order_acquire);
      res.status = is_ready ? 200 : 503;
      res.set_content(is_ready ? "ready\n" : "not ready\n", "text/plain");
    });
  }

  void Configure(const MetricsServerOptions& options) {
    const auto timeout = static_cast<time_t>(options.io_timeout.count());
    http.set_socket_options(SetListenSocketOptions);
    http.set_read_timeout(timeout, 0);
    http.set_write_timeout(timeout, 0);
    http.set_keep_alive_timeout(timeout);
    http.set_keep_alive_max_count(1);
    const auto workers = static_cast<size_t>(options.worker_threads);
    // httplib takes ownership of the pool it is handed as a raw pointer (its API).
    http.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  }

  Status Bind(const MetricsAddress& want) {
    errno = 0;
    int port = want.port;
    if (want.port == 0) {
      port = http.bind_to_any_port(want.host);
    } else if (!http.bind_to_port(want.host, want.port)) {
      port = -1;
    }
    if (port < 0) {
      const int err = errno;
      return UnavailableError(
          fmt::format("metrics: cannot listen on {}{}", FormatHostPort(want),
                      err != 0 ? fmt::format(": {}", std::strerror(err)) : std::string()));
    }
    bound = MetricsAddress{want.host, static_cast<uint16_t>(port)};
    return Status::Ok();
  }
};

Result<MetricsHttpServer> MetricsHttpServer::Start(MetricsServerOptions options,
                                                   SnapshotSource source) {
  if (options.io_timeout.count() <= 0 || options.worker_threads <= 0) {
    return InvalidArgumentError("metrics: io_timeout and worker_threads must be positive");
  }
  auto impl = std::make_unique<Impl>();
  impl->source = std::move(source);
  impl->Configure(options);
  impl->InstallRoutes();
  if (Status s = impl->Bind(options.address); !s.ok()) return s;
  // The socket listens already: connections queue in the backlog until the loop accepts them.
  Impl* raw = impl.get();
  impl->listener = std::thread([raw] {
    raw->http.listen_after_bind();
    raw->listen_returned.store(true, std::memory_order_release);
  });
  return MetricsHttpServer(std::move(impl));
}

MetricsHttpServer::MetricsHttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MetricsHttpServer::MetricsHttpServer(MetricsHttpServer&&) noexcept = default;

MetricsHttpServer& MetricsHttpServer::operator=(MetricsHttpServer&& other) noexcept {
  if (this != &other) {
    Stop();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

MetricsHttpServer::~MetricsHttpServer() { Stop(); }

void MetricsHttpServer::MarkReady() { impl_->ready.store(true, std::memory_order_release); }
bool MetricsHttpServer::ready() const { return impl_->ready.load(std::memory_order_acquire); }

void MetricsHttpServer::Stop() {
  if (!impl_) return;  // moved from
  std::lock_guard<std::mutex> lock(impl_->stop_mu);
  if (!impl_->listener.joinable()) return;
  // httplib's stop() does nothing until the accept loop runs, which begins as soon as the listener
  // thread is scheduled: wait for that (or for the loop having already ended).
  while (!impl_->http.is_running() && !impl_->listen_returned.load(std::memory_order_acquire)) {
    std::this_thread::yield();
  }
  impl_->http.stop();
  impl_->listener.join();
}

const MetricsAddress& MetricsHttpServer::bound_address() const { return impl_->bound; }

std::string MetricsHttpServer::url() const { return "http://" + FormatHostPort(impl_->bound); }

}  // namespace blockhub
