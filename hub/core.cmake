# hub/ core part: catalog store, lease table, eviction policies, HubCore. No ZeroMQ, no threads:
# blockhub_hub_core links the codec (for the message types) and header-only Boost.Unordered.
add_library(blockhub_hub_core
  ${CMAKE_CURRENT_LIST_DIR}/block_lineage.cpp
  ${CMAKE_CURRENT_LIST_DIR}/eviction_policy.cpp
  ${CMAKE_CURRENT_LIST_DIR}/hub_config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/hub_core.cpp
  ${CMAKE_CURRENT_LIST_DIR}/hub_core_handle.cpp
  ${CMAKE_CURRENT_LIST_DIR}/hub_stats.cpp
  ${CMAKE_CURRENT_LIST_DIR}/keyed_slab.cpp
  ${CMAKE_CURRENT_LIST_DIR}/lease_table.cpp
  ${CMAKE_CURRENT_LIST_DIR}/memory_catalog_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/value_arena.cpp
)
target_link_libraries(blockhub_hub_core
  PUBLIC blockhub_codec Boost::headers
  PRIVATE PkgConfig::XXHASH)
