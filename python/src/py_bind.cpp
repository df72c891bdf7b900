// The pybind11 definitions of blockhub.Client and blockhub.CanOffloadResult (docstrings).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "py_client.h"

namespace blockhub::python {

void BindClient(py::module_& m) {
  using R = PyCanOffloadResult;
  py::class_<R>(m, "CanOffloadResult",
                "Answer of can_offload. Key sequences have the shape of the keys given: a list of "
                "the very objects for a list, a NumPy array for an array.")
      .def_property_readonly(
          "statuses",
          [](const R& r) { return StatusesObject(r.input, r.statuses, Types().offload_status); },
          "Per requested key, in order: OffloadStatus members (list input) or a uint8 array.")
      .def_property_readonly(
          "granted", [](const R& r) { return SelectKeys(r.input, r.statuses, 0); },
          "Keys this client now holds a lease on: upload them, then register.")
      .def_property_readonly(
          "already_stored", [](const R& r) { return SelectKeys(r.input, r.statuses, 1); },
          "Keys the hub already stores: skip them.")
      .def_property_readonly(
          "leased", [](const R& r) { return SelectKeys(r.input, r.statuses, 2); },
          "Keys another owner is uploading now: ask again later.")
      .def_property_readonly(
          "granted_indices", [](const R& r) { return SelectIndices(r.input, r.statuses, 0); },
          "Positions of the granted keys in the request (list or intp array).")
      .def_property_readonly("already_stored_indices",
                             [](const R& r) { return SelectIndices(r.input, r.statuses, 1); })
      .def_property_readonly("leased_indices",
                             [](const R& r) { return SelectIndices(r.input, r.statuses, 2); })
      .def_readonly("lease_ttl_ms", &R::lease_ttl_ms,
                    "Lease lifetime (protocol 2; 0 from protocol 1).")
      .def("__len__", [](const R& r) { return r.statuses.size(); })
      .def("__repr__", [](const R& r) {
        size_t n[3] = {0, 0, 0};
        for (uint8_t s : r.statuses) n[s < 3 ? s : 0]++;
        return "CanOffloadResult(granted=" + std::to_string(n[0]) +
               ", already_stored=" + std::to_string(n[1]) + ", leased=" + std::to_string(n[2]) +
               ", lease_ttl_ms=" + std::to_string(r.lease_ttl_ms) + ")";
      });

  py::class_<PyClient>(m, "Client", R"doc(A connection to one blockhub hub (thread-safe).

Client(*, query_addr=None, register_addr=None, client_id=None, timeout_ms=None, protocol=None,
       namespace=None, batch_size=None, batch_timeout_ms=None, hwm=None,
       max_pending_registrations=None)

Every argument is keyword-only and optional: an omitted one comes from its DYN_REGISTRY_CLIENT_*
environment variable, else the library default (tcp://localhost:5555, tcp://localhost:5556, a
random client id, 5000 ms, protocol 2). A bad variable raises InvalidArgumentError naming it.
client_id is the lease owner: an int or any text (hashed); keep it stable across restarts.

Keys: a sequence of bytes (or ints, 8-byte little-endian u64 keys), a 1-D NumPy uint64 array, or
a 2-D uint8 array (n, width). Every blocking call releases the GIL; the *_async forms return an
asyncio future. Failures raise blockhub.Error subclasses. Use as a context manager (close()).)doc")
      .def(py::init(
          [](const py::kwargs& kw) { return std::make_unique<PyClient>(OptionsFrom(kw)); }))
      .def_static(
          "from_env", []() { return std::make_unique<PyClient>(OptionsFrom(py::kwargs())); },
          "A client configured by the DYN_REGISTRY_CLIENT_* variables only.")
      .def("can_offload", &PyClient::CanOffload, py::arg("keys"),
           "May this worker store these keys? -> CanOffloadResult (granted / already_stored / "
           "leased).")
      .def("can_offload_async", &PyClient::CanOffloadAsync, py::arg("keys"),
           "can_offload as an asyncio future (call from a coroutine: await it).")
      .def("can_offload_many", &PyClient::CanOffloadMany, py::arg("batches"),
           py::arg("inflight") = 16,
           "can_offload for many batches in one call: each item of batches is one request's "
           "keys; up to inflight requests are in flight at once, the GIL released while they "
           "run -> [CanOffloadResult] in the order given. The first failed request raises "
           "(after all have completed).")
      .def("register", &PyClient::Register, py::arg("entries"),
           "Fire-and-forget, batched registration of [(key, value, metadata), ...]. Blocks only "
           "under back-pressure (up to timeout_ms), then raises UnavailableError.")
      .def("register_sync", &PyClient::RegisterSync, py::arg("entries"),
           "Acknowledged registration (protocol 2) -> one RegisterStatus per entry.")
      .def("register_sync_async", &PyClient::RegisterSyncAsync, py::arg("entries"))
      .def("match", &PyClient::Match, py::arg("keys"), py::arg("prefix") = false,
           "Stored entries among keys, in request order -> [Entry(key, value, metadata)]. "
           "prefix=True: only the leading run (stops at the first miss).")
      .def("match_async", &PyClient::MatchAsync, py::arg("keys"), py::arg("prefix") = false)
      .def("remove", &PyClient::Remove, py::arg("keys"),
           "Deletes entries -> how many were removed.")
      .def("touch", &PyClient::Touch, py::arg("keys"),
           "Marks entries used (LRU) -> how many exist.")
      .def("renew", &PyClient::Renew, py::arg("keys"),
           "Extends this client's leases (protocol 2) -> per key RenewStatus (or a uint8 array).")
      .def("release", &PyClient::Release, py::arg("keys"),
           "Gives up this client's leases (protocol 2) -> how many were released.")
      .def("hello", &PyClient::Hello, py::arg("name") = py::none(),
           py::arg("metadata") = py::none(),
           "Introduces the client (protocol 2) -> HelloInfo; name defaults to the namespace.")
      .def("stats", &PyClient::Stats, "The hub's counters by name (protocol 2) -> dict.")
      .def("announce", &PyClient::Announce, py::arg("metadata") = py::none(),
           py::arg("ttl_ms") = 30000, py::arg("name") = py::none(),
           "Announces this client as a worker (protocol 2) with metadata (dict or 'k=v,k=v') "
           "for ttl_ms (0 withdraws) -> {member_id, ttl_ms, existed}.")
      .def("withdraw", &PyClient::Withdraw, "Withdraws this client's membership -> dict.")
      .def("members", &PyClient::Members, py::arg("filter") = py::none(),
           "The live workers (protocol 2), filtered by metadata (dict k -> v or None for "
           "presence, or 'k=v,k') -> list of dicts.")
      .def("multicast", &PyClient::Multicast, py::arg("payload"), py::arg("filter") = py::none(),
           "Sends payload (bytes, or str as UTF-8) to every worker the filter matches -> how "
           "many matched.")
      .def("flush", &PyClient::Flush,
           "Hands every registration accepted so far to the transport (not an acknowledgement).")
      .def("close", &PyClient::Close,
           "Flushes registrations (bounded by timeout_ms) and disconnects. Idempotent.")
      .def(
          "__enter__", [](PyClient& c) -> PyClient& { return c; },
          py::return_value_policy::reference)
      .def("__exit__",
           [](PyClient& c, py::args) {
             c.Close();
             return false;
           })
      .def_property_readonly(
          "client_id", [](PyClient& c) { return c.client().client_id(); },
          "The lease owner id (u64).")
      .def_property_readonly("protocol",
                             [](PyClient& c) { return static_cast<int>(c.client().protocol()); })
      .def_property_readonly(
          "epoch_changes", [](PyClient& c) { return c.client().epoch_changes(); },
          "How often the hub's epoch changed (hub restarts seen).")
      .def_property_readonly("counters", &PyClient::Counters, "The client library's counters.");
}

}  // namespace blockhub::python
