// notify/kinds/teams.cpp — a Microsoft Teams incoming webhook (MessageCard).
#include "notify/kinds/common.h"

namespace tt::notify::kinds {

namespace {

Result<Request> render(const json& c, const Notice& n) {
  std::string color = n.event == Notice::Event::resolved ? "2EB886"
                      : n.severity == "critical"         ? "D63333"
                                                         : "E8A33D";
  std::string text = notice_text(n);
  // MessageCard text is Markdown: keep the line breaks.
  std::string md;
  for (char ch : text) md += ch == '\n' ? std::string("  \n") : std::string(1, ch);
  return json_post(str(c, "webhook_url"), json{{"@type", "MessageCard"},
                                               {"@context", "https://schema.org/extensions"},
                                               {"themeColor", color},
                                               {"summary", notice_title(n)},
                                               {"title", notice_title(n)},
                                               {"text", md}});
}

}  // namespace

const ChannelKind& teams() {
  static const ChannelKind k{
      "teams",
      "Microsoft Teams",
      "A Teams incoming webhook (MessageCard).",
      {url_option("webhook_url", "Webhook URL", "the connector's or workflow's webhook URL",
                  nullptr, true)},
      http_checks({"webhook_url"}),
      render};
  return k;
}

}  // namespace tt::notify::kinds
