# The Debian package (scripts/package.sh configures with -DBLOCKHUB_INSTALL_SERVICE=ON and
# CMAKE_INSTALL_PREFIX=/usr, then runs cpack -G DEB): the systemd unit, /etc/default/blockhub, the
# maintainer scripts (system user, /var/lib/blockhub, the unit's enable/start/stop, purge cleanup),
# and CPack's settings. One package, blockhub_<version>_<arch>.deb: the service, the CLI, the
# benchmarks and the client library with its development files (a worker host installs one package;
# the library is small and has no other consumer in Debian to share a split package with).
set(BLOCKHUB_DEB_MAINTAINER "blockhub maintainers <maintainers@blockhub.invalid>"
    CACHE STRING "Maintainer field of the .deb")
set(BLOCKHUB_DEB_LICENSE "all-rights-reserved" CACHE STRING "License short name in the copyright file")
set(BLOCKHUB_DEB_LICENSE_TEXT "No license has been granted yet." CACHE STRING "License text")
set(BLOCKHUB_STATE_DIR /var/lib/blockhub)
set(BLOCKHUB_BINDIR ${CMAKE_INSTALL_FULL_BINDIR})
set(BLOCKHUB_UNIT_DIR /lib/systemd/system CACHE PATH "Where the systemd unit is installed")

set(_deb ${CMAKE_CURRENT_BINARY_DIR}/debian)
configure_file(debian/blockhubd.service.in ${_deb}/blockhubd.service @ONLY)
configure_file(debian/copyright.in ${_deb}/copyright @ONLY)
install(FILES ${_deb}/blockhubd.service DESTINATION ${BLOCKHUB_UNIT_DIR})
install(FILES debian/blockhub.default DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/default
        RENAME blockhub)
install(FILES ${_deb}/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Debian's changelog of a native package (the version has no Debian revision): one entry per
# release, dated by SOURCE_DATE_EPOCH when set (scripts/package.sh: the last commit) for a
# reproducible package.
string(TIMESTAMP _blockhub_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE ${_deb}/changelog
  "blockhub (${PROJECT_VERSION}) unstable; urgency=medium\n\n"
  "  * Release ${PROJECT_VERSION}: blockhubd (systemd unit blockhubd.service), the blockhub\n"
  "    CLI, blockhub-bench and the client library (CMake package and pkg-config).\n\n"
  " -- ${BLOCKHUB_DEB_MAINTAINER}  ${_blockhub_date}\n")
find_program(BLOCKHUB_GZIP gzip REQUIRED)
add_custom_command(OUTPUT ${_deb}/changelog.gz
  COMMAND ${BLOCKHUB_GZIP} -9nc ${_deb}/changelog > ${_deb}/changelog.gz
  DEPENDS ${_deb}/changelog VERBATIM)
add_custom_target(blockhub_deb_changelog ALL DEPENDS ${_deb}/changelog.gz)
install(FILES ${_deb}/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME blockhub)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${BLOCKHUB_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "block-deduplication hub for distributed storage workers")
# The synopsis is CPACK_PACKAGE_DESCRIPTION_SUMMARY; this is the extended description.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "blockhub keeps one catalog of stored blocks (block hash to location) and a\n"
  "table of upload leases. Workers ask the hub over ZeroMQ, in batches, which\n"
  "blocks they should store, then register where they stored them. The wire\n"
  "protocol version 1 is compatible with the NVIDIA Dynamo KVBM registry.\n"
  ".\n"
  "This package contains the hub blockhubd with its systemd unit, the\n"
  "command-line client blockhub, the benchmark programs blockhub-bench, and the\n"
  "C++ client library (shared and static, headers, CMake package, pkg-config).")
string(REPLACE ";" "" CPACK_DEBIAN_PACKAGE_DESCRIPTION "${CPACK_DEBIAN_PACKAGE_DESCRIPTION}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # blockhub_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Shared-library dependencies from dpkg-shlibdeps (libzmq5, libspdlog, libfmt, libxxhash0, libc6,
# libstdc++6 ...), plus what the maintainer scripts run.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, init-system-helpers (>= 1.52)")
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY "=")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_CURRENT_SOURCE_DIR}/debian/postinst ${CMAKE_CURRENT_SOURCE_DIR}/debian/prerm
  ${CMAKE_CURRENT_SOURCE_DIR}/debian/postrm ${CMAKE_CURRENT_SOURCE_DIR}/debian/conffiles
  ${CMAKE_CURRENT_SOURCE_DIR}/debian/triggers)
set(CPACK_STRIP_FILES ON)
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_CURRENT_SOURCE_DIR}/debian/strip_staged.cmake)
set(CPACK_PACKAGE_INSTALL_DIRECTORY /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_OUTPUT_FILE_PREFIX ${PROJECT_BINARY_DIR}/packages)
include(CPack)
