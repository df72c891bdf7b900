# hub/ server part: HubServer (the only ZeroMQ code in hub/), blockhubd's configuration, and the
# blockhubd executable (built at ${CMAKE_BINARY_DIR}/hub/blockhubd).
if(NOT TARGET blockhub_hub_core)
  message(STATUS "blockhubd: skipped until the hub core (hub/core.cmake) exists")
  return()
endif()
add_library(blockhub_hub_server
  ${CMAKE_CURRENT_LIST_DIR}/hub_server.cpp
  ${CMAKE_CURRENT_LIST_DIR}/hub_server_observe.cpp
  ${CMAKE_CURRENT_LIST_DIR}/zmq_handles.cpp
  ${CMAKE_CURRENT_LIST_DIR}/server_config.cpp
)
target_link_libraries(blockhub_hub_server
  PUBLIC blockhub_hub_core blockhub_metrics blockhub_persistence
  PRIVATE PkgConfig::ZMQ PkgConfig::XXHASH CLI11::CLI11)

add_executable(blockhubd ${CMAKE_CURRENT_LIST_DIR}/main.cpp)
target_link_libraries(blockhubd PRIVATE blockhub_hub_server)
set_target_properties(blockhubd PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/hub)
