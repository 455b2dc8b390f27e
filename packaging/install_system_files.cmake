# Installs the files that live outside the prefix on a distribution: the configuration
# and the systemd unit. Run at install time (install(SCRIPT)), so the places follow the
# prefix the install runs with (cpack, `cmake --install --prefix`):
#   prefix /usr -> /etc/supd, /lib/systemd/system (Debian 12's unit directory)
#   any other   -> PREFIX/etc/supd, PREFIX/lib/systemd/system
# SUPD_SYSCONFDIR / SUPD_SYSTEMD_UNITDIR (cmake -D at configure time) override both.
# The variables SUPD_SOURCE_DIR, SUPD_BINARY_DIR, SUPD_BINDIR come from install(CODE).
foreach(var SUPD_SOURCE_DIR SUPD_BINARY_DIR SUPD_BINDIR)
  if(NOT ${var})
    message(FATAL_ERROR "${var} unset: reconfigure the build directory (cmake -S . -B DIR)")
  endif()
endforeach()
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" OR CMAKE_INSTALL_PREFIX STREQUAL "/usr/")
  set(base "")
else()
  set(base "${CMAKE_INSTALL_PREFIX}")
endif()
set(etc "${base}/etc")
set(unitdir "${base}/lib/systemd/system")
if(SUPD_SYSCONFDIR)
  set(etc "${SUPD_SYSCONFDIR}")
endif()
if(SUPD_SYSTEMD_UNITDIR)
  set(unitdir "${SUPD_SYSTEMD_UNITDIR}")
endif()
file(INSTALL DESTINATION "${etc}/supd" TYPE FILE
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
     FILES "${SUPD_SOURCE_DIR}/packaging/supd.json")
# An empty conf.d/ that the shipped supd.json includes (a glob matching nothing is fine).
file(MAKE_DIRECTORY "$ENV{DESTDIR}${etc}/supd/conf.d")
# The unit names the binaries and the config: point it at this install's places
# (unchanged for prefix /usr).
string(REGEX REPLACE "/$" "" prefix "${CMAKE_INSTALL_PREFIX}")
file(READ "${SUPD_SOURCE_DIR}/systemd/supd.service" unit)
string(REPLACE "/usr/bin/" "${prefix}/${SUPD_BINDIR}/" unit "${unit}")
string(REPLACE "/etc/supd/" "${etc}/supd/" unit "${unit}")
file(WRITE "${SUPD_BINARY_DIR}/packaging/supd.service" "${unit}")
file(INSTALL DESTINATION "${unitdir}" TYPE FILE
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
     FILES "${SUPD_BINARY_DIR}/packaging/supd.service")
