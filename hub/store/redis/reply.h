// Reply: one Redis reply as an owned value (nil, integer, bulk string, status, error, array),
// converted from hiredis's redisReply so that nothing outside this module sees hiredis types.
//
// A plain copyable value type; thread-compatible. Part of the Redis cluster client
// (hub/store/redis).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace blockhub::redis {

// One command in argv form: the command name and its arguments, each binary-safe.
using Command = std::vector<std::string>;

struct Reply {
  enum class Type : uint8_t { kNil, kInteger, kString, kStatus, kError, kArray };

  Type type = Type::kNil;
  int64_t integer = 0;          // kInteger
  std::string str;              // kString (bulk, binary-safe), kStatus ("OK"), kError (its text)
  std::vector<Reply> elements;  // kArray

  static Reply Nil() { return {}; }
  static Reply Integer(int64_t v) { return {Type::kInteger, v, {}, {}}; }
  static Reply String(std::string s) { return {Type::kString, 0, std::move(s), {}}; }
  static Reply StatusText(std::string s) { return {Type::kStatus, 0, std::move(s), {}}; }
  static Reply Error(std::string s) { return {Type::kError, 0, std::move(s), {}}; }
  static Reply Array(std::vector<Reply> e) { return {Type::kArray, 0, {}, std::move(e)}; }

  bool is_nil() const { return type == Type::kNil; }
  bool is_error() const { return type == Type::kError; }
  // True for an error reply whose first word is `prefix` ("MOVED", "ASK", "CLUSTERDOWN", …).
  bool IsErrorWord(std::string_view prefix) const;

  friend bool operator==(const Reply&, const Reply&) = default;
};

// For messages and test output: `nil`, `(integer) 5`, `"bytes"`, `+OK`, `-ERR …`, `[a, b]`.
std::string DebugString(const Reply& reply);

}  // namespace blockhub::redis
