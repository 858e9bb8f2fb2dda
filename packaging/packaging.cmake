# .deb and .rpm packages: `scripts/package.sh` builds both from the release preset.
include(GNUInstallDirs)

# The version comes from project() alone; packaging/changelog's newest entry must name it, so
# the packages' changelogs never disagree with their version. DROVER_PACKAGE_RELEASE is the
# packaging's own revision (Debian revision, RPM release).
set(DROVER_PACKAGE_RELEASE 1 CACHE STRING "Debian revision and RPM release of the packages")
set(changelog ${PROJECT_SOURCE_DIR}/packaging/changelog)
file(STRINGS ${changelog} changelog_lines)
list(GET changelog_lines 0 changelog_head)
if(NOT changelog_head MATCHES "^drover \\(${PROJECT_VERSION}-[0-9]+\\) ")
  message(FATAL_ERROR "packaging/changelog's newest entry is '${changelog_head}' but the project "
                      "is ${PROJECT_VERSION}: add an entry for ${PROJECT_VERSION} at its top")
endif()

# The RPM %changelog from the same entries ("* Mon Dec 07 2026 Name <mail> - 0.1.0-1").
set(rpm_changelog "")
set(entry_items "")
foreach(line IN LISTS changelog_lines)
  if(line MATCHES "^drover \\(([^)]+)\\)")
    set(entry_version ${CMAKE_MATCH_1})
    set(entry_items "")
  elseif(line MATCHES "^  \\* (.*)")
    string(APPEND entry_items "- ${CMAKE_MATCH_1}\n")
  elseif(line MATCHES "^    (.*)")
    string(REGEX REPLACE "\n$" " ${CMAKE_MATCH_1}\n" entry_items "${entry_items}")
  elseif(line MATCHES "^ -- (.*>)  ([A-Z][a-z][a-z]), ([0-9]+) ([A-Z][a-z][a-z]) ([0-9]+)")
    if(NOT DEFINED newest_entry_date)  # the newest entry's day dates the man pages
      set(newest_entry_date "${CMAKE_MATCH_3} ${CMAKE_MATCH_4} ${CMAKE_MATCH_5}")
    endif()
    string(APPEND rpm_changelog
           "* ${CMAKE_MATCH_2} ${CMAKE_MATCH_4} ${CMAKE_MATCH_3} ${CMAKE_MATCH_5} ${CMAKE_MATCH_1} "
           "- ${entry_version}\n${entry_items}\n")
  endif()
endforeach()
file(WRITE ${CMAKE_BINARY_DIR}/rpm-changelog "${rpm_changelog}")
execute_process(COMMAND date -u -d "${newest_entry_date}" +%s OUTPUT_VARIABLE source_date_epoch
                OUTPUT_STRIP_TRAILING_WHITESPACE)

# Man pages drover(1) and drover.toml(5), from docs/man/*.scd (and the example config).
find_program(SCDOC scdoc)
set(generated_docs "")
if(SCDOC)
  foreach(page drover.1 drover.toml.5)
    set(out ${CMAKE_BINARY_DIR}/man/${page}.gz)
    add_custom_command(
      OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
      COMMAND ${CMAKE_COMMAND} -E env SOURCE_DATE_EPOCH=${source_date_epoch} ${CMAKE_COMMAND}
              -DSCDOC=${SCDOC} -DSOURCE=${PROJECT_SOURCE_DIR}/docs/man/${page}.scd
              -DEXAMPLE_CONFIG=${PROJECT_SOURCE_DIR}/config/examples/drover.toml -DOUTPUT=${out}
              -P ${PROJECT_SOURCE_DIR}/cmake/man_page.cmake
      DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/${page}.scd
              ${PROJECT_SOURCE_DIR}/config/examples/drover.toml
              ${PROJECT_SOURCE_DIR}/cmake/man_page.cmake
      COMMENT "Generating man page ${page}")
    list(APPEND generated_docs ${out})
    string(REGEX MATCH "[0-9]$" section ${page})
    install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endforeach()
else()
  message(STATUS "scdoc not found: no man pages (scripts/setup.sh --package installs it)")
endif()
set(debian_changelog ${CMAKE_BINARY_DIR}/changelog.Debian.gz)
add_custom_command(
  OUTPUT ${debian_changelog}
  COMMAND gzip -9nc ${changelog} > ${debian_changelog}
  DEPENDS ${changelog}
  COMMENT "Compressing the changelog")
list(APPEND generated_docs ${debian_changelog})
add_custom_target(package_docs ALL DEPENDS ${generated_docs})

install(FILES packaging/systemd/drover.service DESTINATION lib/systemd/system)
install(FILES packaging/drover.toml DESTINATION /etc/drover)
install(FILES README.md docs/ARCHITECTURE.md packaging/copyright ${debian_changelog}
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY config/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES packaging/deb/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
        RENAME drover)

set(CPACK_PACKAGE_NAME drover)
set(CPACK_PACKAGE_VENDOR "drover")
set(CPACK_PACKAGE_CONTACT "drover maintainers <maintainers@drover.dev>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "ships logs, metrics and events to Apache Kafka, losing nothing")
# Wrapped by hand: the .deb's description lines must stay under 80 columns.
set(CPACK_PACKAGE_DESCRIPTION
    "drover runs on every host of a fleet. It tails log files, reads the systemd
journal, collects host metrics and receives events from local applications,
and ships all of it to Apache Kafka: batched, compressed, retried, and never
lost, as positions advance only after Kafka's acknowledgements. One TOML file
describes its pipelines.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${DROVER_PACKAGE_RELEASE})
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")  # the maintainer scripts'; shlibdeps adds the rest
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/packaging/deb/conffiles;${PROJECT_SOURCE_DIR}/packaging/deb/postinst;${PROJECT_SOURCE_DIR}/packaging/deb/prerm;${PROJECT_SOURCE_DIR}/packaging/deb/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_RELEASE ${DROVER_PACKAGE_RELEASE})
set(CPACK_RPM_PACKAGE_LICENSE "Proprietary")
set(CPACK_PACKAGE_RELOCATABLE OFF)  # /etc/drover and /usr: not relocatable
set(CPACK_RPM_PACKAGE_GROUP "System Environment/Daemons")
set(CPACK_RPM_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_RPM_PACKAGE_SUMMARY "Ships logs, metrics and events to Apache Kafka, losing nothing")
set(CPACK_RPM_SPEC_MORE_DEFINE "%define packager ${CPACK_PACKAGE_CONTACT}")
set(CPACK_RPM_CHANGELOG_FILE ${CMAKE_BINARY_DIR}/rpm-changelog)
# Library requirements come from rpmbuild's automatic dependency scan of the binary.
set(CPACK_RPM_PACKAGE_AUTOREQ ON)
set(CPACK_RPM_PACKAGE_REQUIRES_PRE "shadow-utils")
set(CPACK_RPM_PRE_INSTALL_SCRIPT_FILE "${PROJECT_SOURCE_DIR}/packaging/rpm/preinstall.sh")
set(CPACK_RPM_POST_INSTALL_SCRIPT_FILE "${PROJECT_SOURCE_DIR}/packaging/rpm/postinstall.sh")
set(CPACK_RPM_PRE_UNINSTALL_SCRIPT_FILE "${PROJECT_SOURCE_DIR}/packaging/rpm/preuninstall.sh")
set(CPACK_RPM_POST_UNINSTALL_SCRIPT_FILE "${PROJECT_SOURCE_DIR}/packaging/rpm/postuninstall.sh")
set(CPACK_RPM_USER_FILELIST "%config(noreplace) /etc/drover/drover.toml")
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION /etc /lib /lib/systemd /lib/systemd/system
    /usr/share/man /usr/share/man/man1 /usr/share/man/man5)

include(CPack)
