// notify/kinds/sms.cpp — an HTTP SMS gateway: recipient and text in the fields the channel names.
#include "notify/kinds/common.h"

namespace tt::notify::kinds {

namespace {

Result<Request> render(const json& c, const Notice& n) {
  json fields = c.value("fields", json::object());
  fields[str(c, "to_field")] = str(c, "to");
  std::string text = notice_title(n);
  if (n.event != Notice::Event::test) {
    std::string labels;
    for (const auto& [k, v] : n.labels)
      if (k != "alertname" && k != "severity")
        labels += (labels.empty() ? " " : ", ") + k + "=" + v;
    text += labels;
    for (const auto& [k, v] : n.annotations)
      if (k == "summary") text += ": " + v;
    if (n.sent_at - n.at >= 60'000) text += " (" + format_age(n.sent_at - n.at) + " ago)";
  }
  fields[str(c, "text_field")] =
      cut(text, static_cast<std::size_t>(c["max_length"].get<std::int64_t>()));
  std::string form;
  for (const auto& [k, v] : fields.items())
    form +=
        (form.empty() ? "" : "&") + percent_encode(k) + "=" + percent_encode(v.get<std::string>());
  Request r = request_of(c);
  if (r.method == "GET")
    r.url += (r.url.find('?') == std::string::npos ? "?" : "&") + form;
  else if (str(c, "encoding") == "json")
    r = json_post(r.url, fields);
  else {
    r.body = form;
    r.headers.push_back("Content-Type: application/x-www-form-urlencoded");
  }
  add_headers(r, c);
  return r;
}

}  // namespace

const ChannelKind& sms() {
  static const ChannelKind k{
      "sms",
      "SMS gateway",
      "Sends the text to an HTTP SMS gateway: the recipient and the text go in the fields you "
      "name, with fixed fields (API keys) beside them, as a form, JSON, or the query of a GET.",
      {url_option("url", "Send URL", "the gateway's send URL"),
       choice_option("method", "Method", "POST (body) or GET (query string)", {"POST", "GET"}),
       choice_option("encoding", "Body encoding", "POST body: form or json", {"form", "json"}),
       string_option("to", "Recipient number", "recipient number", true),
       string_option("to_field", "Recipient field", "field that carries the recipient", false,
                     "to"),
       string_option("text_field", "Text field", "field that carries the text", false, "text"),
       {"fields",
        "Fixed fields",
        OptionType::string_map,
        json(),
        "fixed fields, such as the API key",
        {},
        0,
        0,
        false,
        true},
       headers_option(),
       {"max_length",
        "Longest text (bytes)",
        OptionType::integer,
        480,
        "the text is cut to this many bytes",
        {},
        70,
        1600}},
      http_checks({"url"}),
      render};
  return k;
}

}  // namespace tt::notify::kinds
