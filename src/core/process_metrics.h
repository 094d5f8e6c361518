// core/process_metrics.h — the standard process_* metrics (RSS, CPU, open fds, start time)
// read from /proc at scrape time.
#pragma once

namespace tt::metrics {

class Registry;
void register_process_collector(Registry& r);

}  // namespace tt::metrics
