#include "tests/codec/codec_test_util.h"

#include <doctest/doctest.h>

#include "common/bytes.h"

namespace blockhub::testing {

std::string Hex(std::string_view spaced) {
  std::string compact;
  for (char c : spaced) {
    if (c != ' ' && c != '\n') compact.push_back(c);
  }
  std::string out;
  REQUIRE_MESSAGE(FromHex(compact, out), "bad hex literal in test: " << compact);
  return out;
}

std::string_view ByteStore::U64(uint64_t v) {
  std::string s(8, '\0');
  StoreU64(s.data(), v);
  return Str(std::move(s));
}

std::string_view ByteStore::Str(std::string s) { return items_.emplace_back(std::move(s)); }

namespace {

Message V2(uint64_t id_or_epoch, bool request, Body body) {
  Message m;
  m.version = ProtocolVersion::kV2;
  (request ? m.client_id : m.epoch) = id_or_epoch;
  m.body = std::move(body);
  return m;
}

}  // namespace

std::vector<Sample> AllSamples(ByteStore& st) {
  const uint64_t cid = 0x1122334455667788ull, ep = 0xfeedface00c0ffeeull;
  KeyList keys = {st.U64(1), st.U64(3), st.U64(0xffffffffffffffffull)};
  std::vector<Entry> entries = {{st.U64(1), st.U64(100), {}},
                                {st.U64(2), st.Str("\x01\x02\x03"), st.Str("meta")}};
  std::vector<Sample> out;
  auto add = [&](std::string name, Message m, bool request, Channel ch = Channel::kQuery) {
    out.push_back({std::move(name), std::move(m), request, ch});
  };
  // v2: every type.
  add("v2 Register", V2(cid, true, Register{entries}), true, Channel::kRegistration);
  add("v2 CanOffload", V2(cid, true, CanOffload{keys}), true);
  add("v2 Match all", V2(cid, true, Match{MatchMode::kAll, keys}), true);
  add("v2 Match leading", V2(cid, true, Match{MatchMode::kLeadingRun, keys}), true);
  add("v2 Remove", V2(cid, true, Remove{keys}), true);
  add("v2 Touch", V2(cid, true, Touch{{}}), true);
  add("v2 RegisterSync", V2(cid, true, RegisterSync{entries}), true);
  add("v2 Renew", V2(cid, true, Renew{keys}), true);
  add("v2 Release", V2(cid, true, Release{keys}), true);
  add("v2 Hello", V2(cid, true, Hello{st.Str("worker-7"), st.Str("{\"gpu\":0}")}), true);
  add("v2 Stats", V2(cid, true, Stats{}), true);
  using OS = OffloadStatus;
  add("v2 CanOffloadResponse",
      V2(ep, false, CanOffloadResponse{30000, {OS::kGranted, OS::kAlreadyStored, OS::kLeased}}),
      false);
  add("v2 MatchResponse", V2(ep, false, MatchResponse{entries}), false);
  add("v2 RemoveResponse", V2(ep, false, RemoveResponse{2}), false);
  add("v2 TouchResponse", V2(ep, false, TouchResponse{0x0102030405060708ull}), false);
  add("v2 ErrorResponse", V2(ep, false, ErrorResponse{StatusCode::kBadKey, "bad key"}), false);
  add("v2 RegisterSyncResponse",
      V2(ep, false,
         RegisterSyncResponse{
             {RegisterStatus::kStored, RegisterStatus::kAlreadyStored, RegisterStatus::kRejected}}),
      false);
  add("v2 RenewResponse",
      V2(ep, false,
         RenewResponse{
             {RenewStatus::kRenewed, RenewStatus::kNotHeld, RenewStatus::kAlreadyStored}}),
      false);
  add("v2 ReleaseResponse", V2(ep, false, ReleaseResponse{1}), false);
  add("v2 HelloResponse", V2(ep, false, HelloResponse{30000, 1, 65536, 1000000, "0.1.0"}), false);
  add("v2 StatsResponse", V2(ep, false, StatsResponse{{{"entries", 5}, {"leases_live", 0}}}),
      false);
  // v2 worker membership.
  MemberMetadata meta = {{st.Str("rank"), st.Str("3")}, {st.Str("tier"), st.Str("")}};
  MemberFilter filter = {{st.Str("rank"), st.Str("3")}, {st.Str("tier"), std::nullopt}};
  add("v2 Announce", V2(cid, true, Announce{st.Str("worker-7"), 15000, meta}), true);
  add("v2 Announce withdraw", V2(cid, true, Announce{{}, 0, {}}), true);
  add("v2 Enumerate", V2(cid, true, Enumerate{filter}), true);
  add("v2 Enumerate all", V2(cid, true, Enumerate{{}}), true);
  add("v2 Multicast", V2(cid, true, Multicast{filter, st.Str("\x00payload")}), true);
  add("v2 AnnounceResponse", V2(ep, false, AnnounceResponse{cid, 15000, true}), false);
  add("v2 EnumerateResponse",
      V2(ep, false,
         EnumerateResponse{1'700'000'000'123ull,
                           {MemberInfo{cid, cid, st.Str("worker-7"), meta, 1'700'000'000'000ull,
                                       1'700'000'000'100ull, 15000},
                            MemberInfo{2, 5, {}, {}, 1, 2, 3}}}),
      false);
  add("v2 MulticastResponse", V2(ep, false, MulticastResponse{3}), false);
  // v1: every type.
  auto v1 = [](Body b) { return Message{ProtocolVersion::kV1, 0, 0, std::move(b)}; };
  add("v1 Register", v1(Register{entries}), true, Channel::kRegistration);
  add("v1 CanOffload", v1(CanOffload{keys}), true);
  add("v1 Match", v1(Match{MatchMode::kAll, keys}), true);
  add("v1 Remove", v1(Remove{keys}), true);
  add("v1 Touch", v1(Touch{keys}), true);
  add("v1 CanOffloadResponse", v1(CanOffloadResponse{0, {OS::kLeased, OS::kGranted}}), false);
  add("v1 MatchResponse", v1(MatchResponse{entries}), false);
  add("v1 RemoveResponse", v1(RemoveResponse{7}), false);
  add("v1 TouchResponse", v1(TouchResponse{9}), false);
  add("v1 ErrorResponse", v1(ErrorResponse{StatusCode::kInternal, "oops"}), false);
  return out;
}

DecodeLimits SampleLimits() {
  DecodeLimits l;
  l.key_format = KeyFormat::kU64;
  return l;
}

Result<Message> DecodeLike(const Sample& s, std::string_view bytes, const DecodeLimits& limits) {
  return s.request ? DecodeRequest(bytes, limits, s.channel) : DecodeResponse(bytes, limits);
}

}  // namespace blockhub::testing
