// Text rendering of messages and of Dynamo's value/metadata layouts (PROTOCOL.md §6).
// A layout is recognised only when the bytes parse exactly (no bytes left over).
#include "codec/printers.h"

#include <fmt/format.h>

#include "common/bytes.h"

namespace blockhub {
namespace {

constexpr size_t kTimestampMetadataBytes = 12;  // created_at u64, ttl_secs u32
constexpr size_t kPositionMetadataBytes = 24;   // position u32, parent u64, length u32, created u64

// "…" with printable ASCII kept, quotes/backslashes escaped, everything else as \xNN.
std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  out.push_back('"');
  return out;
}

std::string OrNone(uint64_t v) { return v == 0 ? std::string("none") : std::to_string(v); }

std::optional<StorageLocation> ParseStorageLocation(std::string_view b) {
  ByteReader r(b);
  StorageLocation v;
  uint32_t path_len;
  std::string_view path;
  if (!r.U8(v.backend) || v.backend > 1 || !r.U32(path_len) || !r.Raw(path_len, path) ||
      !r.U64(v.size_bytes) || !r.empty()) {
    return std::nullopt;
  }
  v.path.assign(path);
  return v;
}

std::optional<RemoteKey> ParseRemoteKey(std::string_view b) {
  ByteReader r(b);
  uint8_t variant;
  uint16_t len;
  std::string_view bucket, key;
  if (!r.U8(variant) || variant != 0 || !r.U16(len) || !r.Raw(len, bucket) || !r.U16(len) ||
      !r.Raw(len, key) || !r.empty()) {
    return std::nullopt;
  }
  return RemoteKey{std::string(bucket), std::string(key)};
}

std::string RenderKeys(const KeyList& keys, KeyFormat f) {
  std::string out = fmt::format(", {} keys", keys.size());
  for (size_t i = 0; i < keys.size(); ++i)
    out += fmt::format("\n  [{}] {}", i, FormatKey(f, keys[i]));
  return out;
}

std::string RenderEntries(const std::vector<Entry>& entries, KeyFormat f) {
  std::string out = fmt::format(", {} entries", entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    out += fmt::format("\n  [{}] key={} value={} metadata={}", i, FormatKey(f, entries[i].key),
                       RenderValue(entries[i].value), RenderMetadata(entries[i].metadata));
  }
  return out;
}

template <typename E>
std::string RenderStatuses(const std::vector<E>& statuses, const char* const (&names)[3]) {
  std::string out = fmt::format(", {} statuses", statuses.size());
  for (size_t i = 0; i < statuses.size(); ++i) {
    auto v = static_cast<uint8_t>(statuses[i]);
    out += fmt::format("\n  [{}] {}", i, v < 3 ? names[v] : "?");
  }
  return out;
}

std::string RenderPairs(const MemberMetadata& metadata) {
  std::string out;
  for (const MetadataPair& p : metadata) {
    out += fmt::format(" {}={}", Quoted(p.key), Quoted(p.value));
  }
  return out;
}

std::string RenderFilter(const MemberFilter& filter) {
  std::string out = fmt::format(", {} filter terms", filter.size());
  for (const FilterTerm& t : filter) {
    out += t.value ? fmt::format("\n  {}={}", Quoted(t.key), Quoted(*t.value))
                   : fmt::format("\n  {} present", Quoted(t.key));
  }
  return out;
}

struct BodyRenderer {
  KeyFormat f;
  bool v2;  // v1 has no lease_ttl_ms and no error code on the wire
  std::string operator()(const Register& m) { return RenderEntries(m.entries, f); }
  std::string operator()(const RegisterSync& m) { return RenderEntries(m.entries, f); }
  std::string operator()(const CanOffload& m) { return RenderKeys(m.keys, f); }
  std::string operator()(const Match& m) {
    return fmt::format(", mode={}", m.mode == MatchMode::kAll ? "all" : "leading_run") +
           RenderKeys(m.keys, f);
  }
  std::string operator()(const Remove& m) { return RenderKeys(m.keys, f); }
  std::string operator()(const Touch& m) { return RenderKeys(m.keys, f); }
  std::string operator()(const Renew& m) { return RenderKeys(m.keys, f); }
  std::string operator()(const Release& m) { return RenderKeys(m.keys, f); }
  std::string operator()(const Hello& m) {
    return fmt::format("\n  client_name={}\n  client_metadata={}", Quoted(m.client_name),
                       Quoted(m.client_metadata));
  }
  std::string operator()(const Stats&) { return ""; }
  std::string operator()(const CanOffloadResponse& m) {
    static const char* const kNames[3] = {"Granted", "AlreadyStored", "Leased"};
    return (v2 ? fmt::format(", lease_ttl_ms={}", m.lease_ttl_ms) : std::string()) +
           RenderStatuses(m.statuses, kNames);
  }
  std::string operator()(const MatchResponse& m) { return RenderEntries(m.entries, f); }
  std::string operator()(const RemoveResponse& m) { return fmt::format(", removed={}", m.removed); }
  std::string operator()(const TouchResponse& m) { return fmt::format(", touched={}", m.touched); }
  std::string operator()(const ErrorResponse& m) {
    return (v2 ? fmt::format(", code={}", StatusCodeName(m.code)) : std::string()) +
           fmt::format("\n  message={}", Quoted(m.message));
  }
  std::string operator()(const RegisterSyncResponse& m) {
    static const char* const kNames[3] = {"Stored", "AlreadyStored", "Rejected"};
    return RenderStatuses(m.statuses, kNames);
  }
  std::string operator()(const RenewResponse& m) {
    static const char* const kNames[3] = {"Renewed", "NotHeld", "AlreadyStored"};
    return RenderStatuses(m.statuses, kNames);
  }
  std::string operator()(const ReleaseResponse& m) {
    return fmt::format(", released={}", m.released);
  }
  std::string operator()(const HelloResponse& m) {
    std::string_view format = m.key_format <= static_cast<uint8_t>(KeyFormat::kPositional)
                                  ? KeyFormatName(static_cast<KeyFormat>(m.key_format))
                                  : "?";
    return fmt::format(
        "\n  lease_ttl_ms={}\n  key_format={}\n  max_batch_keys={}\n  capacity={}\n  "
        "hub_version={}",
        m.lease_ttl_ms, format, m.max_batch_keys, m.capacity, Quoted(m.hub_version));
  }
  std::string operator()(const StatsResponse& m) {
    std::string out = fmt::format(", {} counters", m.counters.size());
    for (const auto& [name, value] : m.counters)
      out += fmt::format("\n  {}={}", Quoted(name), value);
    return out;
  }
  std::string operator()(const Announce& m) {
    return fmt::format(", ttl_ms={}\n  name={}\n  metadata:{}", m.ttl_ms, Quoted(m.name),
                       RenderPairs(m.metadata));
  }
  std::string operator()(const AnnounceResponse& m) {
    return fmt::format(", member_id=0x{:016x}, ttl_ms={}, existed={}", m.member_id, m.ttl_ms,
                       m.existed);
  }
  std::string operator()(const Enumerate& m) { return RenderFilter(m.filter); }
  std::string operator()(const EnumerateResponse& m) {
    std::string out = fmt::format(", now_ms={}, {} members", m.now_ms, m.members.size());
    for (const MemberInfo& info : m.members) {
      out += fmt::format(
          "\n  member_id=0x{:016x} client_id=0x{:016x} name={} announced_at_ms={} "
          "last_heard_ms={} ttl_ms={} metadata:{}",
          info.member_id, info.client_id, Quoted(info.name), info.announced_at_ms,
          info.last_heard_ms, info.ttl_ms, RenderPairs(info.metadata));
    }
    return out;
  }
  std::string operator()(const Multicast& m) {
    return RenderFilter(m.filter) + fmt::format("\n  payload={}", Quoted(m.payload));
  }
  std::string operator()(const MulticastResponse& m) {
    return fmt::format(", matched={}", m.matched);
  }
};

}  // namespace

std::string RenderValue(std::string_view value) {
  if (value.size() == 8) return fmt::format("u64 {}", LoadU64(value.data()));
  if (auto loc = ParseStorageLocation(value)) {
    return fmt::format("StorageLocation{{backend={}, path={}, size_bytes={}}}",
                       loc->backend == 0 ? "Object" : "Disk", Quoted(loc->path), loc->size_bytes);
  }
  if (auto rk = ParseRemoteKey(value)) {
    return fmt::format("RemoteKey::Object{{bucket={}, key={}}}", Quoted(rk->bucket),
                       Quoted(rk->key));
  }
  return "hex:" + ToHex(value);
}

std::string RenderMetadata(std::string_view metadata) {
  if (metadata.empty()) return "none";
  if (metadata.size() == kTimestampMetadataBytes) {
    return fmt::format("TimestampMetadata{{created_at={}, ttl_secs={}}}", LoadU64(metadata.data()),
                       OrNone(LoadU32(metadata.data() + 8)));
  }
  if (auto pm = DecodePositionMetadata(metadata)) {
    return fmt::format(
        "PositionMetadata{{position={}, parent_hash={}, sequence_length={}, created_at={}}}",
        pm->position, pm->parent_hash == 0 ? "none" : fmt::format("0x{:016x}", pm->parent_hash),
        OrNone(pm->sequence_length), pm->created_at);
  }
  return "hex:" + ToHex(metadata);
}

std::string RenderMessage(const Message& msg, KeyFormat key_format) {
  MessageType type = TypeOf(msg.body);
  std::string out = fmt::format("v{} {}", static_cast<int>(msg.version), MessageTypeName(type));
  if (msg.version == ProtocolVersion::kV2) {
    out += IsRequestType(type) ? fmt::format(" client_id=0x{:016x}", msg.client_id)
                               : fmt::format(" epoch=0x{:016x}", msg.epoch);
  }
  out += std::visit(BodyRenderer{key_format, msg.version == ProtocolVersion::kV2}, msg.body);
  return out;
}

std::string EncodeStorageLocation(const StorageLocation& v) {
  std::string out;
  ByteWriter w(out);
  w.U8(v.backend);
  w.U32(static_cast<uint32_t>(v.path.size()));
  w.Raw(v.path);
  w.U64(v.size_bytes);
  return out;
}

std::string EncodeRemoteKey(const RemoteKey& v) {
  std::string out;
  ByteWriter w(out);
  w.U8(0);  // variant Object
  w.Lp16(v.bucket);
  w.Lp16(v.key);
  return out;
}

std::string EncodePositionMetadata(const PositionMetadata& v) {
  std::string out;
  ByteWriter w(out);
  w.U32(v.position);
  w.U64(v.parent_hash);
  w.U32(v.sequence_length);
  w.U64(v.created_at);
  return out;
}

std::optional<PositionMetadata> DecodePositionMetadata(std::string_view bytes) {
  if (bytes.size() != kPositionMetadataBytes) return std::nullopt;
  ByteReader r(bytes);
  PositionMetadata v;
  if (!r.U32(v.position) || !r.U64(v.parent_hash) || !r.U32(v.sequence_length) ||
      !r.U64(v.created_at)) {
    return std::nullopt;
  }
  return v;
}

}  // namespace blockhub
