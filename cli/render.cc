#include "cli/render.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "common/units.h"

namespace supd::cli {

using protocol::NodeView;

namespace {

const char* const kStateColors[] = {"\033[32m", "\033[33m", "\033[31m", "\033[2m"};

std::uint32_t StateColorIndex(const std::string& state) {
  if (state == "running") return 0;
  if (state == "starting" || state == "stopping") return 1;
  if (state == "backoff" || state == "exited") return 2;
  return 3;  // stopped
}

const char* StateColor(const std::string& state) {
  return kStateColors[StateColorIndex(state)];
}

std::string Paint(const std::string& text, const char* code, bool color) {
  if (!color) return text;
  return std::string(code) + text + "\033[0m";
}

// Display width: UTF-8 continuation bytes take no column.
std::size_t Width(std::string_view s) {
  std::size_t w = 0;
  for (unsigned char c : s) w += (c & 0xC0) != 0x80;
  return w;
}

std::string Pad(const std::string& s, std::size_t width) {
  std::size_t w = Width(s);
  return w >= width ? s : s + std::string(width - w, ' ');
}

std::string Uptime(const NodeView& n, double now) {
  if (n.since <= 0 || (n.state != "running" && n.state != "starting" && n.state != "stopping")) {
    return "-";
  }
  return common::FormatDurationCompact(static_cast<common::Millis>((now - n.since) * 1000));
}

std::string Pid(const NodeView& n) { return n.pid ? std::to_string(*n.pid) : "-"; }

// How long the last start took to become ready, while that start is current.
std::string ReadyIn(const NodeView& n) {
  if (!n.ready_after_ms || (n.state != "running" && n.state != "stopping")) return "-";
  return FormatReadyAfter(*n.ready_after_ms);
}

constexpr int kColumns = kStatusColumns;
using Row = StatusTableBuilder::Row;

// Fills `r` (its strings keep their capacity from row to row).
void FillRow(const NodeView& n, int depth, double now, Row* r) {
  std::string& path = r->cells[0];
  path.assign(2 * static_cast<std::size_t>(depth), ' ');
  path += DisplayPath(n.path);
  r->cells[1] = n.state;
  r->cells[1] += n.operator_stopped                          ? " (operator)"
                 : n.autostart_off && n.state == "stopped" ? " (autostart off)"
                                                             : "";
  r->cells[2] = Pid(n);
  r->cells[3] = Uptime(n, now);
  r->cells[4] = ReadyIn(n);
  r->cells[5] = std::to_string(n.restarts);
  r->cells[6] = FormatExit(n.last_exit);
  r->cells[7] = n.supervisor ? "" : (n.kill_mode.empty() ? "-" : n.kill_mode);
  r->cells[8] = n.status_text;
  if (!n.log_error.empty() || n.log_dropped > 0) {  // output capture in trouble
    std::string log = "log: " + (n.log_error.empty() ? std::string("ok") : n.log_error);
    if (n.log_dropped > 0) log += "; dropped " + std::to_string(n.log_dropped) + " bytes";
    r->cells[8] += (r->cells[8].empty() ? "" : "; ") + log;
  }
}

}  // namespace

bool UseColor() {
  const char* no_color = std::getenv("NO_COLOR");
  return isatty(STDOUT_FILENO) && (no_color == nullptr || *no_color == '\0');
}

std::string DisplayPath(const std::string& path) { return path.empty() ? "(root)" : path; }

std::string FormatExit(const std::optional<NodeView::Exit>& exit) {
  if (!exit) return "-";
  if (!exit->error.empty()) return exit->error;  // it never ran: the failed step says why
  std::string what = exit->code ? "exit " + std::to_string(*exit->code)
                                : (exit->signal.empty() ? "?" : exit->signal);
  return exit->reason.empty() ? what : what + " (" + exit->reason + ")";
}

std::string FormatReadyAfter(long long ms) {
  if (ms < 0) ms = 0;
  if (ms < 1000) return std::to_string(ms) + "ms";
  if (ms < 60000) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms / 100) / 10.0);
    return buf;
  }
  return common::FormatDurationCompact(ms);
}

StatusTableBuilder::StatusTableBuilder(double now, bool color) : now_(now), color_(color) {}

void StatusTableBuilder::Reserve(std::size_t rows, std::size_t text_bytes) {
  rows_.reserve(rows);
  text_.reserve(text_bytes);
}

namespace {

// A cell in StatusTableBuilder's text: its length (7 bits a byte, the high bit set on all
// but the last), then its bytes.
void PutCell(std::string* text, std::string_view cell) {
  std::size_t n = cell.size();
  while (n >= 0x80) {
    *text += static_cast<char>(0x80 | (n & 0x7F));
    n >>= 7;
  }
  *text += static_cast<char>(n);
  *text += cell;
}

std::string_view NextCell(std::string_view text, std::size_t* pos) {
  std::size_t n = 0;
  for (int shift = 0;; shift += 7) {
    const auto b = static_cast<unsigned char>(text[(*pos)++]);
    n |= static_cast<std::size_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) break;
  }
  std::string_view cell = text.substr(*pos, n);
  *pos += n;
  return cell;
}

}  // namespace

void StatusTableBuilder::Add(const NodeView& n, int depth, std::size_t slot) {
  FillRow(n, depth, now_, &row_);
  if (slot >= rows_.size()) rows_.resize(slot + 1);
  rows_[slot] = {static_cast<std::uint32_t>(text_.size()), StateColorIndex(n.state)};
  for (const std::string& cell : row_.cells) PutCell(&text_, cell);
}

void StatusTableBuilder::Write(const std::function<void(std::string_view)>& sink) const {
  // Only the cells' text is kept per row (~8 bytes and the text; a NodeView each was ~400
  // bytes, ~100 page faults of supctl over 1,000 nodes), the widths are measured here, and
  // the lines go out through one reused buffer of a few pages: each page a process touches
  // first costs ~10 us on this VM (bench/RESULTS.md, issue 16).
  const Row header{{"PATH", "STATE", "PID", "UPTIME", "READY IN", "RESTARTS", "LAST EXIT",
                    "KILL", "STATUS TEXT"}};
  auto cells_of = [this](const RowRef& r, std::string_view* cells) {
    std::size_t pos = r.start;
    for (int i = 0; i < kColumns; ++i) cells[i] = NextCell(text_, &pos);
  };
  std::size_t widths[kColumns] = {};
  for (int i = 0; i < kColumns; ++i) widths[i] = Width(header.cells[i]);
  // The sd_notify STATUS= column only when some child said something.
  bool any_text = false;
  std::string_view cells[kColumns];
  for (const RowRef& r : rows_) {
    cells_of(r, cells);
    for (int i = 0; i < kColumns; ++i) widths[i] = std::max(widths[i], Width(cells[i]));
    any_text |= !cells[kColumns - 1].empty();
  }
  const int columns = any_text ? kColumns : kColumns - 1;
  constexpr std::size_t kChunk = 16 * 1024;
  std::string out;
  out.reserve(kChunk);
  auto emit = [&](const std::string_view* text, const char* state_color) {
    const std::size_t line_start = out.size();
    for (int i = 0; i < columns; ++i) {
      const char* code = state_color == nullptr ? "\033[1m" : i == 1 ? state_color : nullptr;
      const bool paint = color_ && code != nullptr;
      if (paint) out += code;
      out += text[i];
      if (i < columns - 1) {
        std::size_t w = Width(text[i]);
        if (w < widths[i]) out.append(widths[i] - w, ' ');
      }
      if (paint) out += "\033[0m";
      if (i < columns - 1) out += "  ";
    }
    while (out.size() > line_start && out.back() == ' ') out.pop_back();
    out += '\n';
    if (out.size() >= kChunk) {
      sink(out);
      out.clear();
    }
  };
  for (int i = 0; i < kColumns; ++i) cells[i] = header.cells[i];
  emit(cells, nullptr);
  for (const RowRef& r : rows_) {
    cells_of(r, cells);
    emit(cells, kStateColors[r.color]);
  }
  if (!out.empty()) sink(out);
}

namespace {

void Draw(const NodeView& n, const std::string& prefix, const std::string& branch, double now,
          std::vector<std::pair<std::string, const NodeView*>>* lines) {
  std::string label = prefix + branch + (n.path.empty() ? "(root)" : n.id);
  lines->emplace_back(std::move(label), &n);
  std::string child_prefix = prefix;
  if (!branch.empty()) child_prefix += branch == "└─ " ? "   " : "│  ";
  for (std::size_t i = 0; i < n.children.size(); ++i) {
    bool last = i + 1 == n.children.size();
    Draw(n.children[i], child_prefix, last ? "└─ " : "├─ ", now, lines);
  }
}

}  // namespace

std::string TreeView(const NodeView& root, double now, bool color) {
  std::vector<std::pair<std::string, const NodeView*>> lines;
  Draw(root, "", "", now, &lines);
  std::size_t width = 0, state_width = 0;
  for (auto& [label, n] : lines) {
    width = std::max(width, Width(label));
    state_width = std::max(state_width, n->state.size());
  }
  std::string out;
  for (auto& [label, n] : lines) {
    std::string line = Pad(label, width) + "  " +
                       Paint(Pad(n->state, state_width), StateColor(n->state), color);
    if (n->pid) line += "  pid " + std::to_string(*n->pid);
    std::string up = Uptime(*n, now);
    if (up != "-") line += "  up " + up;
    std::string ready_in = ReadyIn(*n);
    if (ready_in != "-") line += "  ready in " + ready_in;
    if (n->restarts) line += "  restarts " + std::to_string(n->restarts);
    if (n->last_exit) line += "  last " + FormatExit(n->last_exit);
    if (n->operator_stopped) line += "  (stopped by operator)";
    if (n->autostart_off && !n->operator_stopped) line += "  (autostart off)";
    if (!n->status_text.empty()) line += "  \"" + n->status_text + "\"";
    out += line;
    out += '\n';
  }
  return out;
}

std::string FormatEvent(const nlohmann::json& e, bool color) {
  auto str = [&](const char* key) {
    auto it = e.find(key);
    return it != e.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  char when[32] = "?";
  if (auto t = e.find("time"); t != e.end() && t->is_number()) {
    double time = t->get<double>();
    std::time_t secs = static_cast<std::time_t>(time);
    std::tm tm{};
    localtime_r(&secs, &tm);
    int ms = static_cast<int>((time - static_cast<double>(secs)) * 1000);
    std::snprintf(when, sizeof when, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
                  ms < 0 ? 0 : ms % 1000);
  }
  std::string event = str("event");
  const char* code = event == "exited" || event == "gave_up" ? "\033[31m"
                     : event == "ready"                      ? "\033[32m"
                                                             : "\033[33m";
  std::string line = std::string(when) + "  " + Paint(Pad(event, 13), code, color) + " " +
                     DisplayPath(str("path"));
  if (auto p = e.find("pid"); p != e.end() && p->is_number_integer()) {
    line += "  pid " + std::to_string(p->get<int>());
  }
  if (auto c = e.find("code"); c != e.end() && c->is_number_integer()) {
    line += "  exit " + std::to_string(c->get<int>());
  }
  if (std::string sig = str("signal"); !sig.empty()) line += "  " + sig;
  if (std::string reason = str("reason"); !reason.empty()) line += " (" + reason + ")";
  if (std::string detail = str("detail"); !detail.empty()) line += "  " + detail;
  return line;
}

}  // namespace supd::cli
