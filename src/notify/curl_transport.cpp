#include "notify/curl_transport.h"

#include <fmt/format.h>

#include <cstring>

namespace tt::notify {

namespace {

constexpr std::size_t kMaxAnswerBytes = 2048;  // of a receiver's answer kept for the error

bool is_smtp(const std::string& url) {
  return url.rfind("smtp://", 0) == 0 || url.rfind("smtps://", 0) == 0;
}

}  // namespace

struct CurlTransport::Transfer {
  Request request;
  Done done;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  curl_slist* rcpt = nullptr;
  std::string answer;
  std::size_t read_at = 0;  // SMTP upload position
  char errbuf[CURL_ERROR_SIZE] = {0};

  ~Transfer() {
    if (easy) curl::easy_cleanup(easy);
    curl::slist_free_all(headers);
    curl::slist_free_all(rcpt);
  }

  static std::size_t on_write(char* data, std::size_t size, std::size_t n, void* self) {
    auto* t = static_cast<Transfer*>(self);
    std::size_t len = size * n;
    t->answer.append(data,
                     std::min(len, kMaxAnswerBytes - std::min(kMaxAnswerBytes, t->answer.size())));
    return len;
  }

  static std::size_t on_read(char* buf, std::size_t size, std::size_t n, void* self) {
    auto* t = static_cast<Transfer*>(self);
    std::size_t len = std::min(size * n, t->request.body.size() - t->read_at);
    std::memcpy(buf, t->request.body.data() + t->read_at, len);
    t->read_at += len;
    return len;
  }

  // Options for the request; false when curl refuses one (the outcome says which).
  bool setup() {
    easy = curl::easy_init();
    if (!easy) return false;
    const Request& r = request;
    curl::easy_setopt(easy, CURLOPT_URL, r.url.c_str());
    curl::easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl::easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(kRequestTimeoutMs));
    curl::easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 10'000L);
    curl::easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
    curl::easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Transfer::on_write);
    curl::easy_setopt(easy, CURLOPT_WRITEDATA, this);
    // Abandoned lookups are detached, not joined (as the probes do).
    curl::easy_setopt(easy, CURLOPT_QUICK_EXIT, 1L);
    if (!r.username.empty() || !r.password.empty()) {
      curl::easy_setopt(easy, CURLOPT_USERNAME, r.username.c_str());
      curl::easy_setopt(easy, CURLOPT_PASSWORD, r.password.c_str());
    }
    if (r.insecure_tls) {
      curl::easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
      curl::easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (is_smtp(r.url)) {
      // Only the mail protocols: a channel's URL cannot make us read files or speak gopher.
      if (curl::easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps") != CURLE_OK) return false;
      // A connection upgraded by STARTTLS is not matched by its TLS settings when curl looks for
      // one to reuse: a channel that verifies certificates could get one that did not. Mail is
      // one message per connection anyway.
      curl::easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
      curl::easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
      curl::easy_setopt(easy, CURLOPT_MAIL_FROM, r.mail_from.c_str());
      for (const auto& to : r.mail_rcpt) rcpt = curl::slist_append(rcpt, to.c_str());
      curl::easy_setopt(easy, CURLOPT_MAIL_RCPT, rcpt);
      curl::easy_setopt(easy, CURLOPT_UPLOAD, 1L);
      curl::easy_setopt(easy, CURLOPT_READFUNCTION, &Transfer::on_read);
      curl::easy_setopt(easy, CURLOPT_READDATA, this);
      curl::easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
      long tls = r.tls == Request::Tls::require ? CURLUSESSL_ALL
                 : r.tls == Request::Tls::off   ? CURLUSESSL_NONE
                                                : CURLUSESSL_TRY;
      curl::easy_setopt(easy, CURLOPT_USE_SSL, tls);
      return true;
    }
    if (curl::easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK) return false;
    curl::easy_setopt(easy, CURLOPT_USERAGENT, "telltale/" TELLTALE_VERSION);
    for (const auto& h : r.headers) headers = curl::slist_append(headers, h.c_str());
    headers = curl::slist_append(headers, "Expect:");  // no 100-continue round trip
    curl::easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    if (r.method == "GET") {
      curl::easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    } else {
      curl::easy_setopt(easy, CURLOPT_POSTFIELDS, r.body.data());
      curl::easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
      if (r.method != "POST") curl::easy_setopt(easy, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    }
    return true;
  }

  Outcome outcome(CURLcode code) const {
    long status = 0;
    curl::easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    Outcome o;
    if (is_smtp(request.url)) {
      o.ok = code == CURLE_OK;
      if (!o.ok) {
        o.error = fmt::format("SMTP: {}", errbuf[0] ? errbuf : curl::easy_strerror(code));
        o.permanent = status >= 500 && status < 600;  // a refused sender or recipient stays refused
      }
      return o;
    }
    if (code != CURLE_OK) {
      o.error = errbuf[0] ? std::string(errbuf) : std::string(curl::easy_strerror(code));
      return o;
    }
    o.ok = status >= 200 && status < 300;
    if (!o.ok) {
      std::string body = answer;
      for (auto& c : body)
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';
      o.error = fmt::format("HTTP {}{}{}", status, body.empty() ? "" : ": ", body);
      // 4xx says the request itself is wrong; 408, 425 and 429 say "later".
      o.permanent =
          status >= 400 && status < 500 && status != 408 && status != 425 && status != 429;
    }
    return o;
  }
};

CurlTransport::~CurlTransport() = default;

void CurlTransport::send(Request r, Done done) {
  auto t = std::make_shared<Transfer>();
  t->request = std::move(r);
  t->done = std::move(done);
  m_loop.post([this, t] { start(t); });
}

void CurlTransport::start(std::shared_ptr<Transfer> t) {
  if (m_closed) return;
  if (!m_multi) m_multi = std::make_unique<curl::Multi>(m_loop.uv());
  if (!t->setup()) {
    t->done({false, true,
             curl::api()
                 ? std::string("libcurl refused the request (is the URL's scheme supported?)")
                 : "libcurl cannot be loaded: " + curl::load_error()});
    return;
  }
  CURL* easy = t->easy;
  m_transfers.emplace(easy, t);
  bool added = m_multi->add(easy, [this](CURL* e, CURLcode code) {
    auto it = m_transfers.find(e);
    if (it == m_transfers.end()) return;
    auto done = std::move(it->second);
    m_transfers.erase(it);
    done->done(done->outcome(code));
  });
  if (!added) {
    m_transfers.erase(easy);
    t->done({false, false, "libcurl could not start the transfer"});
  }
}

void CurlTransport::close() {
  m_closed = true;
  if (m_multi) m_multi->close();
  m_transfers.clear();
}

}  // namespace tt::notify
