// A JSON reader that drives a nlohmann/json SAX handler, for the large replies supctl
// reads (a status of 1,000 nodes is ~220 KB). nlohmann's lexer takes a character at a
// time through an input adapter and appends each to its token buffer; reading a status
// reply that way was about a third of `supctl status`'s CPU (bench/RESULTS.md, issue 16).
// This one copies plain runs of a string at once and parses integers with from_chars.
//
// It accepts exactly what json::sax_parse(first, last, sax) accepts (strict RFC 8259: a
// UTF-8 byte order mark at the start skipped, UTF-8 in strings checked, lone surrogates
// refused, non-finite numbers refused, nothing but whitespace after the value, or a NUL
// byte that ends the input there) and makes
// the same calls in the same order, with the same number kinds (integer for a negative
// integer, unsigned for another, float otherwise or when it does not fit 64 bits).
// protocol_json_sax_test compares the two.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace supd::protocol {

template <typename Sax>
class JsonSaxReader {
 public:
  JsonSaxReader(std::string_view text, Sax* sax)
      : p_(text.data()), end_(text.data() + text.size()), sax_(sax) {}

  /// False on a syntax error or when a handler returns false (as sax_parse).
  bool Run() {
    if (p_ != end_ && Byte(*p_) == 0xEF) {  // a byte order mark, else an error
      if (end_ - p_ < 3 || Byte(p_[1]) != 0xBB || Byte(p_[2]) != 0xBF) return false;
      p_ += 3;
    }
    std::vector<bool> open;  // per container entered: an object (else an array)
  value:
    SkipSpace();
    if (p_ == end_) return false;
    switch (*p_) {
      case '{':
      case '[': {
        const bool object = *p_++ == '{';
        constexpr auto kUnknown = static_cast<std::size_t>(-1);  // element count
        if (!(object ? sax_->start_object(kUnknown) : sax_->start_array(kUnknown))) return false;
        SkipSpace();
        if (p_ != end_ && *p_ == (object ? '}' : ']')) {  // empty
          ++p_;
          if (!Close(object)) return false;
          goto after;
        }
        open.push_back(object);
        if (object && !Key()) return false;
        goto value;
      }
      case '"':
        ++p_;
        if (!String() || !sax_->string(buf_)) return false;
        goto after;
      case 't':
        if (!Literal("true") || !sax_->boolean(true)) return false;
        goto after;
      case 'f':
        if (!Literal("false") || !sax_->boolean(false)) return false;
        goto after;
      case 'n':
        if (!Literal("null") || !sax_->null()) return false;
        goto after;
      default:
        if (!Number()) return false;
        goto after;
    }
  after:
    SkipSpace();
    // nlohmann's lexer takes a NUL byte for the end of the input.
    if (open.empty()) return p_ == end_ || *p_ == '\0';
    if (p_ == end_) return false;
    if (*p_ == ',') {
      ++p_;
      if (open.back() && !Key()) return false;
      goto value;
    }
    if (*p_ == (open.back() ? '}' : ']')) {
      ++p_;
      const bool object = open.back();
      open.pop_back();
      if (!Close(object)) return false;
      goto after;
    }
    return false;
  }

 private:
  static unsigned Byte(char c) { return static_cast<unsigned char>(c); }

  bool Close(bool object) { return object ? sax_->end_object() : sax_->end_array(); }

  void SkipSpace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  // `"key" :` and the key handed to the handler.
  bool Key() {
    SkipSpace();
    if (p_ == end_ || *p_ != '"') return false;
    ++p_;
    if (!String() || !sax_->key(buf_)) return false;
    SkipSpace();
    if (p_ == end_ || *p_ != ':') return false;
    ++p_;
    return true;
  }

  bool Literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  // After the opening quote: the string's bytes into buf_, p_ past the closing quote.
  bool String() {
    buf_.clear();
    while (true) {
      const char* run = p_;
      while (p_ != end_) {
        unsigned c = Byte(*p_);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++p_;
      }
      buf_.append(run, p_);
      if (p_ == end_) return false;
      unsigned c = Byte(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return false;  // control characters must be escaped
      if (c == '\\') {
        if (!Escape()) return false;
      } else if (!Utf8()) {
        return false;
      }
    }
  }

  // One UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF).
  bool Utf8() {
    unsigned c = Byte(*p_);
    unsigned lo = 0x80, hi = 0xBF;
    int more;
    if (c >= 0xC2 && c <= 0xDF) {
      more = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      more = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      more = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (end_ - p_ <= more) return false;
    for (int i = 1; i <= more; ++i) {
      unsigned b = Byte(p_[i]);
      if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) return false;
    }
    buf_.append(p_, static_cast<std::size_t>(more) + 1);
    p_ += more + 1;
    return true;
  }

  // Four hex digits after "\u"; -1 when they are not.
  int Hex4() {
    if (end_ - p_ < 4) return -1;
    int v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = *p_++;
      int d = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : -1;
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    return v;
  }

  bool Escape() {
    ++p_;  // the backslash
    if (p_ == end_) return false;
    char c = *p_++;
    switch (c) {
      case '"':
        buf_ += '"';
        return true;
      case '\\':
        buf_ += '\\';
        return true;
      case '/':
        buf_ += '/';
        return true;
      case 'b':
        buf_ += '\b';
        return true;
      case 'f':
        buf_ += '\f';
        return true;
      case 'n':
        buf_ += '\n';
        return true;
      case 'r':
        buf_ += '\r';
        return true;
      case 't':
        buf_ += '\t';
        return true;
      case 'u':
        break;
      default:
        return false;
    }
    int cp = Hex4();
    if (cp < 0) return false;
    if (cp >= 0xD800 && cp <= 0xDBFF) {  // a high surrogate: its low one must follow
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
      p_ += 2;
      int low = Hex4();
      if (low < 0xDC00 || low > 0xDFFF) return false;
      cp = ((cp - 0xD800) << 10) + (low - 0xDC00) + 0x10000;
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return false;
    }
    auto put = [this](unsigned b) { buf_ += static_cast<char>(b); };
    if (cp < 0x80) {
      put(static_cast<unsigned>(cp));
    } else if (cp < 0x800) {
      put(0xC0 | (cp >> 6));
      put(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      put(0xE0 | (cp >> 12));
      put(0x80 | ((cp >> 6) & 0x3F));
      put(0x80 | (cp & 0x3F));
    } else {
      put(0xF0 | (cp >> 18));
      put(0x80 | ((cp >> 12) & 0x3F));
      put(0x80 | ((cp >> 6) & 0x3F));
      put(0x80 | (cp & 0x3F));
    }
    return true;
  }

  bool Digits() {  // one or more
    const char* start = p_;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return p_ != start;
  }

  bool Number() {
    const char* start = p_;
    const bool negative = *p_ == '-';
    if (negative) ++p_;
    if (p_ == end_) return false;
    if (*p_ == '0') {
      ++p_;
    } else if (*p_ >= '1' && *p_ <= '9') {
      Digits();
    } else {
      return false;
    }
    bool is_float = false;
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      if (!Digits()) return false;
      is_float = true;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!Digits()) return false;
      is_float = true;
    }
    if (!is_float) {  // an integer that does not fit 64 bits is read as a float
      if (negative) {
        std::int64_t v = 0;
        if (std::from_chars(start, p_, v).ec == std::errc()) return sax_->number_integer(v);
      } else {
        std::uint64_t v = 0;
        if (std::from_chars(start, p_, v).ec == std::errc()) return sax_->number_unsigned(v);
      }
    }
    // strtod, not from_chars: libstdc++'s from_chars for double needs libm (fesetround),
    // a library more for supctl to load at every start. The text is a JSON number, so
    // strtod reads all of it; supctl keeps the "C" locale (its decimal point is '.').
    number_.assign(start, p_);
    double d = std::strtod(number_.c_str(), nullptr);
    if (!std::isfinite(d)) return false;
    return sax_->number_float(d, number_);
  }

  const char* p_;
  const char* end_;
  Sax* sax_;
  std::string buf_;
  std::string number_;
};

/// json::sax_parse(text.begin(), text.end(), sax), faster (see above).
template <typename Sax>
bool JsonSaxParse(std::string_view text, Sax* sax) {
  return JsonSaxReader<Sax>(text, sax).Run();
}

}  // namespace supd::protocol
