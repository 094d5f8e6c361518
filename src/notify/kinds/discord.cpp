// notify/kinds/discord.cpp — a Discord channel webhook.
#include "notify/kinds/common.h"

namespace tt::notify::kinds {

namespace {

Result<Request> render(const json& c, const Notice& n) {
  json body{{"content", cut(fmt::format("**{}**\n{}", notice_title(n), notice_text(n)), 2000)}};
  copy_options(body, c, {"username"});
  return json_post(str(c, "webhook_url"), body);
}

}  // namespace

const ChannelKind& discord() {
  static const ChannelKind k{
      "discord",
      "Discord",
      "A Discord channel webhook.",
      {url_option("webhook_url", "Webhook URL",
                  "the webhook\'s URL, `https://discord.com/api/webhooks/…`", nullptr, true),
       string_option("username", "Sender name", "override the webhook's name")},
      http_checks({"webhook_url"}),
      render};
  return k;
}

}  // namespace tt::notify::kinds
