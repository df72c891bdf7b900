# CPack pre-build script (CPACK_PRE_BUILD_SCRIPTS): runs on the staged package tree before the .deb
# is assembled. CPack strips executables and shared libraries itself (CPACK_STRIP_FILES) but not
# static ones: drop their debug information (Debian's build flags carry -g for -dbgsym packages,
# which we do not build), and the compiler's .comment section from every ELF file.
file(GLOB_RECURSE _staged LIST_DIRECTORIES false "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*")
foreach(f IN LISTS _staged)
  if(IS_SYMLINK "${f}")
    continue()
  endif()
  if(f MATCHES "\\.a$")
    execute_process(COMMAND strip --strip-debug --remove-section=.comment "${f}"
                    COMMAND_ERROR_IS_FATAL ANY)
  elseif(f MATCHES "/bin/|\\.so(\\.[0-9]+)*$")
    execute_process(COMMAND strip --remove-section=.comment "${f}" COMMAND_ERROR_IS_FATAL ANY)
  endif()
endforeach()
