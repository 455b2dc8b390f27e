#include "config/json_text.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <vector>

namespace supd::config {
namespace {

// A char iterator that publishes how far the lexer has read, so that SAX callbacks
// (which get no position) can place their errors.
class TrackingIterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  TrackingIterator() = default;
  TrackingIterator(const char* p, const char** high_water) : p_(p), high_water_(high_water) {}
  reference operator*() const { return *p_; }
  TrackingIterator& operator++() {
    ++p_;
    if (high_water_ && p_ > *high_water_) *high_water_ = p_;
    return *this;
  }
  TrackingIterator operator++(int) {
    TrackingIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const TrackingIterator& other) const { return p_ == other.p_; }

 private:
  const char* p_ = nullptr;
  const char** high_water_ = nullptr;
};

// Builds the DOM through nlohmann's own builder, refusing depth > kMaxJsonDepth and
// duplicate keys before they are built.
class GuardedSax {
 public:
  using Dom = nlohmann::detail::json_sax_dom_parser<Json>;
  GuardedSax(Json& root, const char* begin, const char** read_to)
      : dom_(root, /*allow_exceptions=*/false), begin_(begin), read_to_(read_to) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(Json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(Json::number_float_t v, const std::string& s) {
    return dom_.number_float(v, s);
  }
  bool string(std::string& v) { return dom_.string(v); }
  bool binary(Json::binary_t& v) { return dom_.binary(v); }
  bool start_object(std::size_t n) {
    if (!Enter()) return false;
    keys_.emplace_back();
    return dom_.start_object(n);
  }
  bool key(std::string& k) {
    if (!keys_.back().insert(k).second) {
      return Fail("duplicate key \"" + k + "\" in the same object");
    }
    return dom_.key(k);
  }
  bool end_object() {
    --depth_;
    keys_.pop_back();
    return dom_.end_object();
  }
  bool start_array(std::size_t n) { return Enter() && dom_.start_array(n); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& ex) {
    error_offset_ = position;
    from_lexer_ = true;
    error_ = CleanMessage(ex.what());
    return false;
  }

  const std::string& error() const { return error_; }
  std::size_t error_offset() const { return error_offset_; }
  bool from_lexer() const { return from_lexer_; }

 private:
  bool Enter() {
    if (++depth_ > kMaxJsonDepth) {
      return Fail("nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    }
    return true;
  }
  bool Fail(std::string message) {
    error_ = std::move(message);
    error_offset_ = static_cast<std::size_t>(*read_to_ - begin_);
    return false;
  }
  // "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error while
  // parsing value - invalid literal; last read: 'x'" -> "syntax error while parsing ...".
  static std::string CleanMessage(std::string what) {
    auto pos = what.find(": ");
    if (what.rfind("[json.exception", 0) == 0 && pos != std::string::npos) {
      what.erase(0, pos + 2);
    }
    return what;
  }

  Dom dom_;
  const char* begin_;
  const char** read_to_;
  int depth_ = 0;
  std::vector<std::set<std::string>> keys_;
  std::string error_;
  std::size_t error_offset_ = 0;
  bool from_lexer_ = false;
};

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool IsLiteralChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '-' || c == '.';
}

// nlohmann reports the offset just past the last character read, which for a bad
// literal ("tru\n") is past the whitespace that ended it; point at the literal instead.
std::size_t ErrorStart(std::string_view text, std::size_t offset, const std::string& message) {
  if (offset == 0 || text.empty()) return 0;
  std::size_t p = std::min(offset, text.size()) - 1;
  std::size_t end = p;
  bool bad_literal = message.find("invalid literal") != std::string::npos ||
                     message.find("invalid number") != std::string::npos;
  // "tru}": the '}' only ended the bad literal.
  if (bad_literal && p > 0 && !IsLiteralChar(text[p]) && IsLiteralChar(text[p - 1])) --p;
  while (p > 0 && IsSpace(text[p])) --p;
  if (!IsLiteralChar(text[p])) return IsSpace(text[end]) ? end : p;
  while (p > 0 && IsLiteralChar(text[p - 1])) --p;
  return p;
}

}  // namespace

void LineColumn(std::string_view text, std::size_t offset, int& line, int& column) {
  if (offset > text.size()) offset = text.size();
  line = 1;
  column = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xC0) != 0x80) {  // count UTF-8 lead bytes only
      ++column;
    }
  }
}

std::optional<Json> ParseJson(std::string_view text, JsonSyntaxError& error) {
  Json root;
  const char* begin = text.data();
  const char* read_to = begin;
  GuardedSax sax(root, begin, &read_to);
  bool ok = false;
  try {
    ok = Json::sax_parse(TrackingIterator(begin, &read_to),
                         TrackingIterator(begin + text.size(), nullptr), &sax);
  } catch (const std::exception& ex) {  // defensive: nlohmann may throw on odd input
    ok = false;
    if (sax.error().empty()) error.message = ex.what();
  }
  if (ok) return root;
  if (!sax.error().empty()) error.message = sax.error();
  if (error.message.empty()) error.message = "invalid JSON";
  std::size_t offset = sax.error_offset();
  if (sax.from_lexer())
    offset = ErrorStart(text, offset, error.message);
  else if (offset > 0)
    --offset;  // our own checks stop just after the offending character
  LineColumn(text, offset, error.line, error.column);
  return std::nullopt;
}

}  // namespace supd::config
