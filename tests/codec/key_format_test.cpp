#include "codec/key_format.h"

#include <doctest/doctest.h>

#include "common/bytes.h"

namespace blockhub {
namespace {

std::string Parsed(KeyFormat f, std::string_view text) {
  auto r = ParseKeyText(f, text);
  REQUIRE_MESSAGE(r.has_value(), r.error().ToString());
  return *r;
}

TEST_CASE("key format names, lengths and parsing") {
  for (KeyFormat f : {KeyFormat::kBytes, KeyFormat::kU64, KeyFormat::kKey128, KeyFormat::kComposite,
                      KeyFormat::kPositional}) {
    auto parsed = ParseKeyFormat(KeyFormatName(f));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == f);
  }
  CHECK(ParseKeyFormat("U64").error().code() == StatusCode::kInvalidArgument);
  CHECK(KeyFormatLength(KeyFormat::kBytes) == 0);
  CHECK(KeyFormatLength(KeyFormat::kU64) == 8);
  CHECK(KeyFormatLength(KeyFormat::kKey128) == 16);
  CHECK(KeyFormatLength(KeyFormat::kComposite) == 16);
  CHECK(KeyFormatLength(KeyFormat::kPositional) == 20);
}

TEST_CASE("ValidateKey") {
  CHECK(ValidateKey(KeyFormat::kBytes, "a", 64).ok());
  CHECK(ValidateKey(KeyFormat::kBytes, "", 64).code() == StatusCode::kBadKey);
  CHECK(ValidateKey(KeyFormat::kBytes, std::string(65, 'a'), 64).code() == StatusCode::kBadKey);
  CHECK(ValidateKey(KeyFormat::kU64, std::string(8, 'a'), 64).ok());
  CHECK(ValidateKey(KeyFormat::kU64, std::string(7, 'a'), 64).code() == StatusCode::kBadKey);
  CHECK(ValidateKey(KeyFormat::kPositional, std::string(20, 'a'), 64).ok());
  // max_key_bytes bounds the bytes format only (PROTOCOL.md §6): a fixed format takes its length.
  CHECK(ValidateKey(KeyFormat::kPositional, std::string(20, 'a'), 16).ok());
  CHECK(ValidateKey(KeyFormat::kU64, std::string(8, 'a'), 4).ok());
  CHECK(ValidateKey(KeyFormat::kU64, std::string(9, 'a'), 4).code() == StatusCode::kBadKey);
}

TEST_CASE("u64 keys: decimal or 0x-hex, little-endian") {
  CHECK(ToHex(Parsed(KeyFormat::kU64, "1")) == "0100000000000000");
  CHECK(ToHex(Parsed(KeyFormat::kU64, "0xdeadBEEF")) == "efbeadde00000000");
  CHECK(ToHex(Parsed(KeyFormat::kU64, "18446744073709551615")) == "ffffffffffffffff");
  for (const char* bad :
       {"", "-1", "18446744073709551616", "0x", "0x1ffffffffffffffff", "12a", " 1", "0xg"}) {
    CAPTURE(bad);
    CHECK(ParseKeyText(KeyFormat::kU64, bad).error().code() == StatusCode::kInvalidArgument);
  }
  CHECK(FormatKey(KeyFormat::kU64, Parsed(KeyFormat::kU64, "0xff")) == "255");
}

TEST_CASE("key128: big-endian text, little-endian bytes") {
  std::string k = Parsed(KeyFormat::kKey128, "0x0102");
  CHECK(ToHex(k) == "02010000000000000000000000000000");
  std::string full = Parsed(KeyFormat::kKey128, "000102030405060708090a0b0c0d0e0f");
  CHECK(ToHex(full) == "0f0e0d0c0b0a09080706050403020100");
  CHECK(FormatKey(KeyFormat::kKey128, full) == "0x000102030405060708090a0b0c0d0e0f");
  CHECK(Parsed(KeyFormat::kKey128, FormatKey(KeyFormat::kKey128, k)) == k);
  CHECK_FALSE(ParseKeyText(KeyFormat::kKey128, "0102").has_value());  // no prefix: needs 32
  CHECK_FALSE(ParseKeyText(KeyFormat::kKey128, "0x" + std::string(33, '1')).has_value());
  CHECK_FALSE(ParseKeyText(KeyFormat::kKey128, "0xz").has_value());
}

TEST_CASE("composite and positional keys") {
  std::string c = Parsed(KeyFormat::kComposite, "7:0xdeadbeef");
  CHECK(ToHex(c) == "0700000000000000efbeadde00000000");
  CHECK(FormatKey(KeyFormat::kComposite, c) == "7:0x00000000deadbeef");
  CHECK(Parsed(KeyFormat::kComposite, FormatKey(KeyFormat::kComposite, c)) == c);
  CHECK_FALSE(ParseKeyText(KeyFormat::kComposite, "7").has_value());
  CHECK_FALSE(ParseKeyText(KeyFormat::kComposite, "7:1:2").has_value());

  std::string p = Parsed(KeyFormat::kPositional, "0:3735928559:5");
  CHECK(p == EncodePositionalKey({0, 0xDEADBEEF, 5}));
  CHECK(FormatKey(KeyFormat::kPositional, p) == "0:0x00000000deadbeef:5");
  CHECK(Parsed(KeyFormat::kPositional, FormatKey(KeyFormat::kPositional, p)) == p);
  CHECK_FALSE(ParseKeyText(KeyFormat::kPositional, "1:2:4294967296").has_value());
  CHECK_FALSE(ParseKeyText(KeyFormat::kPositional, "1:2").has_value());
  CHECK_FALSE(ParseKeyText(KeyFormat::kPositional, "1:2:3:4").has_value());
  CHECK_FALSE(DecodePositionalKey(std::string(19, '\0')).has_value());
}

TEST_CASE("bytes keys are hex, keys of the wrong length render raw") {
  CHECK(Parsed(KeyFormat::kBytes, "00ff") == std::string("\x00\xff", 2));
  CHECK(FormatKey(KeyFormat::kBytes, std::string("\x00\xff", 2)) == "00ff");
  CHECK_FALSE(ParseKeyText(KeyFormat::kBytes, "").has_value());
  CHECK_FALSE(ParseKeyText(KeyFormat::kBytes, "abc").has_value());
  CHECK(FormatKey(KeyFormat::kU64, "abc") == "hex:616263");
}

}  // namespace
}  // namespace blockhub
