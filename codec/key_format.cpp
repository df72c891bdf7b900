// Key formats (PROTOCOL.md §6): validation, text parsing for the CLI, rendering for tools.
#include "codec/key_format.h"

#include <fmt/format.h>

#include <array>
#include <charconv>

#include "common/bytes.h"

namespace blockhub {
namespace {

constexpr size_t kU64Bytes = 8;
constexpr size_t kKey128Bytes = 16;
constexpr size_t kCompositeBytes = 16;
constexpr size_t kPositionalBytes = 20;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool HasHexPrefix(std::string_view s) {
  return s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

// Decimal or 0x-hex, no sign, no spaces, must fit in `max`.
Result<uint64_t> ParseUnsigned(std::string_view text, uint64_t max, std::string_view what) {
  uint64_t v = 0;
  bool ok;
  if (HasHexPrefix(text)) {
    std::string_view digits = text.substr(2);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, 16);
    ok = !digits.empty() && ec == std::errc() && p == digits.data() + digits.size();
  } else {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 10);
    ok = !text.empty() && ec == std::errc() && p == text.data() + text.size();
  }
  if (!ok || v > max) {
    return InvalidArgumentError(
        fmt::format("{} '{}' is not a decimal or 0x-hex number up to {}", what, text, max));
  }
  return v;
}

std::string LeU64(uint64_t v) {
  std::string out(8, '\0');
  StoreU64(out.data(), v);
  return out;
}

// Splits "a:b:c" into exactly n parts.
template <size_t N>
bool SplitColon(std::string_view text, std::array<std::string_view, N>& parts) {
  for (size_t i = 0; i < N; ++i) {
    size_t pos = (i + 1 == N) ? std::string_view::npos : text.find(':');
    if (i + 1 < N && pos == std::string_view::npos) return false;
    parts[i] = text.substr(0, pos);
    text = (pos == std::string_view::npos) ? std::string_view() : text.substr(pos + 1);
  }
  return parts[N - 1].find(':') == std::string_view::npos;
}

Result<std::string> ParseKey128(std::string_view text) {
  std::string_view digits = HasHexPrefix(text) ? text.substr(2) : text;
  bool exact32 = !HasHexPrefix(text) && text.size() == 32;
  if (digits.empty() || digits.size() > 32 || (!HasHexPrefix(text) && !exact32)) {
    return InvalidArgumentError(
        fmt::format("key128 '{}' must be 32 hex digits or 0x followed by 1..32 hex digits", text));
  }
  std::string out(kKey128Bytes, '\0');
  // Big-endian text, little-endian bytes: the last digit is the low nibble of byte 0.
  for (size_t i = 0; i < digits.size(); ++i) {
    int d = HexDigit(digits[digits.size() - 1 - i]);
    if (d < 0) return InvalidArgumentError(fmt::format("key128 '{}' has a non-hex digit", text));
    out[i / 2] = static_cast<char>(static_cast<uint8_t>(out[i / 2]) | (d << (4 * (i % 2))));
  }
  return out;
}

}  // namespace

std::string_view KeyFormatName(KeyFormat f) {
  switch (f) {
    case KeyFormat::kBytes:
      return "bytes";
    case KeyFormat::kU64:
      return "u64";
    case KeyFormat::kKey128:
      return "key128";
    case KeyFormat::kComposite:
      return "composite";
    case KeyFormat::kPositional:
      return "positional";
  }
  return "unknown";
}

Result<KeyFormat> ParseKeyFormat(std::string_view name) {
  for (KeyFormat f : {KeyFormat::kBytes, KeyFormat::kU64, KeyFormat::kKey128, KeyFormat::kComposite,
                      KeyFormat::kPositional}) {
    if (name == KeyFormatName(f)) return f;
  }
  return InvalidArgumentError(fmt::format(
      "unknown key format '{}' (expected bytes, u64, key128, composite or positional)", name));
}

size_t KeyFormatLength(KeyFormat f) {
  switch (f) {
    case KeyFormat::kBytes:
      return 0;
    case KeyFormat::kU64:
      return kU64Bytes;
    case KeyFormat::kKey128:
      return kKey128Bytes;
    case KeyFormat::kComposite:
      return kCompositeBytes;
    case KeyFormat::kPositional:
      return kPositionalBytes;
  }
  return 0;
}

Status ValidateKey(KeyFormat f, std::string_view key, uint32_t max_key_bytes) {
  if (key.empty()) return BadKeyError("empty key");
  size_t want = KeyFormatLength(f);
  if (want == 0 && key.size() > max_key_bytes) {
    return BadKeyError(
        fmt::format("key of {} bytes exceeds max_key_bytes {}", key.size(), max_key_bytes));
  }
  if (want != 0 && key.size() != want) {
    return BadKeyError(fmt::format("key of {} bytes, the {} key format needs {}", key.size(),
                                   KeyFormatName(f), want));
  }
  return Status::Ok();
}

Result<std::string> ParseKeyText(KeyFormat f, std::string_view text) {
  switch (f) {
    case KeyFormat::kBytes: {
      std::string out;
      if (text.empty() || !FromHex(text, out)) {
        return InvalidArgumentError(
            fmt::format("bytes key '{}' must be a non-empty even number of hex digits", text));
      }
      return out;
    }
    case KeyFormat::kU64: {
      auto v = ParseUnsigned(text, UINT64_MAX, "u64 key");
      if (!v) return v.error();
      return LeU64(*v);
    }
    case KeyFormat::kKey128:
      return ParseKey128(text);
    case KeyFormat::kComposite: {
      std::array<std::string_view, 2> parts;
      if (!SplitColon(text, parts)) {
        return InvalidArgumentError(fmt::format("composite key '{}' must be W:H", text));
      }
      auto w = ParseUnsigned(parts[0], UINT64_MAX, "worker_id");
      if (!w) return w.error();
      auto h = ParseUnsigned(parts[1], UINT64_MAX, "sequence_hash");
      if (!h) return h.error();
      return LeU64(*w) + LeU64(*h);
    }
    case KeyFormat::kPositional: {
      std::array<std::string_view, 3> parts;
      if (!SplitColon(text, parts)) {
        return InvalidArgumentError(fmt::format("positional key '{}' must be W:H:P", text));
      }
      auto w = ParseUnsigned(parts[0], UINT64_MAX, "worker_id");
      if (!w) return w.error();
      auto h = ParseUnsigned(parts[1], UINT64_MAX, "sequence_hash");
      if (!h) return h.error();
      auto p = ParseUnsigned(parts[2], UINT32_MAX, "position");
      if (!p) return p.error();
      return EncodePositionalKey({*w, *h, static_cast<uint32_t>(*p)});
    }
  }
  return InvalidArgumentError("unknown key format");
}

std::string FormatKey(KeyFormat f, std::string_view key) {
  size_t want = KeyFormatLength(f);
  if (f == KeyFormat::kBytes) return ToHex(key);
  if (key.size() != want) return "hex:" + ToHex(key);  // not a key of this format: show raw
  switch (f) {
    case KeyFormat::kU64:
      return std::to_string(LoadU64(key.data()));
    case KeyFormat::kKey128:
      return fmt::format("0x{:016x}{:016x}", LoadU64(key.data() + 8), LoadU64(key.data()));
    case KeyFormat::kComposite:
      return fmt::format("{}:0x{:016x}", LoadU64(key.data()), LoadU64(key.data() + 8));
    case KeyFormat::kPositional:
      return fmt::format("{}:0x{:016x}:{}", LoadU64(key.data()), LoadU64(key.data() + 8),
                         LoadU32(key.data() + 16));
    case KeyFormat::kBytes:
      break;
  }
  return ToHex(key);
}

std::string EncodePositionalKey(const PositionalKey& k) {
  std::string out(kPositionalBytes, '\0');
  StoreU64(out.data(), k.worker_id);
  StoreU64(out.data() + 8, k.sequence_hash);
  StoreU32(out.data() + 16, k.position);
  return out;
}

std::optional<PositionalKey> DecodePositionalKey(std::string_view bytes) {
  if (bytes.size() != kPositionalBytes) return std::nullopt;
  return PositionalKey{LoadU64(bytes.data()), LoadU64(bytes.data() + 8),
                       LoadU32(bytes.data() + 16)};
}

}  // namespace blockhub
