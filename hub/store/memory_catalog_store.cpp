#include "hub/store/memory_catalog_store.h"

#include <algorithm>
#include <cstring>

namespace blockhub {

std::unique_ptr<CatalogStore> MakeMemoryCatalogStore() {
  return std::make_unique<MemoryCatalogStore>();
}

Status MemoryCatalogStore::Open(const HubConfig& config) {
  const DecodeLimits& l = config.limits;
  size_t inline_bytes = config.inline_payload_bytes;
  if (inline_bytes == 0) inline_bytes = l.key_format == KeyFormat::kPositional ? 24 : 8;
  inline_bytes_ = std::max<size_t>(inline_bytes, sizeof(ValueArena::Ref));
  // Prefetch loads a record's last line too: a Match hit reads the value right after the lookup,
  // and a 20-byte u64 record straddles two cache lines about one time in five.
  slab_ = std::make_unique<KeyedSlab>(KeyFormatLength(l.key_format), l.max_key_bytes,
                                      kLengthsBytes + inline_bytes_, /*prefetch_payload=*/true);
  arena_ = std::make_unique<ValueArena>(size_t{l.max_value_bytes} + l.max_metadata_bytes);
  // Size the index for the configured capacity (up to kMaxPresizedEntries) once: growing it
  // rehashes every entry, and each rehash reads every record's key at random (a cache miss per
  // entry). Untouched table memory is not resident; the control bytes (~1 byte/slot) are.
  slab_->Reserve(std::min(config.capacity, kMaxPresizedEntries));
  return Status::Ok();
}

void MemoryCatalogStore::FindBatch(std::span<const std::string_view> keys, Handle* out,
                                   const CandidateHint* hint) const {
  uint64_t hashes[kPrefetchChunk];
  KeyedSlab::CandidateFn on_candidate = nullptr;
  if (hint != nullptr) {
    on_candidate = [](const void* ctx, uint32_t idx) {
      static_cast<const CandidateHint*>(ctx)->OnCandidate(idx);
    };
  }
  for (size_t base = 0; base < keys.size(); base += kPrefetchChunk) {
    const auto chunk = keys.subspan(base, std::min(kPrefetchChunk, keys.size() - base));
    slab_->PrefetchGroups(chunk, hashes);
    slab_->PrefetchRecords(std::span<const uint64_t>(hashes, chunk.size()), /*inserting=*/false,
                           on_candidate, hint);
    for (size_t i = 0; i < chunk.size(); ++i) out[base + i] = slab_->Find(chunk[i], hashes[i]);
  }
}

void MemoryCatalogStore::Prefetch(std::span<const std::string_view> keys) const {
  uint64_t hashes[kPrefetchChunk];
  for (size_t base = 0; base < keys.size(); base += kPrefetchChunk) {
    slab_->Prefetch(keys.subspan(base, std::min(kPrefetchChunk, keys.size() - base)), hashes,
                    /*inserting=*/true);
  }
}

CatalogStore::Handle MemoryCatalogStore::Insert(const Entry& entry) {
  Handle h = slab_->Insert(entry.key);
  std::byte* p = slab_->Payload(h);
  const auto vlen = static_cast<uint16_t>(entry.value.size());
  const auto mlen = static_cast<uint16_t>(entry.metadata.size());
  std::memcpy(p, &vlen, 2);
  std::memcpy(p + 2, &mlen, 2);
  std::byte* dst = p + kLengthsBytes;
  const size_t total = size_t{vlen} + mlen;
  if (total > inline_bytes_) {
    ValueArena::Ref ref = arena_->Allocate(total);
    std::memcpy(dst, &ref, sizeof(ref));
    dst = arena_->At(ref);
  }
  if (vlen != 0) std::memcpy(dst, entry.value.data(), vlen);
  if (mlen != 0) std::memcpy(dst + vlen, entry.metadata.data(), mlen);
  return h;
}

void MemoryCatalogStore::Erase(Handle handle) {
  const std::byte* p = slab_->Payload(handle);
  uint16_t vlen, mlen;
  std::memcpy(&vlen, p, 2);
  std::memcpy(&mlen, p + 2, 2);
  const size_t total = size_t{vlen} + mlen;
  if (total > inline_bytes_) {
    ValueArena::Ref ref;
    std::memcpy(&ref, p + kLengthsBytes, sizeof(ref));
    arena_->Free(ref, total);
  }
  slab_->Erase(handle);
}

Entry MemoryCatalogStore::Get(Handle handle) const {
  const std::byte* p = slab_->Payload(handle);
  uint16_t vlen, mlen;
  std::memcpy(&vlen, p, 2);
  std::memcpy(&mlen, p + 2, 2);
  const std::byte* src = p + kLengthsBytes;
  if (size_t{vlen} + mlen > inline_bytes_) {
    ValueArena::Ref ref;
    std::memcpy(&ref, src, sizeof(ref));
    src = arena_->At(ref);
  }
  const char* c = reinterpret_cast<const char*>(src);
  return Entry{slab_->Key(handle), std::string_view(c, vlen), std::string_view(c + vlen, mlen)};
}

}  // namespace blockhub
