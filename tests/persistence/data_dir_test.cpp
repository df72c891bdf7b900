// DataDir: creation, the exclusive lock, naming and listing.
#include "hub/persistence/data_dir.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <fstream>

#include "tests/persistence/persistence_test_util.h"

namespace blockhub::persistence {
namespace {

using testing::TempDir;

TEST_CASE("a missing data dir is created, with its parents") {
  TempDir tmp;
  auto dir = DataDir::Open(tmp.Sub("a/b/data"));
  REQUIRE(dir.has_value());
  CHECK(std::filesystem::is_directory(tmp.Sub("a/b/data")));
  CHECK(std::filesystem::exists(tmp.Sub("a/b/data/LOCK")));
}

TEST_CASE("a second open of a locked data dir refuses, naming the dir and the holder's pid") {
  TempDir tmp;
  auto first = DataDir::Open(tmp.path());
  REQUIRE(first.has_value());
  auto second = DataDir::Open(tmp.path());
  REQUIRE(!second.has_value());
  CHECK(second.error().code() == StatusCode::kUnavailable);
  CHECK(second.error().message().find(tmp.path()) != std::string::npos);
  CHECK(second.error().message().find("pid " + std::to_string(::getpid())) != std::string::npos);
}

TEST_CASE("the lock is released with the DataDir") {
  TempDir tmp;
  {
    auto first = DataDir::Open(tmp.path());
    REQUIRE(first.has_value());
  }
  CHECK(DataDir::Open(tmp.path()).has_value());
}

TEST_CASE("a data dir that cannot be created is a clear error") {
  TempDir tmp;
  std::ofstream(tmp.Sub("file")) << "x";
  auto dir = DataDir::Open(tmp.Sub("file/data"));
  REQUIRE(!dir.has_value());
  CHECK(dir.error().code() == StatusCode::kIoError);
  CHECK(dir.error().message().find(tmp.Sub("file/data")) != std::string::npos);
  auto not_dir = DataDir::Open(tmp.Sub("file"));
  REQUIRE(!not_dir.has_value());
  CHECK(not_dir.error().message().find(tmp.Sub("file")) != std::string::npos);
}

TEST_CASE("names sort by sequence and foreign or quarantined files are ignored") {
  TempDir tmp;
  auto dir = DataDir::Open(tmp.path());
  REQUIRE(dir.has_value());
  for (uint64_t s : {100u, 2u, 30u}) std::ofstream(dir->SegmentPath(s)) << "";
  for (uint64_t s : {50u, 7u}) std::ofstream(dir->SnapshotPath(s)) << "";
  std::ofstream(dir->TempSnapshotPath(60)) << "";
  std::ofstream(dir->SegmentPath(5) + ".corrupt") << "";
  std::ofstream(tmp.Sub("notes.txt")) << "";
  CHECK(dir->SegmentPath(2) == tmp.path() + "/wal-00000000000000000002.log");
  auto listing = dir->List();
  REQUIRE(listing.has_value());
  CHECK(listing->segments == std::vector<uint64_t>{2, 30, 100});
  CHECK(listing->snapshots == std::vector<uint64_t>{7, 50});
  CHECK(listing->temp_files == std::vector<std::string>{dir->TempSnapshotPath(60)});
}

TEST_CASE("write errors are reported, not ignored") {
  auto fd = OpenFile("/dev/full", O_WRONLY);
  REQUIRE(fd.has_value());
  Status s = WriteAll(fd->get(), std::string(8192, 'x'), "/dev/full");
  CHECK(s.code() == StatusCode::kIoError);
  CHECK(s.message().find("/dev/full") != std::string::npos);
}

}  // namespace
}  // namespace blockhub::persistence
