#include "security/authorized_keys.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "security/curve_keys.h"

namespace blockhub {
namespace {

constexpr std::string_view kBlanks = " \t\r";

// Splits off the next blank-separated field of `rest`.
std::string_view NextField(std::string_view& rest) {
  const size_t begin = rest.find_first_not_of(kBlanks);
  if (begin == std::string_view::npos) {
    rest = {};
    return {};
  }
  rest.remove_prefix(begin);
  const size_t end = rest.find_first_of(kBlanks);
  const std::string_view field = rest.substr(0, end);
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  return field;
}

std::string TrimmedRest(std::string_view rest) {
  const size_t begin = rest.find_first_not_of(kBlanks);
  if (begin == std::string_view::npos) return {};
  const size_t end = rest.find_last_not_of(kBlanks);
  return std::string(rest.substr(begin, end - begin + 1));
}

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kReader:
      return "reader";
    case Role::kWriter:
      return "writer";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

std::optional<Role> ParseRole(std::string_view text) {
  if (text == "reader") return Role::kReader;
  if (text == "writer") return Role::kWriter;
  if (text == "admin") return Role::kAdmin;
  return std::nullopt;
}

Result<AuthorizedKeys> AuthorizedKeys::Parse(std::string_view text, std::string_view source) {
  AuthorizedKeys table;
  size_t line_no = 0;
  while (!text.empty() || line_no == 0) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    const std::string where = std::string(source) + ":" + std::to_string(line_no) + ": ";
    std::string_view rest = line;
    const std::string_view role_text = NextField(rest);
    if (role_text.empty() || role_text.front() == '#') {
      if (text.empty()) break;
      continue;
    }
    const auto role = ParseRole(role_text);
    if (!role) {
      return InvalidArgumentError(where + "unknown role '" + std::string(role_text) +
                                  "' (expected reader, writer or admin)");
    }
    const std::string_view key = NextField(rest);
    if (key.empty()) return InvalidArgumentError(where + "a role without a public key");
    if (Status s = ValidateCurveKey(key, "public key"); !s.ok()) {
      return InvalidArgumentError(where + s.message());
    }
    auto [it, inserted] =
        table.keys_.emplace(std::string(key), AuthorizedKey{*role, TrimmedRest(rest)});
    if (!inserted) return InvalidArgumentError(where + "key " + std::string(key) + " listed twice");
    if (text.empty()) break;
  }
  return table;
}

Result<AuthorizedKeys> AuthorizedKeys::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return InvalidArgumentError("cannot read authorized keys " + path + ": " +
                                std::strerror(errno));
  }
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

const AuthorizedKey* AuthorizedKeys::Find(std::string_view public_z85) const {
  auto it = keys_.find(std::string(public_z85));
  return it == keys_.end() ? nullptr : &it->second;
}

}  // namespace blockhub
