// errno rendered for people: what went wrong and the name to search for.
#pragma once

#include <string>

namespace supd::common {

/// strerror's text and the symbolic name: "No such file or directory (ENOENT)";
/// "Unknown error (1234)" for a number with no name.
std::string ErrnoText(int err);

}  // namespace supd::common
