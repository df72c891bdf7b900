// Errors of the Python binding: the blockhub.Error hierarchy (created once at module import) and
// the C++ exception that carries a Status to it. A Status becomes an exception object of the class
// its origin and code select (MakeError), with .code (the Status code name), .message and, for hub
// errors, .hub_code (the protocol's error code, None for a protocol 1 hub).
//
// The class objects are module-lifetime globals set by InitErrors; use them with the GIL held.
#pragma once

#include <pybind11/pybind11.h>

#include <stdexcept>
#include <string>

#include "common/status.h"

namespace blockhub::python {

namespace py = pybind11;

// Thrown by binding code; translated to the matching blockhub.Error subclass.
class StatusError : public std::runtime_error {
 public:
  explicit StatusError(Status s) : std::runtime_error(s.ToString()), status_(std::move(s)) {}
  const Status& status() const { return status_; }

 private:
  Status status_;
};

[[noreturn]] inline void ThrowInvalid(std::string message) {
  throw StatusError(InvalidArgumentError(std::move(message)));
}

// Creates Error, TimeoutError, HubError, InvalidArgumentError, UnavailableError in `m` and
// registers the translator of StatusError.
void InitErrors(py::module_& m);

// The exception object for a non-ok status (GIL held).
py::object MakeError(const Status& s);

}  // namespace blockhub::python
