// The hub's authorized-keys file: which CurveZMQ client keys may connect, and with which role.
//
// Format, one client per line: `ROLE PUBLIC_KEY_Z85 [NAME]` (ROLE: reader, writer or admin;
// fields separated by spaces or tabs; NAME is the rest of the line, for logs). Blank lines and
// lines whose first non-blank character is `#` are ignored. A bad line or a key listed twice is an
// error naming the file and line. A parsed table is immutable; share it read-only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"

namespace blockhub {

// Ordered: each role may do everything the ones before it may.
enum class Role : uint8_t { kReader = 0, kWriter = 1, kAdmin = 2 };

const char* RoleName(Role role);
std::optional<Role> ParseRole(std::string_view text);

struct AuthorizedKey {
  Role role = Role::kReader;
  std::string name;  // may be empty
};

class AuthorizedKeys {
 public:
  // Parses the file's text; `source` (the path) prefixes errors: "SOURCE:LINE: ...".
  static Result<AuthorizedKeys> Parse(std::string_view text, std::string_view source);
  static Result<AuthorizedKeys> Load(const std::string& path);

  // The entry of a Z85 public key, or null if it is not authorized.
  const AuthorizedKey* Find(std::string_view public_z85) const;
  size_t size() const { return keys_.size(); }

 private:
  std::unordered_map<std::string, AuthorizedKey> keys_;  // by Z85 public key
};

}  // namespace blockhub
