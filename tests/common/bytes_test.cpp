#include "common/bytes.h"

#include <doctest/doctest.h>

namespace blockhub {

TEST_CASE("ByteWriter writes little-endian, ByteReader reads it back and never overruns") {
  std::string buf;
  ByteWriter w(buf);
  w.U8(1);
  w.U16(0x0203);
  w.U32(0x04050607);
  w.U64(0x08090a0b0c0d0e0fULL);
  w.Lp16("ab");
  CHECK(ToHex(buf) == "010302070605040f0e0d0c0b0a090802006162");

  ByteReader r(buf);
  uint8_t a = 0;
  uint16_t b = 0;
  uint32_t c = 0;
  uint64_t d = 0;
  uint16_t len = 0;
  BytesView s;
  REQUIRE(r.U8(a));
  REQUIRE(r.U16(b));
  REQUIRE(r.U32(c));
  REQUIRE(r.U64(d));
  REQUIRE(r.U16(len));
  REQUIRE(r.Raw(len, s));
  CHECK(a == 1);
  CHECK(b == 0x0203);
  CHECK(c == 0x04050607);
  CHECK(d == 0x08090a0b0c0d0e0fULL);
  CHECK(s == "ab");
  CHECK(r.empty());
  // Past the end: nothing is read and the position does not move.
  CHECK_FALSE(r.U8(a));
  CHECK_FALSE(r.Raw(1, s));
  ByteReader shortr(BytesView("\x01\x02\x03", 3));
  CHECK_FALSE(shortr.U32(c));
  CHECK(shortr.remaining() == 3);
}

TEST_CASE("PatchU32 overwrites a count in place") {
  std::string buf;
  ByteWriter w(buf);
  size_t at = w.size();
  w.U32(0);
  w.U8(9);
  w.PatchU32(at, 0x01020304);
  CHECK(ToHex(buf) == "0403020109");
}

TEST_CASE("hex round trip and rejection") {
  std::string out;
  REQUIRE(FromHex("00ffA0", out));
  CHECK(out == std::string("\x00\xff\xa0", 3));
  CHECK(ToHex(out) == "00ffa0");
  CHECK_FALSE(FromHex("abc", out));
  CHECK_FALSE(FromHex("zz", out));
}

}  // namespace blockhub
