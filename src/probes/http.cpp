// probes/http.cpp — HTTP(S) requests through libcurl's multi interface on the core loop.
//
// Every run gets a fresh connection and a fresh name lookup (FORBID_REUSE, FRESH_CONNECT, no DNS
// cache): a monitor that reuses connections would report connect_time 0 and miss a dead
// listener or a changed DNS record. The certificate is read from the OpenSSL session while the
// answer's status line arrives (CURLINFO_TLS_SSL_PTR is only safe during the transfer), so the
// facts describe the final answer after redirects.
#include "probes/http.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <memory>
#include <unordered_map>

#include "core/text.h"
#include "curl/multi.h"
#include "probes/kinds.h"
#include "probes/tls_info.h"

namespace tt::probes {

namespace {

std::optional<std::string> check_url(const std::string& url) {
  if (auto why = url_problem(url, {"http", "https"})) return why;
  if (url.size() > 8192) return "URL is longer than 8192 characters";
  return std::nullopt;
}

constexpr std::size_t kMaxHeaderBytes = 65536;  // of the answer's headers kept as a fact

std::string_view reason_phrase(long status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 413:
      return "Content Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

std::string ms_text(double seconds) { return fmt::format("{} ms", std::llround(seconds * 1000)); }

// A transfer error as one of the stable codes, with curl's own words for people.
std::pair<std::string, std::string> classify(CURLcode rc, long os_errno, const char* errbuf) {
  std::string why = errbuf && *errbuf ? errbuf : curl::easy_strerror(rc);
  if (os_errno == ECONNRESET) return {"reset", "connection reset: " + why};
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return {"timeout", why};
    case CURLE_COULDNT_RESOLVE_HOST:
      return {"resolve", why};
    case CURLE_COULDNT_CONNECT:
      if (os_errno == ECONNREFUSED) return {"refused", why};
      return {"unreachable", why};
    case CURLE_PEER_FAILED_VERIFICATION:  // also CURLE_SSL_CACERT since 7.62
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return {"tls", "certificate verification failed: " + why};
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CIPHER:
    case CURLE_USE_SSL_FAILED:
      return {"tls", "TLS handshake failed: " + why};
    case CURLE_TOO_MANY_REDIRECTS:
      return {"too_many_redirects", why};
    case CURLE_GOT_NOTHING:
      return {"reset", why};
    default:
      return {"io", why};
  }
}

double info_seconds(CURL* easy, CURLINFO what) {
  curl_off_t us = 0;
  curl::easy_getinfo(easy, what, &us);
  return static_cast<double>(us) / 1e6;
}

struct Run {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  Done done;
  std::uint64_t start_ns = 0;
  std::string url;
  StatusRanges expected;
  std::string expected_text;
  std::string keyword;
  bool invert_keyword = false;
  std::size_t max_body_bytes = 0;
  std::string body;
  std::size_t body_seen = 0;
  nlohmann::json resp_headers = nlohmann::json::object();
  std::size_t resp_header_bytes = 0;
  std::string reason;
  std::optional<TlsInfo> tls;
  char errbuf[CURL_ERROR_SIZE] = {};

  Run() = default;
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;
  ~Run() {
    if (easy) curl::easy_cleanup(easy);
    curl::slist_free_all(headers);
  }
  double elapsed_s() const { return static_cast<double>(uv_hrtime() - start_ns) / 1e9; }
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* run = static_cast<Run*>(user);
  std::size_t bytes = size * n;
  run->body_seen += bytes;
  if (run->body.size() < run->max_body_bytes)
    run->body.append(data, std::min(bytes, run->max_body_bytes - run->body.size()));
  return bytes;  // beyond the limit the body is read and dropped, not an error
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* run = static_cast<Run*>(user);
  std::size_t bytes = size * n;
  std::string_view line(data, bytes);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new answer (after a redirect or a 100 Continue): its headers replace the previous ones.
    run->resp_headers = nlohmann::json::object();
    run->resp_header_bytes = 0;
    run->reason.clear();
    auto sp = line.find(' ');
    if (sp != std::string_view::npos) {
      auto rest = line.substr(sp + 1);
      auto sp2 = rest.find(' ');
      if (sp2 != std::string_view::npos)
        run->reason = std::string(trim(rest.substr(sp2 + 1), " \t\r\n"));
    }
    run->tls.reset();
    curl_tlssessioninfo* session = nullptr;
    if (curl::easy_getinfo(run->easy, CURLINFO_TLS_SSL_PTR, &session) == CURLE_OK && session &&
        session->backend == CURLSSLBACKEND_OPENSSL && session->internals)
      run->tls = tls_info(static_cast<const SSL*>(session->internals));
    return bytes;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return bytes;
  run->resp_header_bytes += bytes;
  if (run->resp_header_bytes <= kMaxHeaderBytes)
    run->resp_headers[ascii_lower(trim(line.substr(0, colon)))] =
        std::string(trim(line.substr(colon + 1), " \t\r\n"));
  return bytes;
}

template <typename T>
T opt(const nlohmann::json& o, const char* name, T fallback) {
  if (!o.is_object()) return fallback;
  auto it = o.find(name);
  if (it == o.end() || it->is_null()) return fallback;
  return it->get<T>();
}

class HttpProbe final : public Probe {
 public:
  explicit HttpProbe(uv_loop_t* loop) : m_multi(loop) {}
  ~HttpProbe() override { close(); }

  void run(const Request& req, Done done) override {
    if (m_closed) return done(failed("cancelled", "the probe is closed"));
    auto run = std::make_unique<Run>();
    run->start_ns = uv_hrtime();
    if (auto why = configure(*run, req)) return done(failed("invalid_option", *why));
    run->done = std::move(done);
    CURL* easy = run->easy;
    if (!m_multi.add(easy, [this](CURL* e, CURLcode rc) { finish(e, rc); })) {
      Done d = std::move(run->done);
      return d(failed("io", "curl refused the transfer"));
    }
    m_runs.emplace(easy, std::move(run));
  }

  void close() override {
    if (m_closed) return;
    m_closed = true;
    auto runs = std::move(m_runs);
    m_runs.clear();
    for (auto& [easy, run] : runs) m_multi.remove(easy);
    m_multi.close();
    for (auto& [easy, run] : runs) {
      Done d = std::move(run->done);
      double elapsed = run->elapsed_s();
      run.reset();
      d(failed("cancelled", "the probe was closed", elapsed));
    }
  }

 private:
  // Fills in the easy handle; returns why the options cannot be used.
  static std::optional<std::string> configure(Run& run, const Request& req) {
    const auto& o = *req.options;
    try {
      run.expected_text = opt<std::string>(o, "expected_status", "200-399");
      auto ranges = parse_status_ranges(run.expected_text);
      if (!ranges)
        return fmt::format(
            "expected_status \"{}\" is not a list of codes and ranges such as 200-399,401",
            run.expected_text);
      run.expected = std::move(*ranges);
      run.keyword = opt<std::string>(o, "keyword", "");
      run.invert_keyword = opt<bool>(o, "invert_keyword", false);
      run.max_body_bytes = static_cast<std::size_t>(
          std::max<std::int64_t>(0, opt<std::int64_t>(o, "max_body_bytes", 1048576)));
      run.url = req.target;

      run.easy = curl::easy_init();
      if (!run.easy)
        return curl::api() ? std::string("curl could not create a transfer")
                           : "libcurl cannot be loaded: " + curl::load_error();
      CURL* e = run.easy;
      if (o.is_object() && o.contains("headers") && o["headers"].is_object()) {
        for (const auto& [name, value] : o["headers"].items()) {
          const auto& v = value.get_ref<const std::string&>();
          if (!valid_header(name, v))
            return fmt::format(
                "header \"{}\" has no name, a colon, space or line break in its name, or a "
                "line break in its value",
                name);
          // "Name;" is curl's way to send a header with an empty value.
          std::string line = v.empty() ? name + ";" : name + ": " + v;
          run.headers = curl::slist_append(run.headers, line.c_str());
        }
      }
      auto method = opt<std::string>(o, "method", "GET");
      bool has_body = o.is_object() && o.contains("body") && o["body"].is_string();
      if (method == "HEAD") curl::easy_setopt(e, CURLOPT_NOBODY, 1L);
      if (method == "POST" || has_body) {
        std::string body = has_body ? o["body"].get<std::string>() : std::string{};
        curl::easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        curl::easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body.c_str());
      }
      if (method != "GET" && method != "HEAD" && method != "POST")
        curl::easy_setopt(e, CURLOPT_CUSTOMREQUEST, method.c_str());
      if (method == "GET" && has_body) curl::easy_setopt(e, CURLOPT_CUSTOMREQUEST, "GET");

      auto user = opt<std::string>(o, "basic_auth_user", "");
      if (!user.empty()) {
        curl::easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl::easy_setopt(e, CURLOPT_USERNAME, user.c_str());
        curl::easy_setopt(e, CURLOPT_PASSWORD,
                          opt<std::string>(o, "basic_auth_password", "").c_str());
      }
      bool verify = opt<bool>(o, "tls_verify", true);
      curl::easy_setopt(e, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
      curl::easy_setopt(e, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
      curl::easy_setopt(e, CURLOPT_FOLLOWLOCATION,
                        opt<bool>(o, "follow_redirects", true) ? 1L : 0L);
      curl::easy_setopt(e, CURLOPT_MAXREDIRS,
                        static_cast<long>(opt<std::int64_t>(o, "max_redirects", 10)));
    } catch (const nlohmann::json::exception& ex) {
      return fmt::format("options do not match the http kind: {}", ex.what());
    }
    CURL* e = run.easy;
    curl::easy_setopt(e, CURLOPT_URL, run.url.c_str());
    curl::easy_setopt(e, CURLOPT_PRIVATE, &run);
    curl::easy_setopt(e, CURLOPT_ERRORBUFFER, run.errbuf);
    curl::easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl::easy_setopt(e, CURLOPT_TIMEOUT_MS,
                      std::max<long>(1, static_cast<long>(req.timeout.count())));
    // A redirect must not take the probe to file://, ftp:// or anything but the web.
    curl::easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl::easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl::easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    curl::easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    curl::easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
    // Without it, abandoning a transfer still resolving joins the resolver thread: a blocked loop.
    curl::easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
    curl::easy_setopt(e, CURLOPT_USERAGENT, "Telltale/" TELLTALE_VERSION);
    curl::easy_setopt(e, CURLOPT_HTTPHEADER, run.headers);
    curl::easy_setopt(e, CURLOPT_WRITEFUNCTION, &on_body);
    curl::easy_setopt(e, CURLOPT_WRITEDATA, &run);
    curl::easy_setopt(e, CURLOPT_HEADERFUNCTION, &on_header);
    curl::easy_setopt(e, CURLOPT_HEADERDATA, &run);
    return std::nullopt;
  }

  void finish(CURL* easy, CURLcode rc) {
    auto it = m_runs.find(easy);
    if (it == m_runs.end()) return;
    std::unique_ptr<Run> run = std::move(it->second);
    m_runs.erase(it);
    Observation obs = observe(*run, rc);
    Done done = std::move(run->done);
    run.reset();
    done(std::move(obs));
  }

  static Observation observe(Run& run, CURLcode rc) {
    CURL* e = run.easy;
    Observation obs;
    obs.duration_s = run.elapsed_s();
    long status = 0, redirects = 0, version = 0, os_errno = 0;
    curl::easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl::easy_getinfo(e, CURLINFO_REDIRECT_COUNT, &redirects);
    curl::easy_getinfo(e, CURLINFO_HTTP_VERSION, &version);
    curl::easy_getinfo(e, CURLINFO_OS_ERRNO, &os_errno);
    curl_off_t content_length = -1;
    curl::easy_getinfo(e, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &content_length);
    char* final_url = nullptr;
    curl::easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &final_url);

    // Curl's times run from the start of the transfer (summed over redirects); phases are the
    // differences between them.
    double resolve = info_seconds(e, CURLINFO_NAMELOOKUP_TIME_T);
    double connect = info_seconds(e, CURLINFO_CONNECT_TIME_T);
    double appconnect = info_seconds(e, CURLINFO_APPCONNECT_TIME_T);
    double pretransfer = info_seconds(e, CURLINFO_PRETRANSFER_TIME_T);
    double starttransfer = info_seconds(e, CURLINFO_STARTTRANSFER_TIME_T);
    double total = info_seconds(e, CURLINFO_TOTAL_TIME_T);
    auto gap = [](double later, double earlier) {
      return later > 0 && later > earlier ? later - earlier : 0.0;
    };
    double connect_s = gap(connect, resolve);
    double tls_s = gap(appconnect, connect);
    double processing_s = gap(starttransfer, pretransfer);
    double transfer_s = gap(total, starttransfer);

    std::string_view version_text = version == CURL_HTTP_VERSION_1_0   ? "1.0"
                                    : version == CURL_HTTP_VERSION_1_1 ? "1.1"
                                    : version == CURL_HTTP_VERSION_2_0 ? "2"
                                    : version == CURL_HTTP_VERSION_3   ? "3"
                                                                       : "";
    double version_number = version == CURL_HTTP_VERSION_1_0   ? 1.0
                            : version == CURL_HTTP_VERSION_1_1 ? 1.1
                            : version == CURL_HTTP_VERSION_2_0 ? 2.0
                            : version == CURL_HTTP_VERSION_3   ? 3.0
                                                               : 0.0;

    auto& f = obs.facts;
    f.reserve(status > 0 ? 14 : 5);
    f["latency"] = total > 0 ? total : obs.duration_s;
    f["dns_time"] = resolve;
    f["connect_time"] = connect_s;
    f["tls_time"] = tls_s;
    f["first_byte_time"] = processing_s;
    if (status > 0) {
      f["status"] = status;
      f["body"] = run.body;
      f["body_size"] = run.body_seen;
      f["headers"] = std::move(run.resp_headers);
      f["redirects"] = redirects;
      if (final_url) f["final_url"] = final_url;
      f["http_version"] = version_text;
      if (run.tls) {
        f["cert_days"] = run.tls->cert_days;
        f["cert_issuer"] = run.tls->cert_issuer;
      }
    }

    auto metric = [&](std::string_view name, double v, std::string_view label = {},
                      std::string label_value = {}) {
      obs.metrics.push_back({name, v, label, std::move(label_value)});
    };
    metric("probe_http_status_code", static_cast<double>(status));
    metric("probe_http_duration_seconds", resolve, "phase", "resolve");
    metric("probe_http_duration_seconds", connect_s, "phase", "connect");
    metric("probe_http_duration_seconds", tls_s, "phase", "tls");
    metric("probe_http_duration_seconds", processing_s, "phase", "processing");
    metric("probe_http_duration_seconds", transfer_s, "phase", "transfer");
    metric("probe_http_content_length", static_cast<double>(content_length));
    metric("probe_http_redirects", static_cast<double>(redirects));
    metric("probe_http_ssl", status > 0 && run.tls ? 1 : 0);
    metric("probe_http_version", version_number);
    if (status > 0 && run.tls) {
      metric("probe_ssl_earliest_cert_expiry", run.tls->earliest_expiry_s);
      metric("probe_tls_version_info", 1, "version", run.tls->version);
    }

    std::string status_text =
        fmt::format("{} {}", status, run.reason.empty() ? reason_phrase(status) : run.reason);
    if (status_text.back() == ' ') status_text.pop_back();
    if (rc != CURLE_OK) {
      auto [code, why] = classify(rc, os_errno, run.errbuf);
      obs.error = std::move(code);
      obs.message = std::move(why);
    } else if (!status_in(run.expected, status)) {
      obs.error = "status";
      obs.message = fmt::format("{}, expected {}", status_text, run.expected_text);
    } else if (!run.keyword.empty() &&
               (run.body.find(run.keyword) != std::string::npos) == run.invert_keyword) {
      obs.error = "keyword";
      obs.message =
          run.invert_keyword
              ? fmt::format("{}, but the body contains \"{}\"", status_text, run.keyword)
              : fmt::format("{}, but the body does not contain \"{}\"", status_text, run.keyword);
    } else {
      obs.ok = true;
      obs.message =
          fmt::format("{} in {}", status_text, ms_text(total > 0 ? total : obs.duration_s));
    }
    return obs;
  }

  curl::Multi m_multi;
  std::unordered_map<CURL*, std::unique_ptr<Run>> m_runs;
  bool m_closed = false;
};

bool is_space(char c) { return c == ' ' || c == '\t'; }

// One code of 100..599 at `s[i]`, skipping blanks before it.
std::optional<int> parse_code(std::string_view s, std::size_t& i) {
  while (i < s.size() && is_space(s[i])) ++i;
  int v = 0, digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9' && digits < 4)
    v = v * 10 + (s[i++] - '0'), ++digits;
  if (digits != 3 || v < 100 || v > 599) return std::nullopt;
  while (i < s.size() && is_space(s[i])) ++i;
  return v;
}

}  // namespace

std::optional<StatusRanges> parse_status_ranges(std::string_view text) {
  if (text.size() > 1024) return std::nullopt;
  StatusRanges out;
  std::size_t i = 0;
  for (;;) {
    auto lo = parse_code(text, i);
    if (!lo) return std::nullopt;
    int hi = *lo;
    if (i < text.size() && text[i] == '-') {
      auto h = parse_code(text, ++i);
      if (!h || *h < *lo) return std::nullopt;
      hi = *h;
    }
    out.push_back({*lo, hi});
    if (i == text.size()) return out;
    if (text[i] != ',') return std::nullopt;
    ++i;
  }
}

bool valid_status_ranges(std::string_view text) { return parse_status_ranges(text).has_value(); }

bool status_in(const StatusRanges& ranges, long status) {
  for (const auto& r : ranges)
    if (status >= r.lo && status <= r.hi) return true;
  return false;
}

namespace {

std::vector<FieldError> check_options(const nlohmann::json& options) {
  std::vector<FieldError> errs;
  if (!valid_status_ranges(options.value("expected_status", std::string())))
    errs.push_back(
        {"options.expected_status", "must be codes and ranges such as \"200\" or \"200-299,301\""});
  if (options.contains("headers"))
    for (const auto& [name, value] : options["headers"].items())
      if (!valid_header(name, value.get<std::string>()))
        errs.push_back({"options.headers." + name,
                        "must not contain line breaks, and names no ':' or spaces"});
  return errs;
}

}  // namespace

const KindDescriptor& http_kind() {
  static const KindDescriptor k{
      "http",
      "HTTP(S)",
      "URL, http:// or https://",
      "https://example.org/",
      "status == 200 && latency < 300ms",
      check_url,
      {{"method",
        "Method",
        OptionType::choice,
        "GET",
        "request method",
        {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}},
       {"headers", "Request headers", OptionType::string_map, nullptr, "request headers"},
       {"body", "Request body", OptionType::string, nullptr, "request body"},
       {"expected_status", "Accepted status codes", OptionType::string, "200-399",
        "status codes and ranges that count as up: `200`, `200-299,301`"},
       {"keyword", "Keyword", OptionType::string, nullptr, "text the body must contain"},
       {"invert_keyword", "Keyword must be absent", OptionType::boolean, false,
        "the body must not contain the keyword"},
       {"follow_redirects", "Follow redirects", OptionType::boolean, true, "follow redirects"},
       {"max_redirects",
        "Most redirects",
        OptionType::integer,
        10,
        "redirects followed at most",
        {},
        0,
        50},
       {"tls_verify", "Verify the certificate", OptionType::boolean, true,
        "verify the certificate chain and host name"},
       {"basic_auth_user", "Basic auth user", OptionType::string, nullptr,
        "user for HTTP basic authentication"},
       {"basic_auth_password",
        "Basic auth password",
        OptionType::string,
        nullptr,
        "password for HTTP basic authentication",
        {},
        0,
        0,
        false,
        true},
       {"max_body_bytes",
        "Body bytes kept",
        OptionType::integer,
        1048576,
        "body bytes kept for keyword and JSON conditions",
        {},
        0,
        16777216}},
      {number_fact("status", "HTTP status code"),
       duration_fact("latency", "total time of the request"),
       duration_fact("dns_time", "name resolution"),
       duration_fact("connect_time", "TCP connect, after resolution"),
       duration_fact("tls_time", "TLS handshake"),
       duration_fact("first_byte_time", "from the request sent to the first byte of the answer"),
       string_fact("body", "the answer's body (up to max_body_bytes)"),
       number_fact("body_size", "bytes of the body"),
       string_fact("headers", "the answer's headers, as an object; header(\"Name\") in conditions"),
       number_fact("redirects", "redirects followed"),
       string_fact("final_url", "the URL of the last answer"),
       string_fact("http_version", "1.0, 1.1 or 2"),
       number_fact("cert_days", "days until the server certificate expires (https)"),
       string_fact("cert_issuer", "issuer of the server certificate (https)")},
      {{"http",
        "HTTP timing by phase",
        ChartUnit::seconds,
        {{"probe_http_duration_seconds"}},
        {"check", "phase"}}},
      60000,
      10000,
      256,
      make_probe<HttpProbe>,
      check_options,
  };
  return k;
}

}  // namespace tt::probes
