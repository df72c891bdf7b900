#include "hub/store/redis/node_address.h"

#include <charconv>

namespace blockhub::redis {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<NodeAddress> ParseNodeAddress(std::string_view text) {
  text = Trim(text);
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
    return InvalidArgumentError("redis node '" + std::string(text) + "' is not HOST:PORT");
  int port = 0;
  const std::string_view digits = text.substr(colon + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || end != digits.data() + digits.size() || port < 1 || port > 65535)
    return InvalidArgumentError("redis node '" + std::string(text) + "' has a bad port");
  return NodeAddress{std::string(text.substr(0, colon)), port};
}

Result<std::vector<NodeAddress>> ParseNodeList(std::string_view csv) {
  std::vector<NodeAddress> out;
  while (true) {
    const size_t comma = csv.find(',');
    auto node = ParseNodeAddress(csv.substr(0, comma));
    if (!node.has_value()) return node.status();
    out.push_back(std::move(*node));
    if (comma == std::string_view::npos) break;
    csv.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace blockhub::redis
