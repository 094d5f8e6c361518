// ctl/resources.h — the API's resources as `telltale ctl` sees them, declared once: their paths,
// the verbs each takes, the columns of their tables, the name `get NAME` matches, the WebSocket
// topic `watch` follows. The command tree, the completions and the tables are built from it.
#pragma once

#include <string_view>
#include <vector>

namespace tt::ctl {

enum Verb : unsigned {
  kList = 1 << 0,
  kGet = 1 << 1,
  kCreate = 1 << 2,
  kUpdate = 1 << 3,
  kDelete = 1 << 4,
  kRun = 1 << 5,     // checks: run now
  kAck = 1 << 6,     // alerts: acknowledge
  kTest = 1 << 7,    // channels: send a test message
  kWatch = 1 << 8,   // follow the resource's WebSocket topic
  kExpire = 1 << 9,  // silences: DELETE means expire
  kAdd = 1 << 10,    // silences: from matchers and a duration
  kCrud = kList | kGet | kCreate | kUpdate | kDelete,
};

struct Column {
  std::string_view header;
  std::string_view field;  // a dotted path into the item: "labels", "last_result.error"
  bool wide = false;       // only with -o wide
  bool time = false;       // an RFC 3339 time, shown as "2026-12-06 17:52:35"
};

struct Resource {
  std::string_view name;      // the command: "nodes"
  std::string_view singular;  // also accepted: "node"
  std::string_view path;      // "/api/v1/nodes": list and create; path/{id} the rest
  std::string_view help;
  unsigned verbs = 0;
  std::string_view name_field;  // what `get NAME` matches; empty: by id only
  std::string_view topic;       // the WebSocket topic of `watch`
  std::string_view not_found;   // the code a name that matches nothing is answered with
  std::vector<Column> columns;
};

const std::vector<Resource>& resources();
const Resource* find_resource(std::string_view name);

}  // namespace tt::ctl
