// The request headers the server parses itself (http/headers.h): any bytes are answered without
// a crash, and the brotli rewrite of a head leaves an Accept-Encoding without "br" in place.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/headers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  tt::http::accepts_coding(text, "br");
  tt::http::accepts_coding(text, "gzip");
  if (!tt::http::etag_matches(text, text) && text.find(',') == std::string_view::npos &&
      !text.empty() && !text.starts_with("W/") && text.front() != ' ' && text.front() != '\t' &&
      text.back() != ' ' && text.back() != '\t')
    std::abort();  // a single tag always matches itself
  if (auto edit = tt::http::without_brotli(text, "X-Client")) {
    if (edit->offset + edit->length > text.size()) std::abort();
    std::string head(text);
    head.replace(edit->offset, edit->length, edit->text);
    auto line = std::string_view(head).substr(edit->offset);
    line = line.substr(0, line.find("\r\n"));
    if (!line.starts_with("Accept-Encoding:") || line.find("br") != std::string_view::npos)
      std::abort();
  }
  return 0;
}
