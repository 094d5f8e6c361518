// notify/kinds/slack.cpp — an incoming webhook of a Slack app.
#include "notify/kinds/common.h"

namespace tt::notify::kinds {

namespace {

Result<Request> render(const json& c, const Notice& n) {
  json body{{"text", fmt::format("*{}*\n{}", notice_title(n), notice_text(n))}};
  copy_options(body, c, {"channel", "username"});
  return json_post(str(c, "webhook_url"), body);
}

}  // namespace

const ChannelKind& slack() {
  static const ChannelKind k{
      "slack",
      "Slack",
      "An incoming webhook of a Slack app.",
      {url_option("webhook_url", "Webhook URL",
                  "the incoming webhook\'s URL, `https://hooks.slack.com/services/…`", nullptr,
                  true),
       string_option("channel", "Channel", "override the webhook's channel"),
       string_option("username", "Sender name", "override the sender name")},
      http_checks({"webhook_url"}),
      render};
  return k;
}

}  // namespace tt::notify::kinds
