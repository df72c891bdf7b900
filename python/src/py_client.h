// PyClient: the Python `blockhub.Client`, a thin owner of one blockhub::Client plus the
// AsyncBridge of its async calls. Keys and entries are converted with the GIL held; every call
// into the client library (which may block) runs with the GIL released.
//
// Also the result class CanOffloadResult and the module-level Python types (enums, Entry,
// HelloInfo) the results use. Bind() adds them all to the module.
//
// Thread-safety: one PyClient may be used from many Python threads at once (the client library is
// thread-safe); close() is idempotent.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>
#include <optional>
#include <string>

#include "async_bridge.h"
#include "client/client.h"
#include "keys.h"

namespace blockhub::python {

namespace py = pybind11;

// Python types made at import (IntEnums and named tuples); module lifetime.
struct ModuleTypes {
  py::handle offload_status, register_status, renew_status, entry, hello_info;
};
ModuleTypes& Types();

struct PyCanOffloadResult {
  KeyInput input;
  std::vector<uint8_t> statuses;
  uint32_t lease_ttl_ms = 0;
};

class PyClient {
 public:
  explicit PyClient(ClientOptions options);
  ~PyClient();

  PyCanOffloadResult CanOffload(py::handle keys);
  py::object CanOffloadAsync(py::handle keys);
  // Many batches in one call: each item of `batches` is one request's keys; up to `inflight`
  // requests are on the wire at once, all with the GIL released. Results in the order given.
  py::list CanOffloadMany(py::handle batches, size_t inflight);
  py::list Match(py::handle keys, bool prefix);
  py::object MatchAsync(py::handle keys, bool prefix);
  uint64_t Remove(py::handle keys);
  uint64_t Touch(py::handle keys);
  uint64_t Release(py::handle keys);
  py::object Renew(py::handle keys);
  py::list RegisterSync(py::handle entries);
  py::object RegisterSyncAsync(py::handle entries);
  void Register(py::handle entries);
  py::object Hello(std::optional<std::string> name, std::optional<py::bytes> metadata);
  py::dict Stats();
  // Worker membership (protocol 2; README "Workers").
  py::dict Announce(py::handle metadata, uint64_t ttl_ms, std::optional<std::string> name);
  py::dict Withdraw();
  py::list Members(py::handle filter);
  uint64_t Multicast(py::handle payload, py::handle filter);
  void Flush();
  void Close();

  Client& client() { return *client_; }
  py::dict Counters() const;

 private:
  template <typename T>
  void AddPending(py::object loop, py::object future, std::future<Result<T>> f,
                  typename AsyncBridge::PendingOf<T>::Convert convert);

  std::unique_ptr<Client> client_;
  std::unique_ptr<AsyncBridge> bridge_;
  bool closed_ = false;
};

// Options: the DYN_REGISTRY_CLIENT_* environment (or its defaults), then the keyword arguments.
ClientOptions OptionsFrom(const py::kwargs& kwargs);

void BindClient(py::module_& m);

}  // namespace blockhub::python
