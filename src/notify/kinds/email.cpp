// notify/kinds/email.cpp — a plain-text email through an SMTP server (STARTTLS or smtps://).
#include <ctime>

#include "notify/kinds/common.h"

namespace tt::notify::kinds {

namespace {

std::vector<FieldError> check(const json& c) {
  std::vector<FieldError> errs;
  if (auto why = url_problem(str(c, "url"), {"smtp", "smtps"}))
    errs.push_back({"config.url", *why});
  auto bad_address = [](const std::string& a) {
    return a.empty() || a.size() > 320 || has_crlf(a) || a.find('@') == std::string::npos ||
           a.find_first_of("<>,; \t") != std::string::npos;
  };
  if (bad_address(str(c, "from")))
    errs.push_back({"config.from", "must be one address such as alerts@example.org"});
  if (c["to"].empty()) errs.push_back({"config.to", "needs at least one address"});
  for (const auto& a : c["to"])
    if (bad_address(a.get<std::string>()))
      errs.push_back({"config.to", "must be addresses such as ops@example.org"});
  return errs;
}

Result<Request> render(const json& c, const Notice& n) {
  Request r;
  r.url = str(c, "url");
  r.mail_from = "<" + str(c, "from") + ">";
  std::string to;
  for (const auto& a : c["to"]) {
    r.mail_rcpt.push_back("<" + a.get<std::string>() + ">");
    to += (to.empty() ? "" : ", ") + a.get<std::string>();
  }
  r.username = str(c, "username");
  r.password = str(c, "password");
  auto tls = str(c, "starttls");
  r.tls = tls == "require" ? Request::Tls::require
          : tls == "off"   ? Request::Tls::off
                           : Request::Tls::try_starttls;
  r.insecure_tls = c.value("insecure_skip_verify", false);
  // Date in RFC 5322 form, from the send time.
  std::time_t secs = static_cast<std::time_t>(n.sent_at / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  std::string body = notice_text(n);
  std::string crlf_body;
  for (char ch : body) {
    if (ch == '\n')
      crlf_body += "\r\n";
    else if (ch != '\r')
      crlf_body += ch;
  }
  std::string subject = notice_title(n);
  for (auto& ch : subject)
    if (ch == '\r' || ch == '\n') ch = ' ';
  r.body = fmt::format(
      "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: "
      "<telltale-{}-{}@telltale>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
      "8bit\r\n\r\n{}\r\n",
      str(c, "from"), to, subject, date, n.id, n.sent_at, crlf_body);
  return r;
}

}  // namespace

const ChannelKind& email() {
  static const ChannelKind k{
      "email",
      "Email (SMTP)",
      "Sends a plain-text email through an SMTP server (smtp:// with STARTTLS, or smtps://).",
      {url_option("url", "SMTP server", "`smtp://host:587` or `smtps://host:465`"),
       string_option("from", "From", "sender address", true),
       {"to", "To", OptionType::string_list, json(), "recipient addresses", {}, 0, 0, true},
       string_option("username", "User name", "SMTP AUTH user"),
       secret_option("password", "Password", "SMTP AUTH password", false),
       choice_option("starttls", "STARTTLS", "STARTTLS on `smtp://`: try, require or off",
                     {"try", "require", "off"}),
       {"insecure_skip_verify", "Accept any certificate", OptionType::boolean, false,
        "accept any TLS certificate (self-signed servers)"}},
      check,
      render};
  return k;
}

}  // namespace tt::notify::kinds
