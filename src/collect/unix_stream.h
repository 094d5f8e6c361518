// collect/unix_stream.h — a blocking client end of a unix stream socket where every call shares
// one deadline, for the small clients of collect/ (the container engine's HTTP, D-Bus). Failures
// are errno values (ETIMEDOUT once the deadline has passed) that each client names in its own
// error codes. One thread at a time; the socket closes with the object.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace tt::collect {

class UnixStream {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  UnixStream() = default;
  ~UnixStream();
  UnixStream(UnixStream&& other) noexcept;
  UnixStream& operator=(UnixStream&& other) noexcept;
  UnixStream(const UnixStream&) = delete;
  UnixStream& operator=(const UnixStream&) = delete;

  // Each returns 0 or an errno. connect is called once, before the others.
  int connect(const std::string& path, Deadline deadline);
  int send_all(std::string_view bytes, Deadline deadline);
  // Appends what has arrived, at least one byte; `closed` is set, and nothing appended, when the
  // peer has ended the stream.
  int receive(std::string& out, Deadline deadline, bool& closed);

 private:
  int m_fd = -1;
};

}  // namespace tt::collect
