#include "codec/printers.h"

#include <doctest/doctest.h>

#include "codec/codec.h"
#include "common/bytes.h"
#include "tests/codec/codec_test_util.h"

namespace blockhub {
namespace {

using testing::ByteStore;

TEST_CASE("RenderValue recognises Dynamo's value layouts") {
  std::string u64(8, '\0');
  StoreU64(u64.data(), 100);
  CHECK(RenderValue(u64) == "u64 100");
  CHECK(RenderValue(EncodeStorageLocation({1, "/mnt/kv/a b", 4096})) ==
        "StorageLocation{backend=Disk, path=\"/mnt/kv/a b\", size_bytes=4096}");
  CHECK(RenderValue(EncodeStorageLocation({0, "s3://x", 1})) ==
        "StorageLocation{backend=Object, path=\"s3://x\", size_bytes=1}");
  CHECK(RenderValue(EncodeRemoteKey({"b", "00000000deadbeef"})) ==
        "RemoteKey::Object{bucket=\"b\", key=\"00000000deadbeef\"}");
  // Layouts are chosen only on an exact parse.
  CHECK(RenderValue(EncodeStorageLocation({2, "p", 1})).rfind("hex:", 0) == 0);  // bad backend
  CHECK(RenderValue(EncodeRemoteKey({"b", "kk"}) + "x") ==
        "hex:000100620200"
        "6b6b78");
  CHECK(RenderValue("") == "hex:");
  CHECK(RenderValue("\x01\x02") == "hex:0102");
  CHECK(RenderValue(EncodeStorageLocation({1, "q\"\n", 0})) ==
        "StorageLocation{backend=Disk, path=\"q\\\"\\x0a\", size_bytes=0}");
}

TEST_CASE("RenderMetadata recognises Dynamo's metadata layouts") {
  CHECK(RenderMetadata("") == "none");
  std::string ts(12, '\0');
  StoreU64(ts.data(), 1700000000);
  CHECK(RenderMetadata(ts) == "TimestampMetadata{created_at=1700000000, ttl_secs=none}");
  StoreU32(ts.data() + 8, 60);
  CHECK(RenderMetadata(ts) == "TimestampMetadata{created_at=1700000000, ttl_secs=60}");
  PositionMetadata pm{5, 0xDEADBEEF, 32, 1700000001};
  std::string pm_bytes = EncodePositionMetadata(pm);
  CHECK(pm_bytes.size() == 24);
  CHECK(RenderMetadata(pm_bytes) ==
        "PositionMetadata{position=5, parent_hash=0x00000000deadbeef, sequence_length=32, "
        "created_at=1700000001}");
  CHECK(RenderMetadata(EncodePositionMetadata({0, 0, 0, 7})) ==
        "PositionMetadata{position=0, parent_hash=none, sequence_length=none, created_at=7}");
  auto back = DecodePositionMetadata(pm_bytes);
  REQUIRE(back.has_value());
  CHECK(back->parent_hash == 0xDEADBEEF);
  CHECK(back->sequence_length == 32);
  CHECK_FALSE(DecodePositionMetadata(ts).has_value());
  CHECK(RenderMetadata("abc") == "hex:616263");
}

TEST_CASE("RenderMessage") {
  ByteStore st;
  Message v1{ProtocolVersion::kV1, 0, 0, CanOffload{{st.U64(1), st.U64(3)}}};
  CHECK(RenderMessage(v1, KeyFormat::kU64) == "v1 CanOffload, 2 keys\n  [0] 1\n  [1] 3");
  Message reg{ProtocolVersion::kV2, 0x2a, 0, Register{{{st.U64(1), st.U64(100), {}}}}};
  CHECK(RenderMessage(reg, KeyFormat::kU64) ==
        "v2 Register client_id=0x000000000000002a, 1 entries\n"
        "  [0] key=1 value=u64 100 metadata=none");
  Message err{ProtocolVersion::kV2, 0, 1, ErrorResponse{StatusCode::kBadKey, "empty key"}};
  CHECK(RenderMessage(err, KeyFormat::kBytes) ==
        "v2 ErrorResponse epoch=0x0000000000000001, code=bad_key\n  message=\"empty key\"");
  Message err1{ProtocolVersion::kV1, 0, 0, ErrorResponse{StatusCode::kInternal, "bad"}};
  CHECK(RenderMessage(err1, KeyFormat::kBytes) == "v1 ErrorResponse\n  message=\"bad\"");
  Message resp{ProtocolVersion::kV2, 0, 0,
               CanOffloadResponse{500, {OffloadStatus::kGranted, OffloadStatus::kLeased}}};
  CHECK(RenderMessage(resp, KeyFormat::kBytes) ==
        "v2 CanOffloadResponse epoch=0x0000000000000000, lease_ttl_ms=500, 2 statuses\n"
        "  [0] Granted\n  [1] Leased");
  // Every sample renders with its type name on the first line.
  for (const auto& s : testing::AllSamples(st)) {
    std::string text = RenderMessage(s.msg, KeyFormat::kU64);
    CHECK(text.find(MessageTypeName(TypeOf(s.msg.body))) != std::string::npos);
  }
}

}  // namespace
}  // namespace blockhub
