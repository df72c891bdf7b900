#include "keys.h"

#include <pybind11/numpy.h>

#include <cstring>

#include "errors.h"

namespace blockhub::python {
namespace {

bool IsBytesLike(py::handle o) {
  return PyBytes_Check(o.ptr()) || PyByteArray_Check(o.ptr()) || PyMemoryView_Check(o.ptr());
}

std::string BytesOf(py::handle o, const char* what, size_t index) {
  if (PyBytes_Check(o.ptr())) {
    return std::string(PyBytes_AS_STRING(o.ptr()), static_cast<size_t>(PyBytes_GET_SIZE(o.ptr())));
  }
  if (PyByteArray_Check(o.ptr())) {
    return std::string(PyByteArray_AS_STRING(o.ptr()),
                       static_cast<size_t>(PyByteArray_GET_SIZE(o.ptr())));
  }
  if (PyMemoryView_Check(o.ptr()))
    return std::string(py::bytes(py::reinterpret_borrow<py::object>(o)));
  ThrowInvalid(std::string(what) + " " + std::to_string(index) + ": expected bytes, got " +
               std::string(py::str(o.get_type().attr("__name__"))));
}

std::string U64Key(uint64_t v) {
  std::string k(8, '\0');
  std::memcpy(k.data(), &v, 8);  // little-endian host (common/CMakeLists.txt checks)
  return k;
}

uint64_t LoadU64(const std::string& k) {
  uint64_t v = 0;
  std::memcpy(&v, k.data(), k.size() < 8 ? k.size() : 8);
  return v;
}

// A 1-D buffer of 64-bit integers, or a 2-D uint8 buffer.
void ConvertBuffer(py::handle obj, KeyInput& in) {
  py::buffer_info info = py::reinterpret_borrow<py::buffer>(obj).request();
  std::string fmt = info.format;
  bool swap = false;
  if (!fmt.empty() && (fmt[0] == '>' || fmt[0] == '!')) swap = true;
  if (!fmt.empty() && std::strchr("@=<>!", fmt[0]) != nullptr) fmt.erase(0, 1);
  const auto* base = static_cast<const char*>(info.ptr);
  if (info.ndim == 1 && info.itemsize == 8 &&
      (fmt == "Q" || fmt == "L" || fmt == "q" || fmt == "l")) {
    const bool is_signed = fmt == "q" || fmt == "l";
    in.shape = KeyShape::kU64Array;
    in.keys.reserve(static_cast<size_t>(info.shape[0]));
    for (py::ssize_t i = 0; i < info.shape[0]; ++i) {
      uint64_t v;
      std::memcpy(&v, base + i * info.strides[0], 8);
      if (swap) v = __builtin_bswap64(v);
      if (is_signed && static_cast<int64_t>(v) < 0) {
        ThrowInvalid("key " + std::to_string(i) + ": negative value for a u64 key");
      }
      in.keys.push_back(U64Key(v));
    }
    return;
  }
  if (info.ndim == 2 && info.itemsize == 1 && (fmt == "B" || fmt == "b" || fmt == "c")) {
    in.shape = KeyShape::kFixedArray;
    in.width = static_cast<size_t>(info.shape[1]);
    if (in.width == 0) ThrowInvalid("keys: a key array of width 0");
    in.keys.reserve(static_cast<size_t>(info.shape[0]));
    for (py::ssize_t i = 0; i < info.shape[0]; ++i) {
      std::string k(in.width, '\0');
      for (size_t j = 0; j < in.width; ++j) {
        k[j] = base[i * info.strides[0] + static_cast<py::ssize_t>(j) * info.strides[1]];
      }
      in.keys.push_back(std::move(k));
    }
    return;
  }
  ThrowInvalid("keys: an array of keys must be 1-D 64-bit integers (uint64) or 2-D uint8, got " +
               std::to_string(info.ndim) + "-D of format '" + info.format + "'");
}

}  // namespace

std::string KeyFromObject(py::handle item, size_t index) {
  if (IsBytesLike(item)) return BytesOf(item, "key", index);
  if (PyIndex_Check(item.ptr())) {
    py::object n = py::reinterpret_steal<py::object>(PyNumber_Index(item.ptr()));
    if (!n) throw py::error_already_set();
    unsigned long long v = PyLong_AsUnsignedLongLong(n.ptr());
    if (v == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
      PyErr_Clear();
      ThrowInvalid("key " + std::to_string(index) + ": an int key must be in [0, 2**64)");
    }
    return U64Key(v);
  }
  ThrowInvalid("key " + std::to_string(index) + ": expected bytes or int, got " +
               std::string(py::str(item.get_type().attr("__name__"))));
}

KeyInput ConvertKeys(py::handle obj) {
  KeyInput in;
  if (PyBytes_Check(obj.ptr()) || PyByteArray_Check(obj.ptr()) || PyUnicode_Check(obj.ptr())) {
    ThrowInvalid("keys must be a sequence of keys (or an array), not a single bytes/str object");
  }
  if (PyObject_CheckBuffer(obj.ptr())) {
    ConvertBuffer(obj, in);
    return in;
  }
  if (!PySequence_Check(obj.ptr()) && !PyObject_HasAttrString(obj.ptr(), "__iter__")) {
    ThrowInvalid("keys must be a sequence of bytes or ints, or a uint64 array");
  }
  in.originals = py::reinterpret_steal<py::tuple>(PySequence_Tuple(obj.ptr()));
  if (!in.originals) throw py::error_already_set();
  in.keys.reserve(in.originals.size());
  for (size_t i = 0; i < in.originals.size(); ++i) {
    in.keys.push_back(KeyFromObject(in.originals[i], i));
  }
  return in;
}

std::vector<BlockEntry> ConvertEntries(py::handle obj) {
  if (PyBytes_Check(obj.ptr()) || PyUnicode_Check(obj.ptr())) {
    ThrowInvalid("entries must be a sequence of (key, value, metadata) tuples");
  }
  py::tuple items = py::reinterpret_steal<py::tuple>(PySequence_Tuple(obj.ptr()));
  if (!items) {
    PyErr_Clear();
    ThrowInvalid("entries must be a sequence of (key, value, metadata) tuples");
  }
  std::vector<BlockEntry> out;
  out.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    py::handle e = items[i];
    if (!PyTuple_Check(e.ptr()) || PyTuple_GET_SIZE(e.ptr()) < 2 || PyTuple_GET_SIZE(e.ptr()) > 3) {
      ThrowInvalid("entry " + std::to_string(i) +
                   ": expected a (key, value) or (key, value, metadata) tuple or an Entry");
    }
    py::tuple t = py::reinterpret_borrow<py::tuple>(e);
    BlockEntry b;
    b.key = KeyFromObject(t[0], i);
    b.value = BytesOf(t[1], "value of entry", i);
    if (t.size() == 3 && !t[2].is_none()) b.metadata = BytesOf(t[2], "metadata of entry", i);
    out.push_back(std::move(b));
  }
  return out;
}

py::object KeyToObject(const KeyInput& in, const std::string& key, size_t index) {
  switch (in.shape) {
    case KeyShape::kList:
      return py::reinterpret_borrow<py::object>(in.originals[index]);
    case KeyShape::kU64Array:
      return py::int_(LoadU64(key));
    case KeyShape::kFixedArray:
      break;
  }
  return py::bytes(key);
}

py::object SelectKeys(const KeyInput& in, const std::vector<uint8_t>& statuses, uint8_t wanted) {
  size_t n = 0;
  for (uint8_t s : statuses) n += s == wanted;
  if (in.shape == KeyShape::kList) {
    py::list out(n);
    size_t j = 0;
    for (size_t i = 0; i < statuses.size(); ++i) {
      if (statuses[i] == wanted) out[j++] = in.originals[i];
    }
    return out;
  }
  if (in.shape == KeyShape::kU64Array) {
    py::array_t<uint64_t> out(static_cast<py::ssize_t>(n));
    uint64_t* p = out.mutable_data();
    for (size_t i = 0; i < statuses.size(); ++i) {
      if (statuses[i] == wanted) *p++ = LoadU64(in.keys[i]);
    }
    return out;
  }
  py::array_t<uint8_t> out({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(in.width)});
  auto* p = reinterpret_cast<char*>(out.mutable_data());
  for (size_t i = 0; i < statuses.size(); ++i) {
    if (statuses[i] != wanted) continue;
    std::memcpy(p, in.keys[i].data(), in.width);
    p += in.width;
  }
  return out;
}

py::object SelectIndices(const KeyInput& in, const std::vector<uint8_t>& statuses, uint8_t wanted) {
  std::vector<py::ssize_t> idx;
  for (size_t i = 0; i < statuses.size(); ++i) {
    if (statuses[i] == wanted) idx.push_back(static_cast<py::ssize_t>(i));
  }
  if (in.shape == KeyShape::kList) {
    py::list out(idx.size());
    for (size_t j = 0; j < idx.size(); ++j) out[j] = py::int_(idx[j]);
    return out;
  }
  py::array_t<py::ssize_t> out(static_cast<py::ssize_t>(idx.size()));
  if (!idx.empty()) std::memcpy(out.mutable_data(), idx.data(), idx.size() * sizeof(py::ssize_t));
  return out;
}

py::object StatusesObject(const KeyInput& in, const std::vector<uint8_t>& statuses,
                          py::handle enum_type) {
  if (in.shape == KeyShape::kList) {
    py::list out(statuses.size());
    for (size_t i = 0; i < statuses.size(); ++i) out[i] = enum_type(statuses[i]);
    return out;
  }
  py::array_t<uint8_t> out(static_cast<py::ssize_t>(statuses.size()));
  if (!statuses.empty()) std::memcpy(out.mutable_data(), statuses.data(), statuses.size());
  return out;
}

}  // namespace blockhub::python
