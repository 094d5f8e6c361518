// notify/kinds/matrix.cpp — an m.text message to a Matrix room; the transaction id makes a resend
// one message.
#include "notify/kinds/common.h"

namespace tt::notify::kinds {

namespace {

Result<Request> render(const json& c, const Notice& n) {
  // The transaction id makes a resent notification one message in the room.
  auto r = json_post(fmt::format("{}/_matrix/client/v3/rooms/{}/send/m.room.message/telltale-{}-{}",
                                 trim_slash(str(c, "homeserver")),
                                 percent_encode(str(c, "room_id")), n.id, n.id ? 0 : n.sent_at),
                     json{{"msgtype", "m.text"}, {"body", full_text(n)}});
  r.method = "PUT";
  add_bearer(r, c, "access_token");
  return r;
}

}  // namespace

const ChannelKind& matrix() {
  static const ChannelKind k{
      "matrix",
      "Matrix",
      "Sends an m.text message to a Matrix room as a user with an access token.",
      {url_option("homeserver", "Homeserver",
                  "the homeserver\'s URL, `https://matrix.example.org`"),
       string_option("room_id", "Room", "room id, `!room:example.org`", true),
       secret_option("access_token", "Access token", "the sending user's access token")},
      http_checks({"homeserver"}, {"access_token"}),
      render};
  return k;
}

}  // namespace tt::notify::kinds
