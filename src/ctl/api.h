// ctl/api.h — `telltale ctl`'s side of the API: where the server is and who we are (flags, then
// the environment, then ~/.config/telltale/ctl.conf), one call with the envelope taken apart,
// every page of a list, a name turned into an id, and the exit code an error ends the command with.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "client/link.h"
#include "core/result.h"
#include "ctl/resources.h"

namespace tt::ctl {

// What the command line was given, before the environment and the file fill the gaps.
struct Target {
  std::string server;   // --server, TELLTALE_SERVER, `server = ...`; default http://127.0.0.1:8470
  std::string token;    // --token, TELLTALE_TOKEN, `token = ...`
  std::string ca_file;  // --ca-file, TELLTALE_CA_FILE, `ca_file = ...`: an https server's CA
  std::string config;   // the file; default $XDG_CONFIG_HOME/telltale/ctl.conf or ~/.config/...
  std::chrono::milliseconds timeout{30'000};
};

// Exit codes, one per kind of failure a script may want to tell apart.
enum Exit : int {
  kOk = 0,
  kUnreachable = 1,  // no answer: the server is down, not there, or not Telltale
  kUsage =
      2,  // the command or its input is wrong (bad flags, a file that does not parse, 400, 422)
  kNotFound = 3,     // 404
  kRefused = 4,      // 401, 403, 409, 429: the server understood and said no
  kServerError = 5,  // 5xx
};
int exit_code(const Error& error);
// Prints "error: CODE: message" and each field's problem to stderr; returns exit_code(error).
int fail(const Error& error);

class Api {
 public:
  // Errors: CTL_CONFIG (the file does not parse), HUB_URL_INVALID.
  static Result<Api> open(Target target);

  // One request; the envelope's `data` (null for a 204), or the server's error (its code,
  // message and fields, the kind from the status). Errors of the connection: HUB_UNREACHABLE,
  // HUB_TIMEOUT, HUB_BAD_REPLY, and CTL_BAD_REPLY for an answer without the envelope.
  Result<nlohmann::json> call(std::string_view method, std::string_view path,
                              const nlohmann::json* body = nullptr);
  // The answer's JSON whatever its shape (the Prometheus API has no envelope), with its status.
  Result<std::pair<int, nlohmann::json>> raw(std::string_view method, std::string_view path,
                                             const nlohmann::json* body = nullptr);
  // Every page of a list; `query` ("a=b&c=d", encoded) is added to each page's.
  Result<nlohmann::json> list_all(std::string_view path, std::string_view query = {});
  // An id as it is, or the id of the one item whose name field is `ref`; the resource's
  // not-found code when none is, CTL_AMBIGUOUS when several are.
  Result<std::string> resolve(const Resource& resource, std::string_view ref);

  const Target& target() const { return m_target; }
  const client::ServerUrl& url() const { return m_url; }

 private:
  Api(Target target, client::ServerUrl url) : m_target(std::move(target)), m_url(std::move(url)) {}
  Target m_target;
  client::ServerUrl m_url;
};

}  // namespace tt::ctl
