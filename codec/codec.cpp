// Decoding side of the wire codec, and the grammar it enforces (PROTOCOL.md; codec/FORMAT.md is
// the long form). Encoding lives in codec_encode.cpp.
//
// GRAMMAR (all integers little-endian; lp16(x) = len:u16 ‖ len bytes)
//
//   message    := version:u8 ‖ type:u8 ‖ header ‖ body          (version 1 or 2)
//   header     := ε                          in v1
//              |  client_id:u64              in v2 requests
//              |  epoch:u64                  in v2 responses
//   keys       := count:u32 ‖ count × lp16(key)
//   entries    := count:u32 ‖ count × (lp16(key) ‖ lp16(value) ‖ lp16(metadata))
//   statuses   := count:u32 ‖ count × status:u8
//
//   type  name                  v1 body                  v2 body (after the header)
//    1    Register              entries                  entries
//    2    CanOffload            keys                     keys
//    3    Match                 keys                     mode:u8 (0 all, 1 leading run) ‖ keys
//    4    CanOffloadResponse    statuses (0..2)          lease_ttl_ms:u32 ‖ statuses (0..2)
//    5    MatchResponse         entries                  entries
//    6    Remove                keys                     keys
//    7    RemoveResponse        removed:u64              removed:u64
//    8    Touch                 keys                     keys
//    9    TouchResponse         touched:u64              touched:u64
//   10    ErrorResponse         lp16(message)            code:u16 (1..10) ‖ lp16(message)
//   11    RegisterSync          -                        entries
//   12    RegisterSyncResponse  -                        statuses (0..2)
//   13    Renew                 -                        keys
//   14    RenewResponse         -                        statuses (0..2)
//   15    Release               -                        keys
//   16    ReleaseResponse       -                        released:u64
//   17    Hello                 -                        lp16(name) ‖ lp16(metadata)
//   18    HelloResponse         -                        lease_ttl_ms:u32 ‖ key_format:u8 (0..4)
//                                                        ‖ max_batch_keys:u32 ‖ capacity:u64
//                                                        ‖ lp16(hub_version)
//   19    Stats                 -                        ε
//   20    StatsResponse         -                        count:u32 ‖ count × (lp16(name) ‖
//   value:u64)
//   21    Announce              -                        lp16(name) ‖ ttl_ms:u32 ‖ metadata
//   22    AnnounceResponse      -                        member_id:u64 ‖ ttl_ms:u32 ‖ existed:u8 (0/1)
//   23    Enumerate             -                        filter
//   24    EnumerateResponse     -                        now_ms:u64 ‖ count:u32 ‖ count × member
//   25    Multicast             -                        filter ‖ lp16(payload)
//   26    MulticastResponse     -                        matched:u64
//
//   metadata   := count:u32 ‖ count × (lp16(key) ‖ lp16(value))        keys non-empty
//   filter     := count:u32 ‖ count × (lp16(key) ‖ has_value:u8 (0/1) ‖ [lp16(value) if 1])
//   member     := member_id:u64 ‖ client_id:u64 ‖ lp16(name) ‖ metadata ‖ announced_at_ms:u64
//                 ‖ last_heard_ms:u64 ‖ ttl_ms:u32
//
// CHECK ORDER (the first failing check decides the error code):
//   1. empty message                                   -> malformed
//   2. version not 1 or 2                              -> unsupported_version
//   3. no type byte                                    -> malformed
//   4. type not defined in this version (0, >26, 11..26 in v1)            -> unknown_type
//   5. type not valid here: DecodeRequest on the query channel takes the query request types,
//      on the registration channel only Register; DecodeResponse takes response types only
//                                                      -> wrong_channel
//   6. v2 header (client_id / epoch) truncated         -> malformed
//   7. body, field by field in wire order:
//      - a fixed field truncated                       -> malformed
//      - Match mode not 0/1, a status byte or error code or key_format out of range -> malformed
//      - count:  count > max_batch_keys (too_large); then count × minimum element size >
//                bytes left (malformed). Only then is anything reserved, so a reservation is
//                bounded by both the limit and the frame size.
//      - lp16 length read (truncated -> malformed), then judged BEFORE its bytes are looked at:
//                a request key of length 0, > max_key_bytes (bytes format), or != the fixed
//                format's length (bad_key); a value > max_value_bytes or metadata >
//                max_metadata_bytes (too_large); then length > bytes left (malformed)
//      - member metadata / filters (requests): the count above max_member_metadata_bytes
//                (too_large), then count × 4 (pairs) or × 3 (terms) > bytes left (malformed);
//                per key: length 0 (malformed), then the running key+value total above
//                max_member_metadata_bytes (too_large), then past the end (malformed); a
//                has_value byte other than 0/1 (malformed). An Announce name above
//                max_member_metadata_bytes and a Multicast payload above max_multicast_bytes
//                are too_large. Responses bound these by the frame only.
//   8. bytes left after the body                       -> malformed
//
// Decoded keys, values, metadata and Hello fields are views into the input; only error texts,
// hub_version and stats names are copied.
#include "codec/codec.h"

#include <fmt/format.h>

#include <limits>

#include "common/bytes.h"

namespace blockhub {
namespace {

constexpr uint8_t kMaxTypeV1 = static_cast<uint8_t>(MessageType::kErrorResponse);
constexpr uint8_t kMaxTypeV2 = kMaxMessageType;
constexpr size_t kMinKeyBytes = 2;    // lp16 with an empty key
constexpr size_t kMinEntryBytes = 6;  // three empty lp16
constexpr size_t kMinStatBytes = 10;  // empty lp16 name + u64
constexpr size_t kMinPairBytes = 4;   // two empty lp16
constexpr size_t kMinTermBytes = 3;   // empty lp16 key + has_value
constexpr size_t kMinMemberBytes = 8 + 8 + 2 + 4 + 8 + 8 + 4;
constexpr uint32_t kNoLimit = std::numeric_limits<uint32_t>::max();

Status Truncated(std::string_view what) {
  return MalformedError(fmt::format("truncated {}", what));
}

// One pass over one frame. Holds the limits pre-digested into the accepted key length range.
class Decoder {
 public:
  Decoder(std::string_view bytes, const DecodeLimits& limits, bool check_keys)
      : r_(bytes), limits_(limits), check_keys_(check_keys) {
    // PROTOCOL.md §6: a fixed-length format takes exactly its length (max_key_bytes bounds the
    // bytes format only, as the hub's configuration documents it).
    size_t fixed = KeyFormatLength(limits.key_format);
    key_min_ = fixed != 0 ? fixed : 1;
    key_max_ = fixed != 0 ? fixed : limits.max_key_bytes;
  }

  Status Header(bool request, Channel channel, Message& msg, MessageType& type);
  Status Body(MessageType type, Message& msg);
  Status Finish() const {
    if (r_.empty()) return Status::Ok();
    return MalformedError(fmt::format("{} trailing bytes after the message", r_.remaining()));
  }

 private:
  Status Count(uint32_t max, size_t min_element, uint32_t& count) {
    if (!r_.U32(count)) return Truncated("count");
    if (count > max) {
      return TooLargeError(fmt::format("count {} exceeds max_batch_keys {}", count, max));
    }
    if (count > r_.remaining() / min_element) {
      return MalformedError(
          fmt::format("count {} cannot fit in the {} bytes left", count, r_.remaining()));
    }
    return Status::Ok();
  }

  Status Key(std::string_view& key) {
    uint16_t len = 0;
    if (!r_.U16(len)) return Truncated("key length");
    if (check_keys_ && (len < key_min_ || len > key_max_)) return BadKeyLength(len);
    if (!r_.Raw(len, key)) return Truncated("key");
    return Status::Ok();
  }

  // The same verdicts as ValidateKey, from the length field alone.
  Status BadKeyLength(size_t len) const {
    if (len == 0) return BadKeyError("empty key");
    if (KeyFormatLength(limits_.key_format) == 0 && len > limits_.max_key_bytes) {
      return BadKeyError(
          fmt::format("key of {} bytes exceeds max_key_bytes {}", len, limits_.max_key_bytes));
    }
    return BadKeyError(fmt::format("key of {} bytes, the {} key format needs {}", len,
                                   KeyFormatName(limits_.key_format),
                                   KeyFormatLength(limits_.key_format)));
  }

  Status Blob(std::string_view& out, uint32_t max, std::string_view what) {
    uint16_t len = 0;
    if (!r_.U16(len)) return Truncated(what);
    if (len > max) return TooLargeError(fmt::format("{} of {} bytes exceeds {}", what, len, max));
    if (!r_.Raw(len, out)) return Truncated(what);
    return Status::Ok();
  }

  Status Keys(KeyList& keys);
  Status Entries(std::vector<Entry>& entries);
  template <typename E>
  Status Statuses(std::vector<E>& out);
  Status U64Field(uint64_t& v, std::string_view what) {
    return r_.U64(v) ? Status::Ok() : Truncated(what);
  }
  Status RequestBody(MessageType type, Message& msg);
  Status ResponseBody(MessageType type, Message& msg);
  Status HelloResponseBody(HelloResponse& m);
  Status StatsResponseBody(StatsResponse& m);
  // Member metadata / filters; `limit` bounds the count and the key+value bytes (kNoLimit for
  // responses).
  Status MemberKey(std::string_view& key, uint32_t limit, size_t& total, std::string_view what);
  Status MemberValue(std::string_view& value, uint32_t limit, size_t& total,
                     std::string_view what);
  Status Metadata(MemberMetadata& out, uint32_t limit);
  Status Filter(MemberFilter& out, uint32_t limit);
  Status EnumerateResponseBody(EnumerateResponse& m);

  ByteReader r_;
  const DecodeLimits& limits_;
  bool check_keys_;
  size_t key_min_;
  size_t key_max_;
};

Status Decoder::Header(bool request, Channel channel, Message& msg, MessageType& type) {
  uint8_t version = 0;
  if (!r_.U8(version)) return MalformedError("empty message");
  if (version != 1 && version != 2) {
    return {StatusCode::kUnsupportedVersion,
            fmt::format("protocol version {} is not supported (1 or 2)", version)};
  }
  uint8_t code = 0;
  if (!r_.U8(code)) return Truncated("header: no type byte");
  if (code == 0 || code > (version == 1 ? kMaxTypeV1 : kMaxTypeV2)) {
    return {StatusCode::kUnknownType,
            fmt::format("message type {} does not exist in protocol version {}", code, version)};
  }
  type = static_cast<MessageType>(code);
  bool allowed;
  if (!request) {
    allowed = !IsRequestType(type);
  } else if (channel == Channel::kRegistration) {
    allowed = type == MessageType::kRegister;
  } else {
    allowed = IsRequestType(type) && type != MessageType::kRegister;
  }
  if (!allowed) {
    return {StatusCode::kWrongChannel,
            fmt::format("{} is not accepted {}", MessageTypeName(type),
                        !request                            ? "as a response"
                        : channel == Channel::kRegistration ? "on the registration channel"
                                                            : "on the query channel")};
  }
  msg.version = static_cast<ProtocolVersion>(version);
  if (msg.version == ProtocolVersion::kV2) {
    if (!r_.U64(request ? msg.client_id : msg.epoch)) {
      return Truncated(request ? "header: client_id" : "header: epoch");
    }
  }
  return Status::Ok();
}

Status Decoder::Keys(KeyList& keys) {
  uint32_t count = 0;
  if (Status s = Count(limits_.max_batch_keys, kMinKeyBytes, count); !s.ok()) return s;
  keys.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view key;
    if (Status s = Key(key); !s.ok()) return s;
    keys.push_back(key);
  }
  return Status::Ok();
}

Status Decoder::Entries(std::vector<Entry>& entries) {
  uint32_t count = 0;
  if (Status s = Count(limits_.max_batch_keys, kMinEntryBytes, count); !s.ok()) return s;
  entries.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    Entry e;
    if (Status s = Key(e.key); !s.ok()) return s;
    if (Status s = Blob(e.value, limits_.max_value_bytes, "value"); !s.ok()) return s;
    if (Status s = Blob(e.metadata, limits_.max_metadata_bytes, "metadata"); !s.ok()) return s;
    entries.push_back(e);
  }
  return Status::Ok();
}

// Every status enum of the protocol has the values 0..2.
template <typename E>
Status Decoder::Statuses(std::vector<E>& out) {
  uint32_t count = 0;
  if (Status s = Count(limits_.max_batch_keys, 1, count); !s.ok()) return s;
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    uint8_t v = 0;
    if (!r_.U8(v)) return Truncated("status");
    if (v > 2) return MalformedError(fmt::format("status value {} is not defined", v));
    out.push_back(static_cast<E>(v));
  }
  return Status::Ok();
}

Status Decoder::Body(MessageType type, Message& msg) {
  return IsRequestType(type) ? RequestBody(type, msg) : ResponseBody(type, msg);
}

Status Decoder::RequestBody(MessageType type, Message& msg) {
  switch (type) {
    case MessageType::kRegister:
      return Entries(msg.body.emplace<Register>().entries);
    case MessageType::kRegisterSync:
      return Entries(msg.body.emplace<RegisterSync>().entries);
    case MessageType::kCanOffload:
      return Keys(msg.body.emplace<CanOffload>().keys);
    case MessageType::kMatch: {
      auto& m = msg.body.emplace<Match>();
      if (msg.version == ProtocolVersion::kV2) {
        uint8_t mode = 0;
        if (!r_.U8(mode)) return Truncated("match mode");
        if (mode > static_cast<uint8_t>(MatchMode::kLeadingRun)) {
          return MalformedError(fmt::format("match mode {} is not defined (0 or 1)", mode));
        }
        m.mode = static_cast<MatchMode>(mode);
      }
      return Keys(m.keys);
    }
    case MessageType::kRemove:
      return Keys(msg.body.emplace<Remove>().keys);
    case MessageType::kTouch:
      return Keys(msg.body.emplace<Touch>().keys);
    case MessageType::kRenew:
      return Keys(msg.body.emplace<Renew>().keys);
    case MessageType::kRelease:
      return Keys(msg.body.emplace<Release>().keys);
    case MessageType::kHello: {
      auto& m = msg.body.emplace<Hello>();
      if (Status s = Blob(m.client_name, kNoLimit, "client name"); !s.ok()) return s;
      return Blob(m.client_metadata, kNoLimit, "client metadata");
    }
    case MessageType::kStats:
      msg.body.emplace<Stats>();
      return Status::Ok();
    case MessageType::kAnnounce: {
      auto& m = msg.body.emplace<Announce>();
      if (Status s = Blob(m.name, limits_.max_member_metadata_bytes, "member name"); !s.ok()) {
        return s;
      }
      if (!r_.U32(m.ttl_ms)) return Truncated("ttl_ms");
      return Metadata(m.metadata, limits_.max_member_metadata_bytes);
    }
    case MessageType::kEnumerate:
      return Filter(msg.body.emplace<Enumerate>().filter, limits_.max_member_metadata_bytes);
    case MessageType::kMulticast: {
      auto& m = msg.body.emplace<Multicast>();
      if (Status s = Filter(m.filter, limits_.max_member_metadata_bytes); !s.ok()) return s;
      return Blob(m.payload, limits_.max_multicast_bytes, "multicast payload");
    }
    default:
      return InternalError("RequestBody called with a response type");
  }
}

Status Decoder::ResponseBody(MessageType type, Message& msg) {
  const bool v2 = msg.version == ProtocolVersion::kV2;
  switch (type) {
    case MessageType::kCanOffloadResponse: {
      auto& m = msg.body.emplace<CanOffloadResponse>();
      if (v2 && !r_.U32(m.lease_ttl_ms)) return Truncated("lease_ttl_ms");
      return Statuses(m.statuses);
    }
    case MessageType::kMatchResponse:
      return Entries(msg.body.emplace<MatchResponse>().entries);
    case MessageType::kRemoveResponse:
      return U64Field(msg.body.emplace<RemoveResponse>().removed, "removed");
    case MessageType::kTouchResponse:
      return U64Field(msg.body.emplace<TouchResponse>().touched, "touched");
    case MessageType::kReleaseResponse:
      return U64Field(msg.body.emplace<ReleaseResponse>().released, "released");
    case MessageType::kErrorResponse: {
      auto& m = msg.body.emplace<ErrorResponse>();
      if (v2) {
        uint16_t code = 0;
        if (!r_.U16(code)) return Truncated("error code");
        if (!IsWireCode(static_cast<StatusCode>(code))) {
          return MalformedError(fmt::format("error code {} is not defined (1..10)", code));
        }
        m.code = static_cast<StatusCode>(code);
      }
      std::string_view text;
      if (Status s = Blob(text, kNoLimit, "error message"); !s.ok()) return s;
      m.message.assign(text);
      return Status::Ok();
    }
    case MessageType::kRegisterSyncResponse:
      return Statuses(msg.body.emplace<RegisterSyncResponse>().statuses);
    case MessageType::kRenewResponse:
      return Statuses(msg.body.emplace<RenewResponse>().statuses);
    case MessageType::kHelloResponse:
      return HelloResponseBody(msg.body.emplace<HelloResponse>());
    case MessageType::kStatsResponse:
      return StatsResponseBody(msg.body.emplace<StatsResponse>());
    case MessageType::kAnnounceResponse: {
      auto& m = msg.body.emplace<AnnounceResponse>();
      if (!r_.U64(m.member_id)) return Truncated("member_id");
      if (!r_.U32(m.ttl_ms)) return Truncated("ttl_ms");
      uint8_t existed = 0;
      if (!r_.U8(existed)) return Truncated("existed");
      if (existed > 1) return MalformedError(fmt::format("existed {} is not 0 or 1", existed));
      m.existed = existed == 1;
      return Status::Ok();
    }
    case MessageType::kEnumerateResponse:
      return EnumerateResponseBody(msg.body.emplace<EnumerateResponse>());
    case MessageType::kMulticastResponse:
      return U64Field(msg.body.emplace<MulticastResponse>().matched, "matched");
    default:
      return InternalError("ResponseBody called with a request type");
  }
}

Status Decoder::HelloResponseBody(HelloResponse& m) {
  if (!r_.U32(m.lease_ttl_ms)) return Truncated("lease_ttl_ms");
  if (!r_.U8(m.key_format)) return Truncated("key_format");
  if (m.key_format > static_cast<uint8_t>(KeyFormat::kPositional)) {
    return MalformedError(fmt::format("key_format {} is not defined (0..4)", m.key_format));
  }
  if (!r_.U32(m.max_batch_keys)) return Truncated("max_batch_keys");
  if (!r_.U64(m.capacity)) return Truncated("capacity");
  std::string_view version;
  if (Status s = Blob(version, kNoLimit, "hub version"); !s.ok()) return s;
  m.hub_version.assign(version);
  return Status::Ok();
}

Status Decoder::StatsResponseBody(StatsResponse& m) {
  uint32_t count = 0;
  if (Status s = Count(kNoLimit, kMinStatBytes, count); !s.ok()) return s;
  m.counters.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view name;
    uint64_t value = 0;
    if (Status s = Blob(name, kNoLimit, "stat name"); !s.ok()) return s;
    if (!r_.U64(value)) return Truncated("stat value");
    m.counters.emplace_back(std::string(name), value);
  }
  return Status::Ok();
}

Status Decoder::MemberKey(std::string_view& key, uint32_t limit, size_t& total,
                          std::string_view what) {
  uint16_t len = 0;
  if (!r_.U16(len)) return Truncated(what);
  if (len == 0) return MalformedError(fmt::format("empty {}", what));
  if (total + len > limit) {
    return TooLargeError(fmt::format("member metadata of more than {} bytes", limit));
  }
  total += len;
  if (!r_.Raw(len, key)) return Truncated(what);
  return Status::Ok();
}

Status Decoder::MemberValue(std::string_view& value, uint32_t limit, size_t& total,
                            std::string_view what) {
  uint16_t len = 0;
  if (!r_.U16(len)) return Truncated(what);
  if (total + len > limit) {
    return TooLargeError(fmt::format("member metadata of more than {} bytes", limit));
  }
  total += len;
  if (!r_.Raw(len, value)) return Truncated(what);
  return Status::Ok();
}

Status Decoder::Metadata(MemberMetadata& out, uint32_t limit) {
  uint32_t count = 0;
  if (!r_.U32(count)) return Truncated("metadata count");
  // Every key is at least one byte, so a count above the byte limit can never fit it.
  if (count > limit) {
    return TooLargeError(fmt::format("{} metadata pairs exceed {} bytes", count, limit));
  }
  if (count > r_.remaining() / kMinPairBytes) {
    return MalformedError(
        fmt::format("count {} cannot fit in the {} bytes left", count, r_.remaining()));
  }
  out.reserve(count);
  size_t total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    MetadataPair p;
    if (Status s = MemberKey(p.key, limit, total, "metadata key"); !s.ok()) return s;
    if (Status s = MemberValue(p.value, limit, total, "metadata value"); !s.ok()) return s;
    out.push_back(p);
  }
  return Status::Ok();
}

Status Decoder::Filter(MemberFilter& out, uint32_t limit) {
  uint32_t count = 0;
  if (!r_.U32(count)) return Truncated("filter count");
  if (count > limit) {
    return TooLargeError(fmt::format("{} filter terms exceed {} bytes", count, limit));
  }
  if (count > r_.remaining() / kMinTermBytes) {
    return MalformedError(
        fmt::format("count {} cannot fit in the {} bytes left", count, r_.remaining()));
  }
  out.reserve(count);
  size_t total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    FilterTerm t;
    if (Status s = MemberKey(t.key, limit, total, "filter key"); !s.ok()) return s;
    uint8_t has_value = 0;
    if (!r_.U8(has_value)) return Truncated("filter has_value");
    if (has_value > 1) {
      return MalformedError(fmt::format("filter has_value {} is not 0 or 1", has_value));
    }
    if (has_value == 1) {
      std::string_view v;
      if (Status s = MemberValue(v, limit, total, "filter value"); !s.ok()) return s;
      t.value = v;
    }
    out.push_back(t);
  }
  return Status::Ok();
}

Status Decoder::EnumerateResponseBody(EnumerateResponse& m) {
  if (!r_.U64(m.now_ms)) return Truncated("now_ms");
  uint32_t count = 0;
  if (Status s = Count(kNoLimit, kMinMemberBytes, count); !s.ok()) return s;
  m.members.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    MemberInfo& info = m.members.emplace_back();
    if (!r_.U64(info.member_id)) return Truncated("member_id");
    if (!r_.U64(info.client_id)) return Truncated("client_id");
    if (Status s = Blob(info.name, kNoLimit, "member name"); !s.ok()) return s;
    if (Status s = Metadata(info.metadata, kNoLimit); !s.ok()) return s;
    if (!r_.U64(info.announced_at_ms)) return Truncated("announced_at_ms");
    if (!r_.U64(info.last_heard_ms)) return Truncated("last_heard_ms");
    if (!r_.U32(info.ttl_ms)) return Truncated("ttl_ms");
  }
  return Status::Ok();
}

Result<Message> Decode(std::string_view bytes, const DecodeLimits& limits, bool request,
                       Channel channel) {
  Decoder d(bytes, limits, /*check_keys=*/request);
  Message msg;
  MessageType type = MessageType::kRegister;
  if (Status s = d.Header(request, channel, msg, type); !s.ok()) return s;
  if (Status s = d.Body(type, msg); !s.ok()) return s;
  if (Status s = d.Finish(); !s.ok()) return s;
  return msg;
}

}  // namespace

Result<Message> DecodeRequest(std::string_view bytes, const DecodeLimits& limits, Channel channel) {
  return Decode(bytes, limits, /*request=*/true, channel);
}

Result<Message> DecodeResponse(std::string_view bytes, const DecodeLimits& limits) {
  return Decode(bytes, limits, /*request=*/false, Channel::kQuery);
}

}  // namespace blockhub
