// The authorized-keys parser: roles, names, comments, and errors with line numbers.
#include "security/authorized_keys.h"

#include <doctest/doctest.h>

#include "security/curve_keys.h"

namespace blockhub {
namespace {

std::string NewKey() {
  auto pair = GenerateCurveKeyPair();
  REQUIRE(pair.has_value());
  return pair->public_z85;
}

TEST_CASE("roles, names, blank lines and comments") {
  const std::string a = NewKey(), b = NewKey(), c = NewKey();
  const std::string text = "# hub clients\n\n  reader " + a + "\nwriter\t" + b +
                           " worker 7 (rack a)\r\n   # indented comment\nadmin " + c + "  ";
  auto keys = AuthorizedKeys::Parse(text, "keys.txt");
  REQUIRE_MESSAGE(keys.has_value(), keys.status().ToString());
  CHECK(keys->size() == 3);
  REQUIRE(keys->Find(a) != nullptr);
  CHECK(keys->Find(a)->role == Role::kReader);
  CHECK(keys->Find(a)->name.empty());
  REQUIRE(keys->Find(b) != nullptr);
  CHECK(keys->Find(b)->role == Role::kWriter);
  CHECK(keys->Find(b)->name == "worker 7 (rack a)");
  REQUIRE(keys->Find(c) != nullptr);
  CHECK(keys->Find(c)->role == Role::kAdmin);
  CHECK(keys->Find(NewKey()) == nullptr);
}

TEST_CASE("an empty file authorizes nobody") {
  auto keys = AuthorizedKeys::Parse("", "empty");
  REQUIRE(keys.has_value());
  CHECK(keys->size() == 0);
}

TEST_CASE("bad lines are errors naming the file and the line") {
  const std::string a = NewKey();
  struct Bad {
    std::string text;
    std::string expected;
  };
  const Bad cases[] = {
      {"reader " + a + "\nroot " + a, "f:2: unknown role 'root'"},
      {"# c\n\nwriter", "f:3: a role without a public key"},
      {"admin tooshort", "f:1: public key: not a CurveZMQ key"},
      {"reader " + a + "\nwriter " + a + " again", "f:2: key " + a + " listed twice"},
      {"Reader " + a, "f:1: unknown role 'Reader'"},
  };
  for (const Bad& c : cases) {
    CAPTURE(c.text);
    auto keys = AuthorizedKeys::Parse(c.text, "f");
    REQUIRE(!keys.has_value());
    CHECK_MESSAGE(keys.error().message().starts_with(c.expected), keys.error().message());
  }
}

TEST_CASE("role names round-trip") {
  for (Role r : {Role::kReader, Role::kWriter, Role::kAdmin}) CHECK(ParseRole(RoleName(r)) == r);
  CHECK(!ParseRole("").has_value());
  CHECK(!AuthorizedKeys::Load("/nonexistent/authorized").has_value());
}

}  // namespace
}  // namespace blockhub
