# Man pages: each binary's --help rendered by help2man (Debian package help2man; scripts/package.sh
# installs it). Without help2man the build installs none and says so once.
find_program(BLOCKHUB_HELP2MAN help2man)
find_program(BLOCKHUB_GZIP gzip)
if(NOT BLOCKHUB_HELP2MAN OR NOT BLOCKHUB_GZIP)
  message(STATUS "help2man or gzip not found: no man pages will be installed")
  return()
endif()
set(_blockhub_man_pages
  "blockhubd|block-deduplication hub (block catalog and upload leases over ZeroMQ)"
  "blockhub|command-line client of a blockhub hub"
  "blockhub-bench|benchmark programs of blockhub"
  "blockhub-dedup|deduplicate files into a chunk store, many writers coordinated by a blockhub hub")
set(_blockhub_man_outputs)
foreach(entry IN LISTS _blockhub_man_pages)
  string(REPLACE "|" ";" entry "${entry}")
  list(GET entry 0 prog)
  list(GET entry 1 what)
  set(page ${CMAKE_CURRENT_BINARY_DIR}/man/${prog}.1)
  # help2man reads `prog --help` and `prog --version`; -N: no pointer to a Texinfo manual.
  add_custom_command(
    OUTPUT ${page}.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/man
    COMMAND ${BLOCKHUB_HELP2MAN} -N --name=${what} --section=1 --output=${page}
            $<TARGET_FILE:${prog}>
    COMMAND ${BLOCKHUB_GZIP} -9nf ${page}
    DEPENDS ${prog}
    COMMENT "Rendering man page ${prog}.1 from --help"
    VERBATIM)
  list(APPEND _blockhub_man_outputs ${page}.gz)
endforeach()
add_custom_target(blockhub_man_pages ALL DEPENDS ${_blockhub_man_outputs})
install(FILES ${_blockhub_man_outputs} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
