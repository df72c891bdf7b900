#include "hub/store/redis/reply.h"

namespace blockhub::redis {

bool Reply::IsErrorWord(std::string_view prefix) const {
  if (type != Type::kError || str.size() < prefix.size()) return false;
  if (std::string_view(str).substr(0, prefix.size()) != prefix) return false;
  return str.size() == prefix.size() || str[prefix.size()] == ' ';
}

std::string DebugString(const Reply& reply) {
  switch (reply.type) {
    case Reply::Type::kNil:
      return "nil";
    case Reply::Type::kInteger:
      return "(integer) " + std::to_string(reply.integer);
    case Reply::Type::kString:
      return "\"" + reply.str + "\"";
    case Reply::Type::kStatus:
      return "+" + reply.str;
    case Reply::Type::kError:
      return "-" + reply.str;
    case Reply::Type::kArray: {
      std::string out = "[";
      for (size_t i = 0; i < reply.elements.size(); ++i) {
        if (i > 0) out += ", ";
        out += DebugString(reply.elements[i]);
      }
      return out + "]";
    }
  }
  return "?";
}

}  // namespace blockhub::redis
