// notify/kinds/ntfy.cpp — publishes to an ntfy topic (ntfy.sh or a server of one's own).
#include "notify/kinds/common.h"

namespace tt::notify::kinds {

namespace {

Result<Request> render(const json& c, const Notice& n) {
  auto r = json_post(
      trim_slash(str(c, "url")),
      json{{"topic", str(c, "topic")},
           {"title", notice_title(n)},
           {"message", notice_text(n)},
           {"priority", priority_of(n, 5, 4, 3, 3)},
           {"tags", {n.event == Notice::Event::resolved ? "white_check_mark" : "rotating_light"}}});
  add_bearer(r, c, "token");
  return r;
}

}  // namespace

const ChannelKind& ntfy() {
  static const ChannelKind k{
      "ntfy",
      "ntfy",
      "Publishes to an ntfy topic (ntfy.sh or your own server).",
      {url_option("url", "ntfy server", "ntfy server", "https://ntfy.sh"),
       string_option("topic", "Topic", "topic name", true),
       secret_option("token", "Access token",
                     "access token, sent as `Authorization: Bearer <token>`", false)},
      http_checks({"url"}, {"token"}),
      render};
  return k;
}

}  // namespace tt::notify::kinds
