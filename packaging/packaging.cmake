# .deb and .rpm packages: `scripts/package.sh` builds them from the release preset.
include(GNUInstallDirs)

install(FILES packaging/systemd/drover.service DESTINATION lib/systemd/system)
install(FILES packaging/drover.toml DESTINATION /etc/drover)
install(FILES README.md docs/ARCHITECTURE.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY config/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

set(CPACK_PACKAGE_NAME drover)
set(CPACK_PACKAGE_VENDOR "drover")
set(CPACK_PACKAGE_CONTACT "drover maintainers <drover@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Ships logs, metrics and events to Apache Kafka without losing them")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/packaging/deb/conffiles;${PROJECT_SOURCE_DIR}/packaging/deb/postinst;${PROJECT_SOURCE_DIR}/packaging/deb/prerm;${PROJECT_SOURCE_DIR}/packaging/deb/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_LICENSE "Proprietary")
set(CPACK_RPM_PACKAGE_REQUIRES "librdkafka >= 2.0, simdjson, spdlog, fmt, re2, mimalloc, systemd-libs")
set(CPACK_RPM_PRE_INSTALL_SCRIPT_FILE "${PROJECT_SOURCE_DIR}/packaging/rpm/preinstall.sh")
set(CPACK_RPM_POST_INSTALL_SCRIPT_FILE "${PROJECT_SOURCE_DIR}/packaging/rpm/postinstall.sh")
set(CPACK_RPM_PRE_UNINSTALL_SCRIPT_FILE "${PROJECT_SOURCE_DIR}/packaging/rpm/preuninstall.sh")
set(CPACK_RPM_USER_FILELIST "%config(noreplace) /etc/drover/drover.toml")
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION /etc /lib /lib/systemd /lib/systemd/system)

include(CPack)
