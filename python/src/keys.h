// Key and entry conversion between Python objects and the client library's owned strings.
//
// Keys come in three shapes (KeyShape):
//   kList      a sequence whose items are bytes-like (bytes, bytearray, memoryview) or ints
//              (an int is a u64 key: 8 bytes little-endian); results give back the very objects.
//   kU64Array  a 1-D buffer of 64-bit integers (a NumPy uint64 array): read through the buffer
//              protocol without a Python object per key; results are NumPy arrays.
//   kFixedArray a 2-D C-contiguous uint8 buffer (n, width): n fixed-width byte keys.
// Bad input raises StatusError(InvalidArgument) naming the offending index.
//
// Functions need the GIL. KeyInput is a value; its `originals` is a Python tuple.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <vector>

#include "client/block_entry.h"

namespace blockhub::python {

namespace py = pybind11;

enum class KeyShape : uint8_t { kList, kU64Array, kFixedArray };

struct KeyInput {
  KeyShape shape = KeyShape::kList;
  size_t width = 8;               // key bytes of an array shape
  std::vector<std::string> keys;  // what the client sends
  py::tuple originals;            // kList: the items as given
};

KeyInput ConvertKeys(py::handle obj);
// One key: bytes-like or a non-negative int below 2**64 (8 bytes little-endian).
std::string KeyFromObject(py::handle item, size_t index);
// [(key, value[, metadata]), ...] or Entry objects -> entries.
std::vector<BlockEntry> ConvertEntries(py::handle obj);

// The Python form of a key the hub returned, in the shape of the input: for kList the original
// item at `index`, for kU64Array an int, for kFixedArray bytes.
py::object KeyToObject(const KeyInput& in, const std::string& key, size_t index);
// Selected keys of the input (statuses[i] == wanted), in the input's shape: a list of the
// originals, a uint64 array, or an (n, width) uint8 array.
py::object SelectKeys(const KeyInput& in, const std::vector<uint8_t>& statuses, uint8_t wanted);
// Indices i with statuses[i] == wanted: a list (kList) or an intp array.
py::object SelectIndices(const KeyInput& in, const std::vector<uint8_t>& statuses, uint8_t wanted);
// Per-key statuses: a list of `enum_type` members (kList) or a uint8 array.
py::object StatusesObject(const KeyInput& in, const std::vector<uint8_t>& statuses,
                          py::handle enum_type);

}  // namespace blockhub::python
