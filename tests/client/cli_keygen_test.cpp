// `blockhub keygen --out PREFIX` run as a process: PREFIX.key (Z85 secret, one line, mode 0600) and
// PREFIX.pub (Z85 public, one line), the public key printed, and the pair consistent.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <zmq.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/client/run_process.h"

namespace blockhub {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST_CASE("cli: keygen --out PREFIX writes a usable key pair") {
  std::string dir = (std::filesystem::temp_directory_path() / "blockhub-keygen-XXXXXX").string();
  REQUIRE(mkdtemp(dir.data()) != nullptr);
  const std::string prefix = dir + "/worker";
  auto r = testing::RunProcess(BLOCKHUB_CLI_PATH, {"keygen", "--out", prefix}, {});
  REQUIRE(r.has_value());
  CHECK(r->exit_code == 0);
  const std::string secret = ReadAll(prefix + ".key");
  const std::string pub = ReadAll(prefix + ".pub");
  REQUIRE(secret.size() == 41);
  REQUIRE(pub.size() == 41);
  CHECK(secret.back() == '\n');
  CHECK(pub.back() == '\n');
  CHECK(r->out == pub);  // the public key is printed
  struct stat st {};
  REQUIRE(::stat((prefix + ".key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  char derived[41] = {};
  REQUIRE(zmq_curve_public(derived, secret.substr(0, 40).c_str()) == 0);
  CHECK(std::string(derived) == pub.substr(0, 40));
  // An unwritable prefix is an error, not a silent success.
  auto bad = testing::RunProcess(BLOCKHUB_CLI_PATH, {"keygen", "--out", dir + "/no/such/dir/k"}, {});
  REQUIRE(bad.has_value());
  CHECK(bad->exit_code != 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace blockhub
