#include "collect/unix_http.h"

#include <cerrno>
#include <cstring>

#include "collect/unix_stream.h"

namespace tt::collect {

namespace {

Error unreachable(const std::string& path, int err) {
  return Error::make(ErrorKind::bad_gateway, "CONTAINER_ENGINE_UNREACHABLE",
                     path + ": " + std::strerror(err));
}

Error timed_out(const std::string& path) {
  return Error::make(ErrorKind::gateway_timeout, "CONTAINER_ENGINE_TIMEOUT",
                     path + ": no whole reply in time");
}

Error failed(const std::string& path, int err) {
  return err == ETIMEDOUT ? timed_out(path) : unreachable(path, err);
}

}  // namespace

Result<HttpReply> unix_http_get(const std::string& socket_path, std::string_view target,
                                std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  UnixStream stream;
  if (int err = stream.connect(socket_path, deadline)) return failed(socket_path, err);
  std::string request = "GET " + std::string(target) +
                        " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: telltale-agent\r\n"
                        "Accept: application/json\r\nConnection: close\r\n\r\n";
  if (int err = stream.send_all(request, deadline)) return failed(socket_path, err);

  std::string bytes;
  while (true) {
    bool closed = false;
    if (int err = stream.receive(bytes, deadline, closed)) return failed(socket_path, err);
    auto reply = parse_http_reply(bytes, closed);
    if (!reply) return std::move(reply).error();
    if (*reply) return std::move(**reply);
    if (std::chrono::steady_clock::now() >= deadline) return timed_out(socket_path);
  }
}

}  // namespace tt::collect
