// Encoding side of the wire codec (grammar: codec.cpp, codec/FORMAT.md).
//
// Each body is written by one template, run twice: first with a Sizer that only counts bytes and
// checks that every field fits its wire width, then with a Writer into space reserved once. So an
// encode that fails leaves `out` untouched, and a successful one allocates at most once (none
// when `out` already has the capacity) — never per element.
#include <fmt/format.h>

#include <cstring>
#include <limits>
#include <type_traits>

#include "codec/codec.h"
#include "common/bytes.h"

namespace blockhub {
namespace {

constexpr size_t kMaxLp16 = std::numeric_limits<uint16_t>::max();
constexpr size_t kMaxCount = std::numeric_limits<uint32_t>::max();

// Counts bytes; records the first field that cannot be expressed.
class Sizer {
 public:
  void U8(uint8_t) { size_ += 1; }
  void U16(uint16_t) { size_ += 2; }
  void U32(uint32_t) { size_ += 4; }
  void U64(uint64_t) { size_ += 8; }
  void Lp16(std::string_view b) {
    if (b.size() > kMaxLp16) Fail(fmt::format("a field of {} bytes exceeds lp16", b.size()));
    size_ += 2 + b.size();
  }
  void Count(size_t n) {
    if (n > kMaxCount) Fail(fmt::format("{} elements exceed a u32 count", n));
    size_ += 4;
  }
  void Fail(std::string why) {
    if (error_.ok()) error_ = InvalidArgumentError(std::move(why));
  }
  size_t size() const { return size_; }
  const Status& error() const { return error_; }

 private:
  size_t size_ = 0;
  Status error_;
};

// Writes into memory the Sizer has accounted for.
class Writer {
 public:
  explicit Writer(char* p) : p_(p) {}
  void U8(uint8_t v) { *p_++ = static_cast<char>(v); }
  void U16(uint16_t v) { Le(v); }
  void U32(uint32_t v) { Le(v); }
  void U64(uint64_t v) { Le(v); }
  void Lp16(std::string_view b) {
    U16(static_cast<uint16_t>(b.size()));
    if (!b.empty()) std::memcpy(p_, b.data(), b.size());
    p_ += b.size();
  }
  void Count(size_t n) { U32(static_cast<uint32_t>(n)); }
  void Fail(const std::string&) {}  // the Sizer pass already refused anything that fails

 private:
  template <typename T>
  void Le(T v) {
    std::memcpy(p_, &v, sizeof(T));  // little-endian host (common/CMakeLists.txt)
    p_ += sizeof(T);
  }
  char* p_;
};

template <typename S>
void PutKeys(S& s, const KeyList& keys) {
  s.Count(keys.size());
  for (std::string_view k : keys) s.Lp16(k);
}

template <typename S>
void PutEntries(S& s, const std::vector<Entry>& entries) {
  s.Count(entries.size());
  for (const Entry& e : entries) {
    s.Lp16(e.key);
    s.Lp16(e.value);
    s.Lp16(e.metadata);
  }
}

template <typename S>
void PutMetadata(S& s, const MemberMetadata& metadata) {
  s.Count(metadata.size());
  for (const MetadataPair& p : metadata) {
    if (p.key.empty()) s.Fail("a member metadata key is empty");
    s.Lp16(p.key);
    s.Lp16(p.value);
  }
}

template <typename S>
void PutFilter(S& s, const MemberFilter& filter) {
  s.Count(filter.size());
  for (const FilterTerm& t : filter) {
    if (t.key.empty()) s.Fail("a filter key is empty");
    s.Lp16(t.key);
    s.U8(t.value.has_value() ? 1 : 0);
    if (t.value) s.Lp16(*t.value);
  }
}

template <typename S, typename E>
void PutStatuses(S& s, const std::vector<E>& statuses, uint8_t max_value) {
  s.Count(statuses.size());
  for (E st : statuses) {
    auto v = static_cast<uint8_t>(st);
    if (v > max_value) s.Fail(fmt::format("status value {} is not defined", v));
    s.U8(v);
  }
}

template <typename S>
struct BodyPutter {
  S& s;
  ProtocolVersion version;

  void operator()(const Register& m) { PutEntries(s, m.entries); }
  void operator()(const RegisterSync& m) { PutEntries(s, m.entries); }
  void operator()(const CanOffload& m) { PutKeys(s, m.keys); }
  void operator()(const Match& m) {
    if (version == ProtocolVersion::kV2) {
      s.U8(static_cast<uint8_t>(m.mode));
      if (m.mode != MatchMode::kAll && m.mode != MatchMode::kLeadingRun) s.Fail("bad match mode");
    } else if (m.mode != MatchMode::kAll) {
      s.Fail("v1 Match has no mode: only MatchMode::kAll is expressible");
    }
    PutKeys(s, m.keys);
  }
  void operator()(const Remove& m) { PutKeys(s, m.keys); }
  void operator()(const Touch& m) { PutKeys(s, m.keys); }
  void operator()(const Renew& m) { PutKeys(s, m.keys); }
  void operator()(const Release& m) { PutKeys(s, m.keys); }
  void operator()(const Hello& m) {
    s.Lp16(m.client_name);
    s.Lp16(m.client_metadata);
  }
  void operator()(const Stats&) {}
  void operator()(const CanOffloadResponse& m) {
    if (version == ProtocolVersion::kV2) s.U32(m.lease_ttl_ms);
    PutStatuses(s, m.statuses, 2);
  }
  void operator()(const MatchResponse& m) { PutEntries(s, m.entries); }
  void operator()(const RemoveResponse& m) { s.U64(m.removed); }
  void operator()(const TouchResponse& m) { s.U64(m.touched); }
  void operator()(const ErrorResponse& m) {
    if (version == ProtocolVersion::kV2) {
      if (!IsWireCode(m.code)) s.Fail("ErrorResponse code is not a wire code (1..10)");
      s.U16(static_cast<uint16_t>(m.code));
    }
    s.Lp16(m.message);
  }
  void operator()(const RegisterSyncResponse& m) { PutStatuses(s, m.statuses, 2); }
  void operator()(const RenewResponse& m) { PutStatuses(s, m.statuses, 2); }
  void operator()(const ReleaseResponse& m) { s.U64(m.released); }
  void operator()(const HelloResponse& m) {
    s.U32(m.lease_ttl_ms);
    if (m.key_format > static_cast<uint8_t>(KeyFormat::kPositional)) s.Fail("bad key_format");
    s.U8(m.key_format);
    s.U32(m.max_batch_keys);
    s.U64(m.capacity);
    s.Lp16(m.hub_version);
  }
  void operator()(const StatsResponse& m) {
    s.Count(m.counters.size());
    for (const auto& [name, value] : m.counters) {
      s.Lp16(name);
      s.U64(value);
    }
  }
  void operator()(const Announce& m) {
    s.Lp16(m.name);
    s.U32(m.ttl_ms);
    PutMetadata(s, m.metadata);
  }
  void operator()(const AnnounceResponse& m) {
    s.U64(m.member_id);
    s.U32(m.ttl_ms);
    s.U8(m.existed ? 1 : 0);
  }
  void operator()(const Enumerate& m) { PutFilter(s, m.filter); }
  void operator()(const EnumerateResponse& m) {
    s.U64(m.now_ms);
    s.Count(m.members.size());
    for (const MemberInfo& info : m.members) {
      s.U64(info.member_id);
      s.U64(info.client_id);
      s.Lp16(info.name);
      PutMetadata(s, info.metadata);
      s.U64(info.announced_at_ms);
      s.U64(info.last_heard_ms);
      s.U32(info.ttl_ms);
    }
  }
  void operator()(const Multicast& m) {
    PutFilter(s, m.filter);
    s.Lp16(m.payload);
  }
  void operator()(const MulticastResponse& m) { s.U64(m.matched); }
};

template <typename S>
void PutMessage(S& s, const Message& msg, MessageType type) {
  s.U8(static_cast<uint8_t>(msg.version));
  s.U8(static_cast<uint8_t>(type));
  if (msg.version == ProtocolVersion::kV2) s.U64(IsRequestType(type) ? msg.client_id : msg.epoch);
  std::visit(BodyPutter<S>{s, msg.version}, msg.body);
}

}  // namespace

Status Encode(const Message& msg, std::string& out) {
  MessageType type = TypeOf(msg.body);
  if (msg.version != ProtocolVersion::kV1 && msg.version != ProtocolVersion::kV2) {
    return InvalidArgumentError(
        fmt::format("protocol version {} does not exist", static_cast<int>(msg.version)));
  }
  if (msg.version == ProtocolVersion::kV1 && IsV2OnlyType(type)) {
    return InvalidArgumentError(
        fmt::format("{} does not exist in protocol version 1", MessageTypeName(type)));
  }
  Sizer sizer;
  PutMessage(sizer, msg, type);
  if (!sizer.error().ok()) return sizer.error();
  size_t old_size = out.size();
  out.resize(old_size + sizer.size());
  Writer writer(out.data() + old_size);
  PutMessage(writer, msg, type);
  return Status::Ok();
}

Status EncodeQueryFrame(uint32_t request_id, const Message& msg, std::string& out) {
  size_t old_size = out.size();
  ByteWriter(out).U32(request_id);
  Status s = Encode(msg, out);
  if (!s.ok()) out.resize(old_size);
  return s;
}

ProtocolVersion ReplyVersionFor(std::string_view message_bytes) {
  return !message_bytes.empty() && message_bytes[0] == 2 ? ProtocolVersion::kV2
                                                         : ProtocolVersion::kV1;
}

Message MakeErrorResponse(ProtocolVersion version, uint64_t epoch, const Status& error) {
  // Local codes (timeouts, I/O) never go on the wire: the peer sees `internal`.
  StatusCode code = IsWireCode(error.code()) ? error.code() : StatusCode::kInternal;
  // v1 has no code field, so its text carries the code name ("malformed: …").
  std::string text = version == ProtocolVersion::kV1 ? error.ToString() : error.message();
  constexpr size_t kMaxErrorText = 1024;  // well inside lp16; cut on a UTF-8 boundary
  if (text.size() > kMaxErrorText) {
    size_t cut = kMaxErrorText;
    while (cut > 0 && (static_cast<uint8_t>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
  }
  Message msg;
  msg.version = version;
  msg.epoch = version == ProtocolVersion::kV2 ? epoch : 0;
  msg.body = ErrorResponse{code, std::move(text)};
  return msg;
}

}  // namespace blockhub
