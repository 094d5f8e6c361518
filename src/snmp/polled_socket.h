// snmp/polled_socket.h — closing a datagram socket watched by a libuv poll handle, shared by the
// SNMP engine and the ICMP probe (probes/ may use snmp/, the lowest folder both reach).
#pragma once

#include <unistd.h>
#include <uv.h>

namespace tt::snmp {

// Closes `s`'s poll handle and, once libuv is done with it (a later loop turn), its descriptor,
// then deletes `s`; `s` is nullptr afterwards. `Socket` is heap-allocated with an `int fd` and a
// `uv_poll_t poll` whose data points back at it. The caller first clears the socket's pointer to
// its owner, so reads still queued for this turn find no owner.
template <class Socket>
void close_polled_socket(Socket*& s) {
  uv_close(reinterpret_cast<uv_handle_t*>(&s->poll), [](uv_handle_t* h) {
    auto* socket = static_cast<Socket*>(h->data);
    ::close(socket->fd);
    delete socket;
  });
  s = nullptr;
}

}  // namespace tt::snmp
