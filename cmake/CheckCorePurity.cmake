# Fails when a file of daemon/core includes anything but C++ standard library headers or
# other daemon/core headers: the core is pure (DESIGN.md). Run as a CTest test:
#   cmake -DCORE_DIR=... -P CheckCorePurity.cmake
set(allowed algorithm any array atomic bit bitset cassert cctype cerrno cinttypes climits
    cmath compare concepts cstddef cstdint cstdio cstdlib cstring deque exception format
    functional initializer_list iomanip ios iosfwd iostream istream iterator limits list map
    memory numeric optional ostream queue random ranges set span sstream stdexcept
    string string_view tuple type_traits unordered_map unordered_set utility variant vector)
file(GLOB files "${CORE_DIR}/*.h" "${CORE_DIR}/*.cc")
set(bad "")
foreach(f IN LISTS files)
  file(STRINGS "${f}" lines REGEX "^[ \t]*#[ \t]*include")
  foreach(l IN LISTS lines)
    if(l MATCHES "<([^>]+)>")
      list(FIND allowed "${CMAKE_MATCH_1}" idx)
      if(idx EQUAL -1)
        string(APPEND bad "  ${f}: <${CMAKE_MATCH_1}>\n")
      endif()
    elseif(l MATCHES "\"([^\"]+)\"")
      if(NOT CMAKE_MATCH_1 MATCHES "^daemon/core/")
        string(APPEND bad "  ${f}: \"${CMAKE_MATCH_1}\"\n")
      endif()
    endif()
  endforeach()
endforeach()
if(bad)
  message(FATAL_ERROR "daemon/core must include only the C++ standard library and itself:\n${bad}")
endif()
message(STATUS "daemon/core is pure (${CMAKE_MATCH_COUNT} checked)")
