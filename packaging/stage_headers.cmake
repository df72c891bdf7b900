# Stages the installed client headers (cmake -P, run by the build; see packaging/CMakeLists.txt).
#
# The installed API is <blockhub/client.h>. In the tree the headers include each other as
# "client/...", "codec/...", "common/..."; installed, they live under include/blockhub/ and their
# includes are rewritten to "blockhub/client/..." etc., so a consumer needs only PREFIX/include on
# its include path and a generic name such as "common/status.h" of its own never collides with ours.
#
# The set is the include closure of client/client.h (plus the generated common/version.h), found by
# following its quoted includes: nothing to keep in sync by hand. An include outside client/,
# codec/, common/ (a hub header, say) is an error: a consumer must never need a header of the hub.
#   -DSOURCE_DIR=<repo> -DGENERATED_DIR=<build>/generated -DOUT_DIR=<dir> -DUMBRELLA=<client.h>
cmake_minimum_required(VERSION 3.25)
foreach(var SOURCE_DIR GENERATED_DIR OUT_DIR UMBRELLA)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "stage_headers.cmake: -D${var}=... is required")
  endif()
endforeach()

set(public_folders client codec common)
set(todo "client/client.h" "common/version.h")
set(done "")
file(REMOVE_RECURSE "${OUT_DIR}/blockhub")
while(todo)
  list(POP_FRONT todo header)
  if(header IN_LIST done)
    continue()
  endif()
  list(APPEND done "${header}")
  if(EXISTS "${SOURCE_DIR}/${header}")
    set(path "${SOURCE_DIR}/${header}")
  elseif(EXISTS "${GENERATED_DIR}/${header}")
    set(path "${GENERATED_DIR}/${header}")
  else()
    message(FATAL_ERROR "stage_headers.cmake: ${header} not found in the source or generated tree")
  endif()
  file(READ "${path}" text)
  string(REGEX MATCHALL "#[ \t]*include[ \t]*\"[^\"]+\"" includes "${text}")
  foreach(inc IN LISTS includes)
    string(REGEX REPLACE ".*\"([^\"]+)\"" "\\1" name "${inc}")
    string(REGEX MATCH "^[^/]+" folder "${name}")
    if(NOT folder IN_LIST public_folders)
      message(FATAL_ERROR "stage_headers.cmake: the public header ${header} includes \"${name}\": "
                          "only client/, codec/ and common/ headers may be installed")
    endif()
    list(APPEND todo "${name}")
  endforeach()
  string(REGEX REPLACE "(#[ \t]*include[ \t]*\")(client|codec|common)/" "\\1blockhub/\\2/" text
                       "${text}")
  file(WRITE "${OUT_DIR}/blockhub/${header}" "${text}")
endwhile()
file(READ "${UMBRELLA}" text)
file(WRITE "${OUT_DIR}/blockhub/client.h" "${text}")
list(SORT done)
list(JOIN done " " done_text)
message(STATUS "staged public headers: ${done_text}")
