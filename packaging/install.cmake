# packaging/install.cmake: install rules and the Debian package (CPack).
#   cmake -S . -B build -DCMAKE_INSTALL_PREFIX=/usr && cmake --build build --target package
# gives build/spotcheck_<version>_<arch>.deb. Layout (Debian 12):
#   /usr/bin/spotcheck                       the binary
#   /usr/share/spotcheck/{rules,web,scripts/admin}   data (rules/tests included; no node_modules)
#   /usr/lib/spotcheck/spotcheck-{prestart,ready,backup}, conf.sh   helpers of the systemd units
#   /lib/systemd/system/spotcheck.service, spotcheck-backup.{service,timer}
#   /etc/spotcheck/spotcheck.conf            conffile
#   /usr/share/man/man1/spotcheck.1.gz, /usr/share/doc/spotcheck/{OPERATIONS.md,nginx-spotcheck.conf,copyright}
# The binary falls back to CMAKE_INSTALL_PREFIX/share/spotcheck for rules and web when the source
# tree is gone; the packaged spotcheck.conf names both directories explicitly anyway.
include(GNUInstallDirs)

set(SPOT_PKG_DIR ${CMAKE_CURRENT_LIST_DIR})
set(SPOT_DATADIR ${CMAKE_INSTALL_DATADIR}/spotcheck)

if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  message(STATUS "spotcheck packaging: CMAKE_INSTALL_PREFIX is ${CMAKE_INSTALL_PREFIX}; "
                 "the .deb installs under /usr (configure with -DCMAKE_INSTALL_PREFIX=/usr for packages)")
endif()

install(TARGETS spotcheck RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(DIRECTORY ${CMAKE_SOURCE_DIR}/rules/ DESTINATION ${SPOT_DATADIR}/rules
        FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/web/ DESTINATION ${SPOT_DATADIR}/web
        FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
        PATTERN node_modules EXCLUDE
        PATTERN "package.json" EXCLUDE
        PATTERN "package-lock.json" EXCLUDE
        PATTERN ".*" EXCLUDE)
if(IS_DIRECTORY ${CMAKE_SOURCE_DIR}/scripts/admin)
  install(DIRECTORY ${CMAKE_SOURCE_DIR}/scripts/admin/ DESTINATION ${SPOT_DATADIR}/scripts/admin
          FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endif()

# Helpers the units run (bash; sqlite3 CLI for the pre-upgrade copy).
install(PROGRAMS ${SPOT_PKG_DIR}/bin/spotcheck-prestart ${SPOT_PKG_DIR}/bin/spotcheck-ready
                 ${SPOT_PKG_DIR}/bin/spotcheck-backup
        DESTINATION lib/spotcheck)
install(FILES ${SPOT_PKG_DIR}/bin/conf.sh DESTINATION lib/spotcheck)

# systemd units and the configuration file: absolute Debian paths, whatever the prefix.
install(FILES ${SPOT_PKG_DIR}/systemd/spotcheck.service ${SPOT_PKG_DIR}/systemd/spotcheck-backup.service
              ${SPOT_PKG_DIR}/systemd/spotcheck-backup.timer
        DESTINATION /lib/systemd/system)
install(FILES ${SPOT_PKG_DIR}/spotcheck.conf DESTINATION /etc/spotcheck
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# Man page (gzipped, as Debian policy wants) and documentation.
find_program(SPOT_GZIP gzip)
if(SPOT_GZIP)
  add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/spotcheck.1.gz
    COMMAND ${SPOT_GZIP} -9 -n -c ${SPOT_PKG_DIR}/spotcheck.1 > ${CMAKE_BINARY_DIR}/spotcheck.1.gz
    DEPENDS ${SPOT_PKG_DIR}/spotcheck.1
    COMMENT "Compressing the man page")
  add_custom_target(spotcheck_manpage ALL DEPENDS ${CMAKE_BINARY_DIR}/spotcheck.1.gz)
  install(FILES ${CMAKE_BINARY_DIR}/spotcheck.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  install(FILES ${SPOT_PKG_DIR}/spotcheck.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()
install(FILES ${SPOT_PKG_DIR}/nginx/spotcheck.conf DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME nginx-spotcheck.conf)
set(SPOT_DOCS ${SPOT_PKG_DIR}/debian/copyright)
if(EXISTS ${CMAKE_SOURCE_DIR}/docs/OPERATIONS.md)
  list(APPEND SPOT_DOCS ${CMAKE_SOURCE_DIR}/docs/OPERATIONS.md)
endif()
install(FILES ${SPOT_DOCS} DESTINATION ${CMAKE_INSTALL_DOCDIR})

# ---- CPack: one Debian package -------------------------------------------------------------------
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "spotcheck")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "County Emergency Management Bureau")
set(CPACK_PACKAGE_CONTACT "spotcheck maintainers <spotcheck@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "double-random, one-public safety-production spot checks (双随机、一公开)")
set(CPACK_PACKAGE_DESCRIPTION
    "spotcheck runs the double-random, one-public spot-check regime of a county emergency-management\n\
bureau: item list, enterprise and inspector directories, publicly verifiable random draws, results\n\
and their publication, and a tamper-evident audit trail. Policy lives in editable Lua rules.")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "web")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://localhost/spotcheck")
# Helpers: adduser (postinst), sqlite3 (pre-upgrade copy, backup check); bash is essential.
set(SPOT_DEB_TOOLS "adduser, sqlite3")
find_program(SPOT_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(SPOT_DPKG_SHLIBDEPS)
  # Library packages with their minimum versions, computed from the binary by dpkg-shlibdeps.
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "${SPOT_DEB_TOOLS}")
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "libc6, liblua5.4-0, libsqlite3-0, libmicrohttpd12, libjansson4, libsodium23, libcsv3, libedit2, libxlsxwriter4, libzip4, libexpat1, libcurl4, zlib1g, ${SPOT_DEB_TOOLS}")
endif()
# /vendor/codemirror/ and /vendor/chart.js/ are served from Debian's libjs-codemirror (the rule editor)
# and libjs-chart.js (the charts); TLS proxy example.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libjs-codemirror, libjs-chart.js")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nginx-light | nginx")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${SPOT_PKG_DIR}/debian/conffiles ${SPOT_PKG_DIR}/debian/postinst
    ${SPOT_PKG_DIR}/debian/prerm ${SPOT_PKG_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
