#include "protocol/json_writer.h"

#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

namespace supd::protocol {

void JsonObjectWriter::AppendString(std::string& out, std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      out += nlohmann::json(std::string(s)).dump(-1, ' ', false,
                                                 nlohmann::json::error_handler_t::replace);
      return;
    }
  }
  out.push_back('"');
  out.append(s);
  out.push_back('"');
}

std::string& JsonObjectWriter::Key(std::string_view key) {
  if (!first_) out_.push_back(',');
  first_ = false;
  AppendString(out_, key);
  out_.push_back(':');
  return out_;
}

void JsonObjectWriter::String(std::string_view key, std::string_view value) {
  AppendString(Key(key), value);
}

void JsonObjectWriter::Int(std::string_view key, std::int64_t value) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, value);
  Key(key).append(buf, r.ptr);
}

void JsonObjectWriter::Uint(std::string_view key, std::uint64_t value) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, value);
  Key(key).append(buf, r.ptr);
}

void JsonObjectWriter::Double(std::string_view key, double value) {
  std::string& out = Key(key);
  if (!std::isfinite(value)) {  // JSON has no NaN or infinity; nlohmann prints null
    out += "null";
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, value);
  std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
  out.append(text);
  if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
}

void JsonObjectWriter::Bool(std::string_view key, bool value) {
  Key(key) += value ? "true" : "false";
}

void JsonObjectWriter::Null(std::string_view key) { Key(key) += "null"; }

}  // namespace supd::protocol
