#include "cli/import/words.h"

#include <cctype>

namespace supd::cli::import {
namespace {

bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool IsShellSpecial(char c) {
  return std::string_view("|&;<>()$`*?[").find(c) != std::string_view::npos;
}

// Non-POSIX shlex as supervisord configures it: wordchars plus "/.+-():".
bool IsEnvWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         std::string_view("/.+-():").find(c) != std::string_view::npos;
}

std::string StripQuotes(std::string s) {
  std::size_t b = s.find_first_not_of("'\"");
  if (b == std::string::npos) return "";
  std::size_t e = s.find_last_not_of("'\"");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::optional<std::vector<Word>> SplitPosix(std::string_view text, bool sh_comments,
                                            std::string* error) {
  std::vector<Word> words;
  Word word;
  bool in_word = false;  // a word has started (possibly empty, from '')
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (IsBlank(c)) {
      if (in_word) words.push_back(std::move(word));
      word = {};
      in_word = false;
    } else if (c == '#' && sh_comments && !in_word) {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (c == '\'') {
      std::size_t end = text.find('\'', i + 1);
      if (end == std::string_view::npos) {
        *error = "no closing quotation (')";
        return std::nullopt;
      }
      word.text.append(text.substr(i + 1, end - i - 1));
      in_word = true;
      i = end;
    } else if (c == '"') {
      std::size_t j = i + 1;
      for (; j < text.size() && text[j] != '"'; ++j) {
        // Inside double quotes shlex only unescapes \" and \\.
        if (text[j] == '\\' && j + 1 < text.size() && (text[j + 1] == '"' || text[j + 1] == '\\'))
          ++j;
        word.text += text[j];
      }
      if (j >= text.size()) {
        *error = "no closing quotation (\")";
        return std::nullopt;
      }
      in_word = true;
      i = j;
    } else if (c == '\\') {
      if (i + 1 >= text.size()) {
        *error = "a backslash with nothing after it";
        return std::nullopt;
      }
      word.text += text[++i];
      in_word = true;
    } else {
      word.special = word.special || IsShellSpecial(c);
      word.text += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

std::optional<std::vector<std::pair<std::string, std::string>>> SplitEnvironment(
    std::string_view text, std::string* error) {
  std::vector<std::string> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (IsBlank(c)) {
      ++i;
    } else if (c == '#') {  // shlex's comment character
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (IsEnvWordChar(c) || c == '\'' || c == '"') {
      std::string token;
      if (c == '\'' || c == '"') {  // a quoted token ends at its closing quote
        std::size_t end = text.find(c, i + 1);
        if (end == std::string_view::npos) {
          *error = "no closing quotation";
          return std::nullopt;
        }
        token = std::string(text.substr(i, end - i + 1));
        i = end + 1;
      } else {  // non-POSIX shlex keeps quotes met inside a word as part of it
        while (i < text.size() && (IsEnvWordChar(text[i]) || text[i] == '\'' || text[i] == '"')) {
          token += text[i++];
        }
      }
      tokens.push_back(token);
    } else {
      tokens.emplace_back(1, c);
      ++i;
    }
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  for (std::size_t k = 0; k < tokens.size(); k += 4) {
    if (k + 2 >= tokens.size() || tokens[k + 1] != "=") {
      *error =
          "expected KEY=value pairs separated by commas (quote values holding other "
          "characters than letters, digits and _/.+-():)";
      return std::nullopt;
    }
    pairs.emplace_back(tokens[k], StripQuotes(tokens[k + 2]));
  }
  return pairs;
}

std::optional<std::vector<Word>> SplitExecline(std::string_view text, std::string* error) {
  std::vector<Word> words;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (IsBlank(c)) {
      ++i;
      continue;
    }
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    Word word;
    while (i < text.size() && !IsBlank(text[i])) {
      if (text[i] == '"') {
        std::size_t j = i + 1;
        for (; j < text.size() && text[j] != '"'; ++j) {
          if (text[j] == '\\' && j + 1 < text.size()) ++j;
          word.special = word.special || text[j] == '$';
          word.text += text[j];
        }
        if (j >= text.size()) {
          *error = "no closing quotation (\")";
          return std::nullopt;
        }
        i = j + 1;
      } else {
        word.special = word.special || text[i] == '$';
        word.text += text[i++];
      }
    }
    word.special = word.special || word.text == "{" || word.text == "}";
    words.push_back(std::move(word));
  }
  return words;
}

}  // namespace supd::cli::import
