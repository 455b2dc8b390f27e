# Install rules and the Debian package. Included last by the top-level CMakeLists.txt.
# `cmake --install BUILD --prefix /usr` lays out exactly the tree the .deb holds; the
# .deb is CPack's DEB generator over these same rules (packaging/README.md says why).
include(GNUInstallDirs)

# --- Man pages: scdoc sources in man/, troff and gzip -9n at build time -----------------
find_program(SUPD_SCDOC scdoc)
find_program(SUPD_GZIP gzip)
set(SUPD_MAN_PAGES supd.8 supctl.1 supd.json.5)
if(SUPD_SCDOC AND SUPD_GZIP)
  set(man_outputs "")
  foreach(page IN LISTS SUPD_MAN_PAGES)
    set(out ${PROJECT_BINARY_DIR}/man/${page})
    add_custom_command(
      OUTPUT ${out} ${out}.gz
      COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
      COMMAND ${CMAKE_COMMAND} -DSCDOC=${SUPD_SCDOC} -DGZIP=${SUPD_GZIP}
              -DIN=${PROJECT_SOURCE_DIR}/man/${page}.scd -DOUT=${out}
              -P ${PROJECT_SOURCE_DIR}/packaging/man.cmake
      DEPENDS ${PROJECT_SOURCE_DIR}/man/${page}.scd ${PROJECT_SOURCE_DIR}/packaging/man.cmake
      COMMENT "scdoc ${page}" VERBATIM)
    list(APPEND man_outputs ${out}.gz)
    string(REGEX MATCH "[0-9]$" section ${page})
    install(FILES ${out}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endforeach()
  add_custom_target(supd_man ALL DEPENDS ${man_outputs})
else()
  message(WARNING "scdoc or gzip not found: no man pages (scripts/deps.sh installs scdoc)")
endif()

# --- Documentation and changelog ---------------------------------------------------------
set(SUPD_DOC_BUILD ${PROJECT_BINARY_DIR}/packaging)
add_custom_command(
  OUTPUT ${SUPD_DOC_BUILD}/changelog.gz
  COMMAND ${CMAKE_COMMAND} -E make_directory ${SUPD_DOC_BUILD}
  COMMAND ${SUPD_GZIP} -9nc ${PROJECT_SOURCE_DIR}/packaging/changelog
          > ${SUPD_DOC_BUILD}/changelog.gz
  DEPENDS ${PROJECT_SOURCE_DIR}/packaging/changelog)
add_custom_target(supd_changelog ALL DEPENDS ${SUPD_DOC_BUILD}/changelog.gz)
install(FILES README.md packaging/copyright ${SUPD_DOC_BUILD}/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES examples/supd.json DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(DIRECTORY packaging/examples/conf.d DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# --- Shell completion --------------------------------------------------------------------
install(FILES cli/supctl.bash-completion
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME supctl)
set(SUPD_ZSH_COMPLETION_DIR ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions
    CACHE STRING "zsh completion directory (Debian: vendor-completions; else site-functions)")
install(FILES cli/supctl.zsh-completion DESTINATION ${SUPD_ZSH_COMPLETION_DIR} RENAME _supctl)

# --- /etc/supd and the systemd unit: places decided at install time ----------------------
set(SUPD_SYSCONFDIR "" CACHE PATH "Config directory (default: /etc for prefix /usr)")
set(SUPD_SYSTEMD_UNITDIR "" CACHE PATH "systemd unit directory (default: /lib/systemd/system)")
install(CODE "set(SUPD_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")
set(SUPD_BINARY_DIR \"${PROJECT_BINARY_DIR}\")
set(SUPD_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
set(SUPD_SYSCONFDIR \"${SUPD_SYSCONFDIR}\")
set(SUPD_SYSTEMD_UNITDIR \"${SUPD_SYSTEMD_UNITDIR}\")")
install(SCRIPT packaging/install_system_files.cmake)

# --- CPack: the .deb ---------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME supd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "supd developers <supd-devel@lists.supd.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "process supervisor with Erlang/OTP supervision trees")
# Debian's extended description (the synopsis is the summary above), in lines under 80
# columns: CPack indents each one; "." stands for an empty line.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
"supd starts, watches and restarts long-running programs (services, workers,
daemons), like runit, s6, daemontools or supervisord, arranged as an
Erlang/OTP supervision tree: one_for_one, one_for_all, rest_for_one and
simple_one_for_one strategies, permanent, transient and temporary children,
restart intensity that escalates up the tree, starts that wait for readiness
(sd_notify, a notification fd, a probe command) and stops that end with
SIGKILL when a child's shutdown time expires, with a cgroup per child.
.
The tree is described in JSON (/etc/supd/supd.json and conf.d/). supctl shows
its status and starts, stops, restarts and signals children over a Unix
socket. supd runs under systemd (Type=notify) or as a container's PID 1.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # supd_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# dpkg-shlibdeps adds the libraries' packages (libuv1, libc6, libstdc++6, ...).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# addgroup in postinst (deb-systemd-helper/-invoke come from init-system-helpers, which
# is Essential: lintian refuses an unversioned dependency on it). libmicrohttpd is
# dlopen'ed for daemon.http (daemon/io/http/mhd.h), so dpkg-shlibdeps cannot see it: its
# package is named from its SONAME (libmicrohttpd.so.12 -> libmicrohttpd12).
string(REGEX REPLACE "^lib(.*)\\.so\\.([0-9]+)$" "lib\\1\\2" SUPD_MHD_PACKAGE "${SUPD_MHD_SONAME}")
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, ${SUPD_MHD_PACKAGE}")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bash-completion")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Absolute places (/etc, /lib/systemd/system) below a DESTDIR, prefix /usr: the same
# install as `DESTDIR=root cmake --install BUILD --prefix /usr`.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/dist)
set(CPACK_OUTPUT_CONFIG_FILE ${PROJECT_BINARY_DIR}/CPackConfig.cmake)
include(CPack)
