// The extension module blockhub._native: errors, result types, Client (docstrings here; the
// package's __init__.pyi carries the types).
#include <fmt/format.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "client/client_options.h"
#include "errors.h"
#include "py_client.h"

namespace blockhub::python {
namespace {

py::handle g_error, g_timeout, g_hub, g_invalid, g_unavailable;

py::handle NewClass(py::module_& m, const char* name, py::tuple bases, const char* doc) {
  std::string full = std::string("blockhub.") + name;
  PyObject* cls = PyErr_NewExceptionWithDoc(full.c_str(), doc, bases.ptr(), nullptr);
  if (cls == nullptr) throw py::error_already_set();
  m.add_object(name, py::handle(cls));  // steals nothing: add_object increfs
  return cls;                           // our reference: module lifetime
}

py::handle IntEnum(py::module_& m, const char* name, std::vector<std::pair<const char*, int>> v,
                   const char* doc) {
  py::list members;
  for (auto& [n, i] : v) members.append(py::make_tuple(n, i));
  py::object e = py::module_::import("enum").attr("IntEnum")(name, members);
  e.attr("__module__") = "blockhub";
  e.attr("__doc__") = doc;
  m.add_object(name, e);
  return e.release();
}

py::handle NamedTuple(py::module_& m, const char* name, std::vector<const char*> fields,
                      const char* doc) {
  py::list f;
  for (const char* n : fields) f.append(n);
  py::object t = py::module_::import("collections").attr("namedtuple")(name, f);
  t.attr("__module__") = "blockhub";
  t.attr("__doc__") = doc;
  m.add_object(name, t);
  return t.release();
}

std::optional<std::string> OptString(const py::kwargs& kw, const char* name) {
  if (!kw.contains(name) || kw[name].is_none()) return std::nullopt;
  if (!PyUnicode_Check(kw[name].ptr())) ThrowInvalid(std::string(name) + " must be a str");
  return kw[name].cast<std::string>();
}

std::optional<uint64_t> OptU64(const py::kwargs& kw, const char* name, uint64_t min, uint64_t max) {
  if (!kw.contains(name) || kw[name].is_none()) return std::nullopt;
  py::handle v = kw[name];
  if (!PyLong_Check(v.ptr()) || PyBool_Check(v.ptr()))
    ThrowInvalid(std::string(name) + " must be an int");
  unsigned long long n = PyLong_AsUnsignedLongLong(v.ptr());
  if (PyErr_Occurred() || n < min || n > max) {
    PyErr_Clear();
    ThrowInvalid(fmt::format("{} must be in [{}, {}]", name, min, max));
  }
  return n;
}

constexpr const char* kOptionNames[] = {
    "query_addr", "register_addr", "client_id",        "timeout_ms", "protocol",
    "namespace",  "batch_size",    "batch_timeout_ms", "hwm",        "max_pending_registrations",
    "local_cache", "local_cache_ttl_ms", "events_addr", "member_ttl_ms"};

}  // namespace

py::object MakeError(const Status& s) {
  py::handle cls = g_error;
  const bool from_hub = (IsWireCode(s.code()) || s.code() == StatusCode::kRemoteError) &&
                        s.message().rfind("hub: ", 0) == 0;
  if (from_hub) {
    cls = g_hub;
  } else if (s.code() == StatusCode::kTimeout) {
    cls = g_timeout;
  } else if (s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kTooLarge ||
             s.code() == StatusCode::kBadKey) {
    cls = g_invalid;
  } else if (s.code() == StatusCode::kUnavailable) {
    cls = g_unavailable;
  }
  py::object e = cls(s.ToString());
  e.attr("code") = std::string(StatusCodeName(s.code()));
  e.attr("message") = s.message();
  if (from_hub) {
    e.attr("hub_code") = IsWireCode(s.code()) ? py::object(py::int_(static_cast<int>(s.code())))
                                              : py::object(py::none());
  }
  return e;
}

void InitErrors(py::module_& m) {
  g_error = NewClass(m, "Error", py::make_tuple(py::handle(PyExc_Exception)),
                     "Base class of every blockhub failure. .code: the status code name "
                     "('timeout', 'bad_key', ...); .message: the text.");
  g_timeout = NewClass(m, "TimeoutError", py::make_tuple(g_error, py::handle(PyExc_TimeoutError)),
                       "A request got no reply within the client's timeout_ms.");
  g_hub = NewClass(m, "HubError", py::make_tuple(g_error),
                   "The hub answered with an ErrorResponse. .hub_code: the protocol's error code "
                   "(e.g. 5 = bad_key; None from a protocol 1 hub).");
  g_invalid =
      NewClass(m, "InvalidArgumentError", py::make_tuple(g_error, py::handle(PyExc_ValueError)),
               "A bad argument or setting, found before anything was sent.");
  g_unavailable =
      NewClass(m, "UnavailableError", py::make_tuple(g_error, py::handle(PyExc_ConnectionError)),
               "The client is closed, or registrations could not be queued in time.");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const StatusError& e) {
      py::object err = MakeError(e.status());
      PyErr_SetObject(err.get_type().ptr(), err.ptr());
    }
  });
}

ClientOptions OptionsFrom(const py::kwargs& kw) {
  for (auto item : kw) {
    std::string k = py::str(item.first);
    bool known = false;
    for (const char* n : kOptionNames) known = known || k == n;
    if (!known) ThrowInvalid("Client() got an unexpected keyword argument '" + k + "'");
  }
  Result<ClientOptions> env = ClientOptions::FromEnv();
  if (!env) throw StatusError(env.error());
  ClientOptions o = std::move(*env);
  if (auto v = OptString(kw, "query_addr")) o.query_addr = *v;
  if (auto v = OptString(kw, "register_addr")) o.register_addr = *v;
  if (auto v = OptString(kw, "namespace")) o.ns = *v;
  if (kw.contains("client_id") && !kw["client_id"].is_none()) {
    py::handle v = kw["client_id"];
    if (PyUnicode_Check(v.ptr())) {
      Result<uint64_t> id = ParseClientId(v.cast<std::string>());
      if (!id) throw StatusError(InvalidArgumentError("client_id: " + id.error().message()));
      o.client_id = *id;
    } else {
      o.client_id = *OptU64(kw, "client_id", 1, UINT64_MAX);
    }
  }
  if (auto v = OptU64(kw, "timeout_ms", 1, 86'400'000))
    o.request_timeout = std::chrono::milliseconds(*v);
  if (auto v = OptU64(kw, "protocol", 1, 2)) o.protocol = static_cast<ProtocolVersion>(*v);
  if (auto v = OptU64(kw, "batch_size", 1, 1u << 20)) o.batch_size = static_cast<uint32_t>(*v);
  if (auto v = OptU64(kw, "batch_timeout_ms", 1, 3'600'000))
    o.batch_timeout = std::chrono::milliseconds(*v);
  if (auto v = OptU64(kw, "hwm", 0, 1u << 30)) o.hwm = static_cast<int>(*v);
  if (auto v = OptU64(kw, "max_pending_registrations", 1, 1ull << 32))
    o.max_pending_registrations = *v;
  if (o.max_pending_registrations < o.batch_size) o.max_pending_registrations = o.batch_size;
  if (auto v = OptU64(kw, "local_cache", 0, 1u << 30)) o.local_cache_entries = *v;
  if (auto v = OptU64(kw, "local_cache_ttl_ms", 1, 86'400'000))
    o.local_cache_ttl = std::chrono::milliseconds(*v);
  if (auto v = OptString(kw, "events_addr")) o.events_addr = *v;
  if (auto v = OptU64(kw, "member_ttl_ms", 0, 86'400'000)) {
    o.member_ttl = std::chrono::milliseconds(*v);
  }
  if (Status s = o.Validate(); !s.ok()) throw StatusError(s);
  return o;
}

}  // namespace blockhub::python

PYBIND11_MODULE(_native, m) {
  using namespace blockhub::python;
  m.doc() = "blockhub's native client binding (use the blockhub package).";
  m.attr("__version__") = BLOCKHUB_VERSION;
  InitErrors(m);
  ModuleTypes& t = Types();
  t.offload_status =
      IntEnum(m, "OffloadStatus", {{"GRANTED", 0}, {"ALREADY_STORED", 1}, {"LEASED", 2}},
              "Per-key answer of can_offload.");
  t.register_status =
      IntEnum(m, "RegisterStatus", {{"STORED", 0}, {"ALREADY_STORED", 1}, {"REJECTED", 2}},
              "Per-entry answer of register_sync.");
  t.renew_status =
      IntEnum(m, "RenewStatus", {{"RENEWED", 0}, {"NOT_HELD", 1}, {"ALREADY_STORED", 2}},
              "Per-key answer of renew.");
  t.entry =
      NamedTuple(m, "Entry", {"key", "value", "metadata"},
                 "A stored block: key (as given), value (bytes), metadata (bytes, b'' = none).");
  t.hello_info = NamedTuple(
      m, "HelloInfo", {"lease_ttl_ms", "key_format", "max_batch_keys", "capacity", "hub_version"},
      "The hub's answer to hello().");
  BindClient(m);
}
