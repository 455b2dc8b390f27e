#include "daemon/io/http/page.h"

#include <string_view>

#include "common/signals.h"

namespace supd::io::http {
namespace {

std::string Html(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

/// "3d 4h", "2h 5m", "4m 10s", "12s" (the same as the page's script).
std::string Span(core::Millis ms) {
  long long s = ms / 1000;
  auto two = [](long long a, const char* ua, long long b, const char* ub) {
    return std::to_string(a) + ua + " " + std::to_string(b) + ub;
  };
  if (s >= 86400) return two(s / 86400, "d", s % 86400 / 3600, "h");
  if (s >= 3600) return two(s / 3600, "h", s % 3600 / 60, "m");
  if (s >= 60) return two(s / 60, "m", s % 60, "s");
  return std::to_string(s) + "s";
}

std::string LastExit(const core::NodeStatus& n) {
  if (!n.last_exit) return "";
  const core::ExitStatus& st = n.last_exit->status;
  std::string what = st.kind == core::ExitStatus::Kind::kExited
                         ? "code " + std::to_string(st.value)
                         : common::SignalName(st.value);
  return what + " (" + core::ToString(n.last_exit->reason) + ")";
}

void Rows(const core::NodeStatus& n, int depth, core::Millis now, std::string& out) {
  if (depth > 0) {
    const bool running = n.state == core::NodeState::kRunning;
    std::string ready = n.ready ? "yes" : "no";
    if (n.ready && n.ready_after) ready += " (in " + std::to_string(*n.ready_after) + " ms)";
    out += "<tr data-path=\"" + Html(n.path) + "\" class=\"" + core::ToString(n.state) + "\">";
    out += "<td class=\"path\" style=\"padding-left:" + std::to_string(depth - 1) + "em\">" +
           Html(n.id) + (n.supervisor ? "/" : "") + "</td>";
    out += "<td class=\"state\">" + std::string(core::ToString(n.state)) + "</td>";
    out += "<td class=\"pid\">" + (n.pid ? std::to_string(*n.pid) : std::string()) + "</td>";
    out += "<td class=\"uptime\">" + (running ? Span(now - n.since) : std::string()) + "</td>";
    out += "<td class=\"restarts\">" + std::to_string(n.restarts) + "</td>";
    out += "<td class=\"exit\">" + Html(LastExit(n)) + "</td>";
    out += "<td class=\"ready\">" + ready + "</td></tr>\n";
  }
  for (const core::NodeStatus& c : n.children) Rows(c, depth + 1, now, out);
}

// The document around the rows. The script rebuilds the rows from /status.json (the same
// fields as above) whenever /events reports something, and ticks the uptimes.
constexpr std::string_view kHead = R"HTML(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>supd</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;padding:.75em;color:#222;background:#fafafa}
h1{font-size:1.2em;margin:0 0 .5em}
.wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{padding:.3em .6em;border-bottom:1px solid #e4e4e4;text-align:left;white-space:nowrap}
th{font-weight:600;background:#f0f0f0;position:sticky;top:0}
td.path{font-family:ui-monospace,monospace}
td.state{font-weight:600}
tr.running td.state{color:#17803d} tr.starting td.state,tr.backoff td.state{color:#b26b00}
tr.stopping td.state{color:#b26b00} tr.stopped td.state,tr.exited td.state{color:#b3261e}
#meta{color:#666;font-size:.9em;margin:.5em 0}
#log{font-family:ui-monospace,monospace;font-size:.85em;color:#444;white-space:pre-wrap}
@media (max-width:600px){body{font-size:13px;padding:.4em} th,td{padding:.25em .35em}}
</style></head><body>
<h1>supd <span id="version">)HTML";

constexpr std::string_view kTable = R"HTML(</span></h1>
<div class="wrap"><table><thead><tr><th>child</th><th>state</th><th>pid</th><th>uptime</th>
<th>restarts</th><th>last exit</th><th>ready</th></tr></thead>
<tbody id="rows">
)HTML";

constexpr std::string_view kTail = R"HTML(</tbody></table></div>
<p id="meta"><span id="live">snapshot</span> · <a href="/">refresh</a> ·
<a href="/metrics">metrics</a> · <a href="/status.json">status.json</a></p>
<div id="log"></div>
<script>
"use strict";
(function () {
  var rows = document.getElementById("rows"), live = document.getElementById("live");
  var logEl = document.getElementById("log"), nodes = [], pending = null;
  function span(s) {
    s = Math.max(0, Math.floor(s));
    function two(a, ua, b, ub) { return a + ua + " " + b + ub; }
    if (s >= 86400) return two(Math.floor(s / 86400), "d", Math.floor(s % 86400 / 3600), "h");
    if (s >= 3600) return two(Math.floor(s / 3600), "h", Math.floor(s % 3600 / 60), "m");
    if (s >= 60) return two(Math.floor(s / 60), "m", s % 60, "s");
    return s + "s";
  }
  function lastExit(e) {
    if (!e) return "";
    return (e.signal ? e.signal : "code " + e.code) + " (" + e.reason + ")";
  }
  function cell(tr, cls, text) {
    var td = document.createElement("td");
    td.className = cls; td.textContent = text; tr.appendChild(td); return td;
  }
  function flatten(n, depth, out) {
    if (depth > 0) out.push({ n: n, depth: depth });
    (n.children || []).forEach(function (c) { flatten(c, depth + 1, out); });
    return out;
  }
  function render(root) {
    nodes = flatten(root, 0, []);
    var body = document.createDocumentFragment();
    nodes.forEach(function (it) {
      var n = it.n, tr = document.createElement("tr");
      tr.setAttribute("data-path", n.path); tr.className = n.state;
      cell(tr, "path", n.id + (n.kind === "supervisor" ? "/" : "")).style.paddingLeft =
          (it.depth - 1) + "em";
      cell(tr, "state", n.state);
      cell(tr, "pid", n.pid === undefined ? "" : String(n.pid));
      it.uptime = cell(tr, "uptime", "");
      cell(tr, "restarts", String(n.restarts));
      cell(tr, "exit", lastExit(n.last_exit));
      cell(tr, "ready", n.ready ? "yes" + (n.ready_after_ms !== undefined ?
          " (in " + n.ready_after_ms + " ms)" : "") : "no");
      body.appendChild(tr);
    });
    rows.replaceChildren(body);
    tick();
  }
  function tick() {
    var now = Date.now() / 1000;
    nodes.forEach(function (it) {
      if (it.uptime) it.uptime.textContent = it.n.state === "running" ? span(now - it.n.since) : "";
    });
  }
  function refresh() {
    pending = null;
    fetch("/status.json", { cache: "no-store" }).then(function (r) { return r.json(); })
      .then(function (j) { if (j.ok) render(j.node); }).catch(function () {});
  }
  function note(e) {
    var d = new Date(e.time * 1000).toLocaleTimeString();
    var line = d + " " + e.event + " " + (e.path || "(root)") +
        (e.pid ? " pid " + e.pid : "") + (e.reason ? " " + e.reason : "") +
        (e.signal ? " " + e.signal : "") + (e.code !== undefined ? " code " + e.code : "");
    logEl.textContent = (line + "\n" + logEl.textContent).split("\n").slice(0, 20).join("\n");
  }
  refresh();
  setInterval(tick, 1000);
  if (window.EventSource) {
    var es = new EventSource("/events");
    es.onopen = function () { live.textContent = "live"; refresh(); };
    es.onerror = function () { live.textContent = "reconnecting"; };
    es.onmessage = function (m) {
      try { note(JSON.parse(m.data)); } catch (err) {}
      if (!pending) pending = setTimeout(refresh, 100);
    };
  }
})();
</script>
<noscript><p>Without JavaScript this page is a snapshot: use the refresh link.</p></noscript>
</body></html>
)HTML";

}  // namespace

std::string RenderPage(const core::NodeStatus& root, core::Millis now, const std::string& version) {
  std::string out;
  out.reserve(kHead.size() + kTable.size() + kTail.size() + 256 * (root.children.size() + 1));
  out += kHead;
  out += Html(version);
  out += kTable;
  Rows(root, 0, now, out);
  out += kTail;
  return out;
}

}  // namespace supd::io::http
