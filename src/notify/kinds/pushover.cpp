// notify/kinds/pushover.cpp — Pushover's message API.
#include "notify/kinds/common.h"

namespace tt::notify::kinds {

namespace {

Result<Request> render(const json& c, const Notice& n) {
  return json_post(str(c, "api_url"), json{{"token", str(c, "token")},
                                           {"user", str(c, "user")},
                                           {"title", cut(notice_title(n), 250)},
                                           {"message", cut(notice_text(n), 1024)},
                                           {"priority", priority_of(n, 1, 0, 0, 0)},
                                           {"timestamp", n.at / 1000}});
}

}  // namespace

const ChannelKind& pushover() {
  static const ChannelKind k{"pushover",
                             "Pushover",
                             "Pushover's message API.",
                             {secret_option("token", "Application token", "application API token"),
                              secret_option("user", "User or group key", "user or group key"),
                              url_option("api_url", "API endpoint", "API endpoint",
                                         "https://api.pushover.net/1/messages.json")},
                             http_checks({"api_url"}),
                             render};
  return k;
}

}  // namespace tt::notify::kinds
