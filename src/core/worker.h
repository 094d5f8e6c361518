// core/worker.h — the stop of a class's own worker thread, which sleeps on a condition variable
// until there is work or `stopping` is set (db::Writer, checks::Recorder, alerts::Evaluator,
// notify::Dispatcher, snmp::TrapRecorder).
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

namespace tt {

// Sets `stopping` under `mutex`, wakes the thread through `cv` and waits for it to end. Safe to
// call again (from the destructor too); not from the worker thread itself.
inline void stop_worker(std::mutex& mutex, std::condition_variable& cv, bool& stopping,
                        std::thread& thread) {
  {
    std::lock_guard lock(mutex);
    stopping = true;
  }
  cv.notify_all();
  if (thread.joinable()) thread.join();
}

}  // namespace tt
