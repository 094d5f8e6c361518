// notify/kinds/gotify.cpp — a message to a Gotify server with an application token.
#include "notify/kinds/common.h"

namespace tt::notify::kinds {

namespace {

Result<Request> render(const json& c, const Notice& n) {
  auto r = json_post(trim_slash(str(c, "url")) + "/message",
                     json{{"title", notice_title(n)},
                          {"message", notice_text(n)},
                          {"priority", priority_of(n, 8, 5, 2, 2)}});
  r.headers.push_back("X-Gotify-Key: " + str(c, "token"));
  return r;
}

}  // namespace

const ChannelKind& gotify() {
  static const ChannelKind k{
      "gotify",
      "Gotify",
      "Posts a message to a Gotify server with an application token.",
      {url_option("url", "Gotify server", "Gotify server, `https://gotify.example.org`"),
       secret_option("token", "Application token", "application token")},
      http_checks({"url"}, {"token"}),
      render};
  return k;
}

}  // namespace tt::notify::kinds
