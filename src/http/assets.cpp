#include "http/assets.h"

#include <zlib.h>

#include <fstream>
#include <sstream>

#include "http/router.h"

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

bool accepts_gzip(const httplib::Request& req) {
  return req.get_header_value("Accept-Encoding").find("gzip") != std::string::npos;
}

// "/" and client-side routes (no extension) are the single page.
std::string resolve(const std::string& path) {
  if (path == "/" || path.empty()) return "/index.html";
  auto slash = path.rfind('/');
  if (path.find('.', slash) == std::string::npos) return "/index.html";
  return path;
}

// Every file is revalidated (file names carry no content hash yet, and a new binary's UI must
// show at once); the ETag turns revalidation into a 304.
void set_cache_headers(httplib::Response& res) { res.set_header("Cache-Control", "no-cache"); }

}  // namespace

bool serve_asset(Context& ctx, const std::string& web_dir) {
  std::string path = resolve(ctx.req.path);
  auto& res = ctx.res;
  if (!web_dir.empty()) {
    if (path.find("..") != std::string::npos) return false;
    std::ifstream f(web_dir + path, std::ios::binary);
    if (!f) return false;
    std::stringstream ss;
    ss << f.rdbuf();
    res.status = 200;
    res.set_content(ss.str(), mime_type(path).c_str());
    set_cache_headers(res);
    return true;
  }
  for (const auto& a : embedded_assets()) {
    if (path != a.path) continue;
    set_cache_headers(res);
    res.set_header("ETag", a.etag);
    res.set_header("Vary", "Accept-Encoding");
    if (ctx.req.get_header_value("If-None-Match") == a.etag) {
      res.status = 304;
      return true;
    }
    res.status = 200;
    if (accepts_gzip(ctx.req)) {
      res.set_header("Content-Encoding", "gzip");
      // A sized content provider is sent as-is: cpp-httplib would otherwise compress again.
      res.set_content_provider(a.gzipped_size, mime_type(path).c_str(),
                               [&a](size_t offset, size_t length, httplib::DataSink& sink) {
                                 sink.write(reinterpret_cast<const char*>(a.gzipped) + offset, length);
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
