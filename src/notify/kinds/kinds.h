// notify/kinds/kinds.h — the descriptor of each channel kind, one file each (as probe kinds are);
// notify/kinds/kinds.cpp lists them in display order for channel_kinds().
#pragma once

#include "notify/channel.h"

namespace tt::notify::kinds {

const ChannelKind& webhook();       // webhook.cpp
const ChannelKind& email();         // email.cpp
const ChannelKind& slack();         // slack.cpp
const ChannelKind& discord();       // discord.cpp
const ChannelKind& teams();         // teams.cpp
const ChannelKind& telegram();      // telegram.cpp
const ChannelKind& ntfy();          // ntfy.cpp
const ChannelKind& gotify();        // gotify.cpp
const ChannelKind& pushover();      // pushover.cpp
const ChannelKind& matrix();        // matrix.cpp
const ChannelKind& pagerduty();     // pagerduty.cpp
const ChannelKind& opsgenie();      // opsgenie.cpp
const ChannelKind& sms();           // sms.cpp
const ChannelKind& alertmanager();  // alertmanager.cpp

}  // namespace tt::notify::kinds
