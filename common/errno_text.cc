#include "common/errno_text.h"

#include <cstring>

namespace supd::common {

std::string ErrnoText(int err) {
  const char* name = strerrorname_np(err);
  const char* desc = strerrordesc_np(err);
  std::string text = desc ? desc : "Unknown error";
  text += " (";
  text += name ? name : std::to_string(err);
  text += ")";
  return text;
}

}  // namespace supd::common
