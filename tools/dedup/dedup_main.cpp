// blockhub-dedup: content-defined chunking deduplicator that uses a blockhub hub (key128 keys)
// to coordinate many writers of one content-addressed chunk store. Subcommands put, get, verify,
// stats. Hub settings from DYN_REGISTRY_CLIENT_* variables, flags win (same flags as `blockhub`).
// Exit codes: 0 everything stored / restored and verified, 1 failure, 2 usage error.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "client/client.h"
#include "common/logging.h"
#include "common/version.h"
#include "security/curve_keys.h"
#include "tools/dedup/dedup_put.h"
#include "tools/dedup/dedup_restore.h"

namespace blockhub::dedup {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFail = 1;
constexpr int kExitUsage = 2;

int Fail(const Status& s, int code) {
  std::fprintf(stderr, "blockhub-dedup: %s\n", s.ToString().c_str());
  return code;
}

int Main(int argc, char** argv) {
  auto env = ClientOptions::FromEnv();
  if (!env) return Fail(env.error(), kExitUsage);
  ClientOptions client = std::move(*env);
  uint64_t timeout_ms = static_cast<uint64_t>(client.request_timeout.count());
  std::string client_id;
  int protocol = client.protocol == ProtocolVersion::kV1 ? 1 : 2;
  std::string store;
  std::string manifest;
  std::vector<std::string> paths;
  std::vector<std::string> manifests;
  std::string to;
  std::string hash = "xxh3";
  size_t chunk_avg = 64 * 1024;
  int jobs = 2;
  uint64_t wait_ms = 600'000;
  bool json = false;
  bool no_progress = false;

  CLI::App app{
      "blockhub-dedup: deduplicate files into a content-addressed chunk store, many writers at "
      "once, coordinated by a blockhub hub started with --key-format key128.\n"
      "Chunking: FastCDC-style gear hash with normalized chunking; --chunk-avg A (power of two, "
      "default 65536) gives min A/4 and max 4*A. Keys: 128-bit chunk hashes.\n"
      "Exit codes: 0 everything stored / restored and verified, 1 failure, 2 usage error.",
      "blockhub-dedup"};
  app.footer(
      "Example (a hub: `blockhubd --key-format key128`, or `scripts/run.sh --key-format key128` "
      "from the source tree; only put talks to it):\n"
      "  blockhub-dedup put --store /srv/chunks --manifest doc.manifest /usr/share/doc\n"
      "  blockhub-dedup get --store /srv/chunks --to /tmp/restored doc.manifest\n"
      "      (restores /tmp/restored/usr/share/doc)\n"
      "Many put processes, on one machine or many, may share one store folder and one hub at "
      "once: the hub's leases let each chunk be uploaded once. `blockhub-dedup SUBCOMMAND "
      "--help` for each subcommand.");
  app.set_version_flag("--version", std::string("blockhub-dedup ") + kVersionString);
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--query-addr", client.query_addr,
                 "Hub query endpoint (ROUTER), or a comma-separated hub list "
                 "[env DYN_REGISTRY_CLIENT_QUERY_ADDR]")
      ->capture_default_str();
  app.add_option("--register-addr", client.register_addr,
                 "Hub registration endpoint (PULL), or a comma-separated list "
                 "[env DYN_REGISTRY_CLIENT_REGISTER_ADDR]")
      ->capture_default_str();
  app.add_option("--timeout-ms", timeout_ms,
                 "Request deadline in ms [env DYN_REGISTRY_CLIENT_REQUEST_TIMEOUT_MS]")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{86'400'000}));
  app.add_option(
      "--client-id", client_id,
      "Lease owner: u64 or any text (hashed); default random [env DYN_REGISTRY_CLIENT_ID]");
  app.add_option("--protocol", protocol,
                 "Protocol version 2 or 1 [env DYN_REGISTRY_CLIENT_PROTOCOL]")
      ->capture_default_str()
      ->check(CLI::IsMember({1, 2}));
  app.add_flag("--json", json, "put, stats: print the summary as one JSON line on stdout");
  std::string curve_server_key, curve_secret_key_file;
  app.add_option("--curve-server-key", curve_server_key,
                 "CurveZMQ: the hub's public key (Z85, its PREFIX.pub); needs "
                 "--curve-secret-key-file [env DYN_REGISTRY_CLIENT_CURVE_SERVER_KEY]");
  app.add_option("--curve-secret-key-file", curve_secret_key_file,
                 "CurveZMQ: this worker's secret key file (a PREFIX.key of `blockhub keygen`; a "
                 "writer key) [env DYN_REGISTRY_CLIENT_CURVE_SECRET_KEY_FILE]");

  auto* put = app.add_subcommand("put", "Chunk, hash, claim, upload and register files");
  put->footer(
      "Each PATH is recorded as given, without a leading / and without . and .. parts: a "
      "relative a/b is restored by get as DIR/a/b, /usr/share/doc as DIR/usr/share/doc. Folders "
      "are walked recursively; symlinks are stored as links (not followed); modes are kept; "
      "other file types are skipped with a message. Needs a hub with --key-format key128 (or "
      "bytes); its endpoints from --query-addr/--register-addr or DYN_REGISTRY_CLIENT_*. "
      "Prints one summary line (--json: a JSON line). Exit 0 only when every chunk is stored "
      "and registered and the manifest written.");
  put->add_option("--store", store, "Chunk store folder (created if missing), shared by writers")
      ->required()
      ->type_name("DIR");
  put->add_option("--manifest", manifest,
                  "Write the manifest (the files, their modes and chunk keys: what get needs) "
                  "here; without it the chunks are stored but nothing records the files")
      ->type_name("FILE");
  put->add_option("--hash", hash,
                  "Chunk hash: xxh3 (fast, trusted data) or sha256 (untrusted data: collision "
                  "resistant)")
      ->capture_default_str()
      ->check(CLI::IsMember({"xxh3", "sha256"}));
  put->add_option("--chunk-avg", chunk_avg,
                  "Average chunk size in bytes (power of two; min avg/4, max 4*avg). Writers "
                  "deduplicate against each other only with the same --chunk-avg and --hash")
      ->capture_default_str();
  put->add_option(
         "--jobs", jobs,
         "Worker threads: files in parallel, and a file of 16 MiB or more is scanned for chunk "
         "boundaries by all of them")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  put->add_option("--wait-timeout-ms", wait_ms,
                  "Give up on chunks another worker keeps leased after this long")
      ->capture_default_str();
  put->add_flag("--no-progress", no_progress, "No progress output on stderr");
  put->add_option("PATH", paths, "Files or folders (recursively)")->required();

  auto* get = app.add_subcommand("get", "Restore a manifest's files (PATH -> DIR/PATH), verified");
  get->footer(
      "Every entry of MANIFEST is restored under DIR as DIR/PATH, PATH as put recorded it. Each "
      "chunk's hash and each file's whole-file hash are checked; a file gets its name only once "
      "verified (existing files are replaced). A missing or corrupt chunk exits 1 naming the "
      "file and the offset. Needs no hub.");
  get->add_option("--store", store, "Chunk store folder")->required()->type_name("DIR");
  get->add_option("--to", to, "Destination folder (created if missing)")
      ->required()
      ->type_name("DIR");
  get->add_option("MANIFEST", manifest, "Manifest written by put")->required();

  auto* verify = app.add_subcommand("verify", "Check every chunk and file hash of manifests");
  verify->add_option("--store", store, "Chunk store folder")->required();
  verify->add_option("MANIFEST", manifests, "Manifests")->required();

  auto* stats = app.add_subcommand("stats", "Referenced vs stored bytes and the dedup ratio");
  stats->add_option("--store", store, "Chunk store folder")->required();
  stats->add_option("MANIFEST", manifests, "Manifests counted as referenced");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  (void)SetupLogging("warn");

  if (*put) {
    client.request_timeout = std::chrono::milliseconds(timeout_ms);
    client.protocol = protocol == 1 ? ProtocolVersion::kV1 : ProtocolVersion::kV2;
    if (!client_id.empty()) {
      auto id = ParseClientId(client_id);
      if (!id)
        return Fail(InvalidArgumentError("--client-id: " + id.error().message()), kExitUsage);
      client.client_id = *id;
    }
    if (!curve_server_key.empty()) {
      if (Status s = ValidateCurveKey(curve_server_key, "--curve-server-key"); !s.ok()) {
        return Fail(s, kExitUsage);
      }
      client.curve_server_key = curve_server_key;
    }
    if (!curve_secret_key_file.empty()) {
      auto secret = ReadCurveKeyFile(curve_secret_key_file, "--curve-secret-key-file");
      if (!secret) return Fail(secret.error(), kExitUsage);
      client.curve_secret_key = std::move(*secret);
    }
    if (Status s = client.Validate(); !s.ok()) return Fail(s, kExitUsage);
    PutOptions o;
    o.store = store;
    o.manifest = manifest;
    o.paths = paths;
    auto kind = ParseHashKind(hash);
    if (!kind) return Fail(kind.error(), kExitUsage);
    o.hash = *kind;
    auto params = ChunkerParams::FromAverage(chunk_avg);
    if (!params) return Fail(params.error(), kExitUsage);
    o.chunker = *params;
    o.jobs = jobs;
    o.wait_timeout = std::chrono::milliseconds(wait_ms);
    o.progress = !no_progress;
    auto c = Client::Connect(client);
    if (!c) return Fail(c.error(), kExitFail);
    auto sum = RunPut(o, **c);
    Status closed = (*c)->Close();
    if (!sum) return Fail(sum.error(), kExitFail);
    if (!closed.ok()) return Fail(closed, kExitFail);
    double mbps = sum->seconds > 0 ? static_cast<double>(sum->bytes_in) / 1e6 / sum->seconds : 0;
    if (json) {
      std::printf(
          "%s\n",
          fmt::format("{{\"files\":{},\"bytes_in\":{},\"chunks\":{},\"chunks_new\":{},"
                      "\"bytes_new\":{},\"chunks_dedup\":{},\"leased_waits\":{},"
                      "\"seconds\":{:.3f},\"mb_per_s\":{:.1f}}}",
                      sum->files, sum->bytes_in, sum->chunks, sum->chunks_new, sum->bytes_new,
                      sum->chunks_dedup, sum->leased_waits, sum->seconds, mbps)
              .c_str());
    } else {
      std::printf(
          "stored %llu files, %llu bytes in %llu chunks: %llu new (%llu bytes), %llu "
          "deduplicated; %.1f MB/s\n",
          static_cast<unsigned long long>(sum->files),
          static_cast<unsigned long long>(sum->bytes_in),
          static_cast<unsigned long long>(sum->chunks),
          static_cast<unsigned long long>(sum->chunks_new),
          static_cast<unsigned long long>(sum->bytes_new),
          static_cast<unsigned long long>(sum->chunks_dedup), mbps);
    }
    return kExitOk;
  }
  if (*get) {
    if (Status s = RunGet(store, manifest, to); !s.ok()) return Fail(s, kExitFail);
    return kExitOk;
  }
  if (*verify) {
    for (const auto& m : manifests) {
      if (Status s = RunVerify(store, m); !s.ok()) return Fail(s, kExitFail);
    }
    if (!json) std::printf("ok: %zu manifests verified\n", manifests.size());
    return kExitOk;
  }
  if (*stats) {
    std::vector<std::filesystem::path> ps(manifests.begin(), manifests.end());
    auto s = RunStats(store, ps);
    if (!s) return Fail(s.error(), kExitFail);
    if (json) {
      std::printf("%s\n",
                  fmt::format("{{\"referenced_bytes\":{},\"referenced_chunks\":{},"
                              "\"unique_chunks\":{},\"stored_chunks\":{},\"stored_bytes\":{},"
                              "\"temp_files\":{},\"uploads_created\":{},\"uploads_present\":{},"
                              "\"uploads_raced\":{},\"dedup_ratio\":{:.4f}}}",
                              s->referenced_bytes, s->referenced_chunks, s->unique_chunks,
                              s->stored_chunks, s->stored_bytes, s->temp_files, s->uploads_created,
                              s->uploads_present, s->uploads_raced, s->dedup_ratio)
                      .c_str());
    } else {
      std::printf(
          "referenced: %llu bytes, %llu chunks (%llu distinct)\nstored: %llu chunk files, "
          "%llu bytes (%llu unfinished uploads)\nuploads: %llu created, %llu found the chunk "
          "present, %llu lost a race\ndedup ratio: %.3f\n",
          static_cast<unsigned long long>(s->referenced_bytes),
          static_cast<unsigned long long>(s->referenced_chunks),
          static_cast<unsigned long long>(s->unique_chunks),
          static_cast<unsigned long long>(s->stored_chunks),
          static_cast<unsigned long long>(s->stored_bytes),
          static_cast<unsigned long long>(s->temp_files),
          static_cast<unsigned long long>(s->uploads_created),
          static_cast<unsigned long long>(s->uploads_present),
          static_cast<unsigned long long>(s->uploads_raced), s->dedup_ratio);
    }
    return kExitOk;
  }
  return kExitUsage;
}

}  // namespace
}  // namespace blockhub::dedup

int main(int argc, char** argv) { return blockhub::dedup::Main(argc, argv); }
