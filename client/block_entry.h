// BlockEntry: one owned registration (key -> value, metadata), the unit the client library takes
// from callers and hands back from Match. Plain value type; thread-compatible.
#pragma once

#include <string>

namespace blockhub {

struct BlockEntry {
  std::string key;
  std::string value;
  std::string metadata;  // empty = none
  friend bool operator==(const BlockEntry&, const BlockEntry&) = default;
};

}  // namespace blockhub
