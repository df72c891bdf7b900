#include "common/status.h"

#include <doctest/doctest.h>

namespace blockhub {

TEST_CASE("Status: ok by default, codes and messages otherwise") {
  Status ok;
  CHECK(ok.ok());
  CHECK(ok.ToString() == "ok");
  Status bad = MalformedError("count 5 exceeds the 3 bytes left");
  CHECK_FALSE(bad.ok());
  CHECK(bad.code() == StatusCode::kMalformed);
  CHECK(static_cast<int>(bad.code()) == 3);
  CHECK(bad.ToString() == "malformed: count 5 exceeds the 3 bytes left");
  CHECK(IsWireCode(StatusCode::kShuttingDown));
  CHECK(IsWireCode(StatusCode::kPermissionDenied));
  CHECK(static_cast<int>(StatusCode::kPermissionDenied) == 10);
  CHECK(StatusCodeName(StatusCode::kPermissionDenied) == "permission_denied");
  CHECK_FALSE(IsWireCode(StatusCode::kTimeout));
  CHECK_FALSE(IsWireCode(StatusCode::kOk));
}

TEST_CASE("Result holds a value or an error") {
  Result<int> v = 42;
  REQUIRE(v.has_value());
  CHECK(*v == 42);
  CHECK(v.status().ok());
  Result<int> e = TooLargeError("count 70000 above max_batch_keys 65536");
  REQUIRE_FALSE(e.has_value());
  CHECK(e.error().code() == StatusCode::kTooLarge);
  // A Result built from an ok Status is a programming error turned into an internal error.
  Result<int> bogus = Status::Ok();
  REQUIRE_FALSE(bogus.has_value());
  CHECK(bogus.error().code() == StatusCode::kInternal);
}

}  // namespace blockhub
