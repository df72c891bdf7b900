#include "common/env_config.h"

#include <doctest/doctest.h>

#include <cstdlib>

namespace blockhub {

TEST_CASE("EnvU64: unset is nullopt, valid parses, invalid names the variable") {
  ::unsetenv("BLOCKHUB_TEST_U64");
  auto unset = EnvU64("BLOCKHUB_TEST_U64");
  REQUIRE(unset.has_value());
  CHECK_FALSE(unset->has_value());

  ::setenv("BLOCKHUB_TEST_U64", "1234", 1);
  auto ok = EnvU64("BLOCKHUB_TEST_U64");
  REQUIRE(ok.has_value());
  CHECK(**ok == 1234);

  ::setenv("BLOCKHUB_TEST_U64", "12x", 1);
  auto bad = EnvU64("BLOCKHUB_TEST_U64");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code() == StatusCode::kInvalidArgument);
  CHECK(bad.error().message().find("BLOCKHUB_TEST_U64") != std::string::npos);

  ::setenv("BLOCKHUB_TEST_U64", "0", 1);
  auto low = EnvU64("BLOCKHUB_TEST_U64", 1, 10);
  REQUIRE_FALSE(low.has_value());
  CHECK(low.error().message().find("outside [1, 10]") != std::string::npos);
  ::unsetenv("BLOCKHUB_TEST_U64");
}

TEST_CASE("EnvBool and EnvChoice") {
  ::setenv("BLOCKHUB_TEST_BOOL", "TRUE", 1);
  CHECK(**EnvBool("BLOCKHUB_TEST_BOOL") == true);
  ::setenv("BLOCKHUB_TEST_BOOL", "off", 1);
  CHECK(**EnvBool("BLOCKHUB_TEST_BOOL") == false);
  ::setenv("BLOCKHUB_TEST_BOOL", "maybe", 1);
  CHECK_FALSE(EnvBool("BLOCKHUB_TEST_BOOL").has_value());
  ::unsetenv("BLOCKHUB_TEST_BOOL");

  ::setenv("BLOCKHUB_TEST_CHOICE", "lru", 1);
  CHECK(**EnvChoice("BLOCKHUB_TEST_CHOICE", {"none", "lru"}) == "lru");
  ::setenv("BLOCKHUB_TEST_CHOICE", "fifo", 1);
  auto bad = EnvChoice("BLOCKHUB_TEST_CHOICE", {"none", "lru"});
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message().find("none|lru") != std::string::npos);
  ::unsetenv("BLOCKHUB_TEST_CHOICE");
}

}  // namespace blockhub
