// Little-endian byte helpers for the wire codec and the write-ahead log.
//
// ByteWriter appends to a caller-owned std::string (reuse it across messages: clear() keeps the
// capacity, so steady-state encoding does not allocate). ByteReader walks a borrowed byte range and
// never reads past its end: every Read* returns false (and consumes nothing) when too few bytes
// remain. Both are cheap value types; not thread-safe (one owner).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace blockhub {

using Bytes = std::string;           // owned bytes (std::string is the byte buffer of choice)
using BytesView = std::string_view;  // borrowed bytes

class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) : out_(out) {}

  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U16(uint16_t v) { Le(v); }
  void U32(uint32_t v) { Le(v); }
  void U64(uint64_t v) { Le(v); }
  void Raw(BytesView b) { out_.append(b.data(), b.size()); }
  // lp16: u16 length then the bytes. The caller guarantees b.size() <= 65535.
  void Lp16(BytesView b) {
    U16(static_cast<uint16_t>(b.size()));
    Raw(b);
  }
  size_t size() const { return out_.size(); }
  // Overwrites 4 bytes at `pos` (for counts known only after the elements are written).
  void PatchU32(size_t pos, uint32_t v) {
    for (int i = 0; i < 4; ++i) out_[pos + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  }

 private:
  template <typename T>
  void Le(T v) {
    char buf[sizeof(T)];
    for (size_t i = 0; i < sizeof(T); ++i) buf[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    out_.append(buf, sizeof(T));
  }
  std::string& out_;
};

class ByteReader {
 public:
  explicit ByteReader(BytesView data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  bool empty() const { return remaining() == 0; }

  bool U8(uint8_t& v) { return Le(v); }
  bool U16(uint16_t& v) { return Le(v); }
  bool U32(uint32_t& v) { return Le(v); }
  bool U64(uint64_t& v) { return Le(v); }
  // Borrows n bytes (a view into the underlying data).
  bool Raw(size_t n, BytesView& out) {
    if (remaining() < n) return false;
    out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool Skip(size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }

 private:
  template <typename T>
  bool Le(T& v) {
    if (remaining() < sizeof(T)) return false;
    T r = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      r |= static_cast<T>(static_cast<T>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i));
    }
    v = r;
    pos_ += sizeof(T);
    return true;
  }
  BytesView data_;
  size_t pos_ = 0;
};

// Fixed-width little-endian load/store on raw memory (keys stored inline, WAL headers).
inline uint64_t LoadU64(const void* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;  // the project targets little-endian hosts (x86-64, aarch64); see common/CMakeLists.txt
}
inline uint32_t LoadU32(const void* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline void StoreU64(void* p, uint64_t v) { std::memcpy(p, &v, 8); }
inline void StoreU32(void* p, uint32_t v) { std::memcpy(p, &v, 4); }

// "0a0b…" lowercase hex, and its inverse (false on odd length or a non-hex digit).
std::string ToHex(BytesView b);
bool FromHex(std::string_view hex, std::string& out);

}  // namespace blockhub
