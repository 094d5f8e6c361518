// notify/kinds/telegram.cpp — a Telegram bot's sendMessage to a chat.
#include "notify/kinds/common.h"

namespace tt::notify::kinds {

namespace {

std::vector<FieldError> check(const json& c) {
  auto errs = check_http(c, {"api_url"});
  auto t = str(c, "bot_token");
  if (t.find_first_of("/?#% \r\n") != std::string::npos)
    errs.push_back({"config.bot_token", "is not a bot token"});
  return errs;
}

Result<Request> render(const json& c, const Notice& n) {
  return json_post(
      fmt::format("{}/bot{}/sendMessage", trim_slash(str(c, "api_url")), str(c, "bot_token")),
      json{{"chat_id", str(c, "chat_id")}, {"text", cut(full_text(n), 4096)}});
}

}  // namespace

const ChannelKind& telegram() {
  static const ChannelKind k{
      "telegram",
      "Telegram",
      "A Telegram bot's sendMessage to a chat.",
      {secret_option("bot_token", "Bot token", "the token BotFather gave"),
       string_option("chat_id", "Chat", "chat id or `@channel`", true),
       url_option("api_url", "Bot API server", "Bot API server", "https://api.telegram.org")},
      check,
      render};
  return k;
}

}  // namespace tt::notify::kinds
