// NODE replies read in one pass with nlohmann/json's SAX interface, straight into NodeView:
// building the JSON tree of a 1,000-node status and then copying it into NodeViews took
// supctl about twice as long as this (bench/RESULTS.md, issue 16).
#include <algorithm>
#include <cstdint>
#include <deque>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/json_sax.h"
#include "protocol/view.h"

namespace supd::protocol {
namespace {

using nlohmann::json;

// How many elements each array of `text` holds, in document order (the order of the SAX
// parser's start_array calls), so that each node's children are allocated once: growing
// the vector of 1,000 NodeViews a doubling at a time touched twice its memory, ~100 page
// faults of supctl's status (bench/RESULTS.md, issue 16). A hint only: on text that is no
// JSON it may be wrong, and it is bounded by what the text could hold.
std::vector<std::uint32_t> ArraySizes(std::string_view text) {
  std::vector<std::uint32_t> sizes;
  struct Open {
    std::size_t index;  // in sizes; SIZE_MAX for an object
    bool empty;
  };
  std::vector<Open> open;
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n; ++i) {
    char c = text[i];
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == ':') continue;
    if (c == ']' || c == '}') {
      if (!open.empty()) open.pop_back();
      continue;
    }
    if (c == ',') {
      if (!open.empty() && open.back().index != SIZE_MAX) ++sizes[open.back().index];
      continue;
    }
    // A value (or an object's key) starts here.
    if (!open.empty() && open.back().empty) {
      open.back().empty = false;
      if (open.back().index != SIZE_MAX) sizes[open.back().index] = 1;
    }
    if (c == '[' || c == '{') {
      std::size_t index = SIZE_MAX;
      if (c == '[') {
        index = sizes.size();
        sizes.push_back(0);
      }
      open.push_back({index, true});
    } else if (c == '"') {
      for (++i; i < n && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
    }
  }
  // A real NODE takes over 100 bytes: never reserve more than the text could describe.
  const auto most = static_cast<std::uint32_t>(std::min<std::size_t>(n / 100 + 1, UINT32_MAX));
  for (std::uint32_t& s : sizes) s = std::min(s, most);
  return sizes;
}

class NodeSax {
 public:
  /// `reply`: the text is a reply with the NODE under "node"; else the text is a NODE.
  /// `keep`: build the NodeView tree; else only check it (children are read into one
  /// NodeView per depth and dropped), handing each to `visit` when there is one.
  NodeSax(bool reply, bool keep, std::string_view text, const NodeVisitor* visit = nullptr)
      : reply_(reply), keep_(keep), visit_(visit) {
    if (keep_) array_sizes_ = ArraySizes(text);
  }

  bool null() { return Scalar(Value{}); }
  bool boolean(bool v) { return Scalar(Value{Value::kBool, v}); }
  bool number_integer(json::number_integer_t v) {
    return Scalar(Value{Value::kInt, false, static_cast<long long>(v), static_cast<double>(v)});
  }
  bool number_unsigned(json::number_unsigned_t v) {
    Value x{Value::kUint, false, static_cast<long long>(v), static_cast<double>(v)};
    x.u = v;
    return Scalar(x);
  }
  bool number_float(json::number_float_t v, const json::string_t&) {
    return Scalar(Value{Value::kFloat, false, 0, v});
  }
  bool string(json::string_t& s) {
    Value x{Value::kString};
    x.s = &s;
    return Scalar(x);
  }
  bool binary(json::binary_t&) { return Scalar(Value{}); }
  bool key(json::string_t& k) {
    key_ = std::move(k);
    if (Frame* f = Top(); f != nullptr && f->role == Role::kNode && key_ == "children") {
      // A later duplicate replaces the earlier children in a JSON tree; nodes visited
      // from the earlier ones cannot be taken back.
      unusual_ = unusual_ || f->children_seen;
      f->children_seen = true;
    }
    return true;
  }
  bool start_object(std::size_t) {
    Frame* f = Top();
    if (f == nullptr) {
      if (reply_) return Push({Role::kReply});
      node_.emplace();
      return Push({Role::kNode, &*node_});
    }
    if (f->role == Role::kReply && key_ == "node") {
      unusual_ = unusual_ || node_seen_;
      node_seen_ = true;
      node_.emplace();
      return Push({Role::kNode, &*node_});
    }
    if (f->role == Role::kNode && key_ == "last_exit") {
      f->node->last_exit.emplace();
      return Push({Role::kExit, f->node});
    }
    if (f->role == Role::kChildren) {
      const int depth = f->depth + 1;
      if (!keep_) {
        // One NodeView per depth, cleared for each node (a deque: the shallower ones
        // stay where their frames point).
        if (by_depth_.size() < static_cast<std::size_t>(depth)) by_depth_.emplace_back();
        NodeView& n = by_depth_[static_cast<std::size_t>(depth) - 1];
        if (visit_ != nullptr) n = NodeView();  // no field of the previous node visited
        return Push({Role::kNode, &n, depth});
      }
      f->node->children.emplace_back();
      return Push({Role::kNode, &f->node->children.back(), depth});
    }
    Reset(*f);  // e.g. "children": {...} is no list of children
    return Push({Role::kSkip});
  }
  bool end_object() {
    Frame f = stack_.back();
    stack_.pop_back();
    if (f.role != Role::kNode) return true;
    bool bad = !(f.has_path && f.has_state) || f.bad;
    if (visit_ != nullptr && !bad) (*visit_)(*f.node, f.depth, f.slot);
    if (Frame* up = Top(); up != nullptr) {
      up->bad = up->bad || bad;  // the children list holding it
    } else {
      node_bad_ = bad;
    }
    if (stack_.size() == 1 && stack_[0].role == Role::kReply) node_bad_ = bad;
    return true;
  }
  bool start_array(std::size_t) {
    const std::size_t array = next_array_++;
    Frame* f = Top();
    if (f == nullptr) return false;  // not an object
    if (f->role == Role::kNode && key_ == "children") {
      f->node->children.clear();
      if (array < array_sizes_.size()) f->node->children.reserve(array_sizes_[array]);
      f->bad = false;
      return Push({Role::kChildren, f->node, f->depth});
    }
    if (f->role == Role::kChildren) f->bad = true;  // a child that is not an object
    Reset(*f);
    return Push({Role::kSkip});
  }
  bool end_array() {
    Frame f = stack_.back();
    stack_.pop_back();
    if (f.role == Role::kChildren) Top()->bad = f.bad;  // the node owning the list
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }

  bool ok_seen() const { return ok_seen_; }
  bool unusual() const { return unusual_; }
  ReplyView& head() { return head_; }
  std::optional<NodeView> TakeNode() {
    if (node_bad_) return std::nullopt;
    return std::move(node_);
  }

 private:
  enum class Role { kReply, kNode, kExit, kChildren, kSkip };
  struct Frame {
    Role role;
    NodeView* node = nullptr;
    int depth = 0;               ///< kNode, kChildren: the node's, below the NODE's root
    std::size_t slot = 0;        ///< kNode: its place in depth-first start order
    bool children_seen = false;  ///< kNode: a "children" key so far
    bool has_path = false;
    bool has_state = false;
    /// kNode: its current "children" hold an invalid NODE; kChildren: one so far.
    bool bad = false;
  };
  struct Value {
    enum Kind { kNull, kBool, kInt, kUint, kFloat, kString } kind = kNull;
    bool b = false;
    long long i = 0;
    double d = 0;
    unsigned long long u = 0;
    json::string_t* s = nullptr;
    bool integer() const { return kind == kInt || kind == kUint; }
    bool number() const { return integer() || kind == kFloat; }
  };

  Frame* Top() { return stack_.empty() ? nullptr : &stack_.back(); }
  bool Push(Frame f) {
    if (f.role == Role::kNode) f.slot = slots_++;
    stack_.push_back(f);
    return true;
  }

  bool Scalar(const Value& v) {
    Frame* f = Top();
    if (f == nullptr) return false;  // a bare scalar is no reply
    switch (f->role) {
      case Role::kReply: Reply(v); break;
      case Role::kNode: Node(*f, v); break;
      case Role::kExit: Exit(*f->node->last_exit, v); break;
      case Role::kChildren: f->bad = true; break;
      case Role::kSkip: break;
    }
    return true;
  }

  // The key now holds a value of the wrong kind (a later duplicate wins, as in a JSON tree):
  // what an earlier value of it set is gone.
  void Reset(Frame& f) {
    if (f.role == Role::kReply) {
      Reply(Value{});
    } else if (f.role == Role::kNode && key_ == "children") {
      f.node->children.clear();
      f.bad = false;
    } else if (f.role == Role::kNode && key_ == "last_exit") {
      f.node->last_exit.reset();
    } else if (f.role == Role::kNode) {
      Value none;
      Node(f, none);
    } else if (f.role == Role::kExit) {
      Value none;
      Exit(*f.node->last_exit, none);
    }
  }

  void Reply(const Value& v) {
    if (key_ == "ok") {
      ok_seen_ = v.kind == Value::kBool;
      head_.ok = v.b;
    } else if (key_ == "error" || key_ == "message") {
      std::string& out = key_ == "error" ? head_.error : head_.message;
      out = v.kind == Value::kString ? std::move(*v.s) : std::string();
    } else if (key_ == "node") {
      node_.reset();  // not an object: no NODE
      node_bad_ = false;
    }
  }

  static void Str(const Value& v, std::string& out) {
    out = v.kind == Value::kString ? std::move(*v.s) : std::string();
  }
  static void Flag(const Value& v, bool& out) { out = v.kind == Value::kBool && v.b; }

  void Node(Frame& f, const Value& v) {
    NodeView& n = *f.node;
    const std::string& k = key_;
    if (k == "path") {
      f.has_path = v.kind == Value::kString;
      Str(v, n.path);
    } else if (k == "state") {
      f.has_state = v.kind == Value::kString;
      Str(v, n.state);
    } else if (k == "id") {
      Str(v, n.id);
    } else if (k == "kind") {
      n.supervisor = v.kind == Value::kString && *v.s == "supervisor";
    } else if (k == "pid") {
      n.pid = v.integer() ? std::optional<int>(static_cast<int>(v.i)) : std::nullopt;
    } else if (k == "since") {
      n.since = v.number() ? v.d : 0;
    } else if (k == "restarts") {
      n.restarts = v.integer() ? static_cast<int>(v.i) : 0;
    } else if (k == "last_exit") {
      n.last_exit.reset();  // null (or anything but an object): no exit yet
    } else if (k == "children") {
      n.children.clear();
      f.bad = false;
    } else if (k == "ready") {
      Flag(v, n.ready);
    } else if (k == "restart") {
      Str(v, n.restart);
    } else if (k == "kill_mode") {
      Str(v, n.kill_mode);
    } else if (k == "status_text") {
      Str(v, n.status_text);
    } else if (k == "ready_after_ms") {
      n.ready_after_ms = v.integer() ? std::optional<long long>(v.i) : std::nullopt;
    } else if (k == "operator_stopped") {
      Flag(v, n.operator_stopped);
    } else if (k == "autostart_off") {
      Flag(v, n.autostart_off);
    } else if (k == "dynamic") {
      Flag(v, n.dynamic);
    } else if (k == "log_error") {
      Str(v, n.log_error);
    } else if (k == "log_dropped") {
      n.log_dropped = v.kind == Value::kUint ? v.u : 0;
    }
  }

  void Exit(NodeView::Exit& e, const Value& v) {
    if (key_ == "code") {
      e.code = v.integer() ? std::optional<int>(static_cast<int>(v.i)) : std::nullopt;
    } else if (key_ == "signal") {
      Str(v, e.signal);
    } else if (key_ == "reason") {
      Str(v, e.reason);
    } else if (key_ == "error") {
      Str(v, e.error);
    }
  }

  bool reply_;
  bool keep_;
  const NodeVisitor* visit_;
  std::deque<NodeView> by_depth_;  ///< the node being read at each depth when !keep_
  std::size_t slots_ = 0;          ///< nodes started so far
  bool node_seen_ = false;
  bool unusual_ = false;  ///< "node" or a node's "children" given twice
  std::vector<std::uint32_t> array_sizes_;
  std::size_t next_array_ = 0;  ///< start_array calls so far: the index in array_sizes_
  std::vector<Frame> stack_;
  std::string key_;
  bool ok_seen_ = false;
  bool node_bad_ = false;
  ReplyView head_;
  std::optional<NodeView> node_;
};

}  // namespace

std::optional<NodeReply> ParseNodeReply(std::string_view line, bool keep_node) {
  NodeSax sax(true, keep_node, line);
  if (!JsonSaxParse(line, &sax) || !sax.ok_seen()) return std::nullopt;
  NodeReply r;
  r.head = std::move(sax.head());
  r.node = sax.TakeNode();
  return r;
}

std::optional<NodeReply> VisitNodeReply(std::string_view line, const NodeVisitor& visit,
                                        bool* unusual) {
  NodeSax sax(true, false, line, &visit);
  if (!JsonSaxParse(line, &sax) || !sax.ok_seen()) return std::nullopt;
  *unusual = sax.unusual();
  NodeReply r;
  r.head = std::move(sax.head());
  r.node = sax.TakeNode();
  return r;
}

std::optional<NodeView> ParseNode(std::string_view text) {
  NodeSax sax(false, true, text);
  if (!JsonSaxParse(text, &sax)) return std::nullopt;
  return sax.TakeNode();
}

std::optional<NodeView> NodeFromJson(const json& j) {
  if (!j.is_object()) return std::nullopt;
  return ParseNode(j.dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace supd::protocol
