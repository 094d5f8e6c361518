#include "notify/kinds/kinds.h"

namespace tt::notify {

const std::vector<const ChannelKind*>& channel_kinds() {
  using namespace kinds;
  static const std::vector<const ChannelKind*> all{
      &webhook(), &email(),    &slack(),  &discord(),   &teams(),    &telegram(), &ntfy(),
      &gotify(),  &pushover(), &matrix(), &pagerduty(), &opsgenie(), &sms(),      &alertmanager()};
  return all;
}

}  // namespace tt::notify
