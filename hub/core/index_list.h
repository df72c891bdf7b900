// IndexList: an intrusive doubly linked list of u32 handles whose links live in a caller-owned
// array (one Links per handle). Used by the LRU and positional policies: 8 bytes per entry, O(1)
// push, unlink and move-to-back. Plain value type; not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

namespace blockhub {

struct IndexLinks {
  uint32_t prev;
  uint32_t next;
};

class IndexList {
 public:
  static constexpr uint32_t kEnd = 0xFFFF'FFFFu;

  bool empty() const { return head_ == kEnd; }
  uint32_t front() const { return head_; }

  void PushBack(std::vector<IndexLinks>& links, uint32_t h) {
    links[h] = IndexLinks{tail_, kEnd};
    if (tail_ != kEnd) {
      links[tail_].next = h;
    } else {
      head_ = h;
    }
    tail_ = h;
  }
  void Unlink(std::vector<IndexLinks>& links, uint32_t h) {
    const IndexLinks l = links[h];
    if (l.prev != kEnd) {
      links[l.prev].next = l.next;
    } else {
      head_ = l.next;
    }
    if (l.next != kEnd) {
      links[l.next].prev = l.prev;
    } else {
      tail_ = l.prev;
    }
  }
  void MoveToBack(std::vector<IndexLinks>& links, uint32_t h) {
    if (tail_ == h) return;
    Unlink(links, h);
    PushBack(links, h);
  }

 private:
  uint32_t head_ = kEnd;
  uint32_t tail_ = kEnd;
};

// Grows `v` so that index `h` exists (amortised O(1)).
template <typename T>
void EnsureIndex(std::vector<T>& v, uint32_t h) {
  if (h >= v.size()) v.resize(size_t{h} + 1);
}

}  // namespace blockhub
