// Curve key helpers: generation, derivation of the public key, key files and their modes.
#include "security/curve_keys.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace blockhub {
namespace {

std::string TempDir() {
  std::string templ = (std::filesystem::temp_directory_path() / "blockhub-keys-XXXXXX").string();
  REQUIRE(mkdtemp(templ.data()) != nullptr);
  return templ;
}

TEST_CASE("a generated pair's public key is derived from its secret") {
  REQUIRE(CurveAvailable());
  auto pair = GenerateCurveKeyPair();
  REQUIRE(pair.has_value());
  CHECK(pair->public_z85.size() == kCurveKeyZ85Chars);
  CHECK(pair->secret_z85.size() == kCurveKeyZ85Chars);
  CHECK(pair->public_z85 != pair->secret_z85);
  auto derived = CurvePublicFromSecret(pair->secret_z85);
  REQUIRE(derived.has_value());
  CHECK(*derived == pair->public_z85);
  auto other = GenerateCurveKeyPair();
  REQUIRE(other.has_value());
  CHECK(other->secret_z85 != pair->secret_z85);
}

TEST_CASE("malformed keys are refused with the setting's name") {
  CHECK(ValidateCurveKey("short", "--curve-server-key").message().find("--curve-server-key") !=
        std::string::npos);
  CHECK(!ValidateCurveKey(std::string(40, '"'), "k").ok());  // '"' is not a Z85 character
  CHECK(!CurvePublicFromSecret("").has_value());
}

TEST_CASE("a key pair written to PREFIX.key (0600) and PREFIX.pub reads back") {
  const std::string dir = TempDir();
  auto pair = GenerateCurveKeyPair();
  REQUIRE(pair.has_value());
  const std::string prefix = dir + "/hub";
  REQUIRE(WriteCurveKeyPair(prefix, *pair).ok());
  struct stat st {};
  REQUIRE(::stat((prefix + ".key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto secret = ReadCurveKeyFile(prefix + ".key", "--curve-secret-key-file");
  REQUIRE(secret.has_value());
  CHECK(*secret == pair->secret_z85);
  auto pub = ReadCurveKeyFile(prefix + ".pub", "public key");
  REQUIRE(pub.has_value());
  CHECK(*pub == pair->public_z85);
  // Exactly one line each.
  std::ifstream in(prefix + ".key");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(all == pair->secret_z85 + "\n");
  // Rewriting keeps mode 0600 even if the old file was widened.
  ::chmod((prefix + ".key").c_str(), 0644);
  REQUIRE(WriteCurveKeyPair(prefix, *pair).ok());
  REQUIRE(::stat((prefix + ".key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto missing = ReadCurveKeyFile(dir + "/none.key", "--curve-secret-key-file");
  REQUIRE(!missing.has_value());
  CHECK(missing.error().message().find("--curve-secret-key-file") != std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace blockhub
