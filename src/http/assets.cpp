#include "http/assets.h"

#include <fmt/format.h>
#include <zlib.h>

#include <fstream>
#include <sstream>

#include "http/base_path.h"
#include "http/headers.h"
#include "http/router.h"
#include "http/server.h"

namespace tt::http {

namespace {

std::string mime_type(std::string_view path) {
  auto dot = path.rfind('.');
  auto ext = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "json" || ext == "webmanifest") return "application/json";
  if (ext == "woff2") return "font/woff2";
  return "application/octet-stream";
}

std::string gunzip(const unsigned char* data, std::size_t size, std::size_t raw_size) {
  std::string out(raw_size, '\0');
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return {};
  zs.next_in = const_cast<unsigned char*>(data);
  zs.avail_in = static_cast<uInt>(size);
  zs.next_out = reinterpret_cast<unsigned char*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&zs, Z_FINISH);
  inflateEnd(&zs);
  return rc == Z_STREAM_END ? out : std::string{};
}

// The client's own Accept-Encoding (see kClientAcceptEncoding) admits `coding`.
bool accepts(const httplib::Request& req, std::string_view coding) {
  auto header = req.has_header(kClientAcceptEncoding) ? kClientAcceptEncoding : "Accept-Encoding";
  return accepts_coding(req.get_header_value(header), coding);
}

// "/" and client-side routes (no extension) are the single page.
std::string resolve(const std::string& path) {
  if (path == "/" || path.empty()) return "/index.html";
  auto slash = path.rfind('/');
  if (path.find('.', slash) == std::string::npos) return "/index.html";
  return path;
}

// Built assets carry their content hash in the name, so they never change under it; the rest
// (index.html, which names them) is revalidated so a new binary's UI shows at once, and the
// ETag turns revalidation into a 304.
void set_cache_headers(httplib::Response& res, const std::string& path) {
  res.set_header("Cache-Control",
                 path.starts_with("/assets/") ? "public, max-age=31536000, immutable" : "no-cache");
}

}  // namespace

bool serve_asset(Context& ctx, const std::string& web_dir, const std::string& base_path) {
  std::string path = resolve(ctx.req.path);
  auto& res = ctx.res;
  const bool rewrite = !base_path.empty() && path == "/index.html";
  if (!web_dir.empty()) {
    if (path.find("..") != std::string::npos) return false;
    std::ifstream f(web_dir + path, std::ios::binary);
    if (!f) return false;
    std::stringstream ss;
    ss << f.rdbuf();
    res.status = 200;
    res.set_content(rewrite ? index_with_base_path(ss.str(), base_path) : ss.str(),
                    mime_type(path).c_str());
    res.set_header("Cache-Control", "no-cache");  // a directory under development changes any time
    return true;
  }
  for (const auto& a : embedded_assets()) {
    if (path != a.path) continue;
    if (rewrite) {
      // Its own ETag: the same binary under another base path sends another page.
      auto etag = fmt::format("\"{}-{:x}\"", a.hash, std::hash<std::string>{}(base_path));
      set_cache_headers(res, path);
      res.set_header("ETag", etag);
      if (etag_matches(ctx.req.get_header_value("If-None-Match"), etag)) {
        res.status = 304;
        return true;
      }
      res.status = 200;
      res.set_content(
          index_with_base_path(gunzip(a.gzipped, a.gzipped_size, a.raw_size), base_path),
          mime_type(path).c_str());
      return true;
    }
    // The smaller encoding the client takes; each has its own strong ETag.
    const unsigned char* body = nullptr;
    std::size_t size = 0;
    const char* coding = nullptr;
    const char* etag_suffix = "";
    if (a.brotli && accepts(ctx.req, "br")) {
      body = a.brotli;
      size = a.brotli_size;
      coding = "br";
      etag_suffix = "-br";
    } else if (accepts(ctx.req, "gzip")) {
      body = a.gzipped;
      size = a.gzipped_size;
      coding = "gzip";
      etag_suffix = "-gz";
    }
    std::string etag = fmt::format("\"{}{}\"", a.hash, etag_suffix);
    if (coding) res.set_header("Content-Encoding", coding);
    set_cache_headers(res, path);
    res.set_header("ETag", etag);
    res.set_header("Vary", "Accept-Encoding");
    if (etag_matches(ctx.req.get_header_value("If-None-Match"), etag)) {
      res.status = 304;
      return true;
    }
    res.status = 200;
    if (body) {
      // A sized content provider is sent as-is: cpp-httplib would otherwise compress again.
      res.set_content_provider(size, mime_type(path).c_str(),
                               [body](size_t offset, size_t length, httplib::DataSink& sink) {
                                 sink.write(reinterpret_cast<const char*>(body) + offset, length);
                                 return true;
                               });
    } else {
      res.set_content(gunzip(a.gzipped, a.gzipped_size, a.raw_size), mime_type(path).c_str());
    }
    return true;
  }
  return false;
}

}  // namespace tt::http
