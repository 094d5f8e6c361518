// collect/files.h — reading the small text files of procfs and sysfs, and the scanning every
// parser shares. A file that cannot be read is nullopt: collectors treat it as absent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tt::collect {

// The whole file (procfs files report size 0, so it is read to the end).
std::optional<std::string> read_file(const std::string& path);
// The file's text without surrounding white space, as sysfs values are read.
std::optional<std::string> read_value(const std::string& path);
// The names of a directory's entries that start with `prefix`, sorted; none when it is missing.
std::vector<std::string> list_dir(const std::string& dir, std::string_view prefix);
// `root` and `path` joined by one slash.
std::string join(std::string_view root, std::string_view path);

// Calls f(line) for each line of text, without its newline.
template <class F>
void for_each_line(std::string_view text, F f) {
  while (!text.empty()) {
    auto end = text.find('\n');
    f(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

// The fields of a line separated by runs of spaces and tabs.
std::vector<std::string_view> fields(std::string_view line);
// A whole field as a number; nullopt for anything else (signs, spaces, trailing text).
std::optional<std::uint64_t> to_u64(std::string_view s);
std::optional<double> to_double(std::string_view s);

}  // namespace tt::collect
