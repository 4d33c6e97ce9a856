# Installation layout and the Debian package (`cpack -G DEB` in a build directory).
# `cmake --install` puts the binary in <prefix>/bin, the configuration in /etc/tern and the
# systemd unit in /lib/systemd/system (absolute: that is where systemd looks on Debian).

install(FILES ${PROJECT_SOURCE_DIR}/docs/tern.toml DESTINATION /etc/tern)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/tern.service DESTINATION /lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/configuration.md
  ${PROJECT_SOURCE_DIR}/docs/tern.toml
  DESTINATION share/doc/tern)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tern)
set(CPACK_PACKAGE_VENDOR "Tern")
set(CPACK_PACKAGE_CONTACT "Tern maintainers <tern@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "MQTT 3.1, 3.1.1 and 5.0 broker, durable by default")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# Library dependencies from the binary's ELF needs (dpkg-shlibdeps); adduser-free user creation.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd, init-system-helpers")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
  ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
  ${PROJECT_SOURCE_DIR}/packaging/debian/postrm
  ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
