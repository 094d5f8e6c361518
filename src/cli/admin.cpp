#include "cli/admin.h"

#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "app/app.h"
#include "auth/auth.h"
#include "core/duration.h"
#include "db/database.h"
#include "db/writer.h"

namespace tt::cli {

namespace {

// The database of a data directory, migrated, with a writer and readers for the services.
struct Store {
  std::unique_ptr<db::Writer> writer;
  std::unique_ptr<db::Readers> readers;
};

bool open_store(const std::string& data_dir, Store& store) {
  std::string err;
  if (!app::ensure_data_dir(data_dir, err)) {
    fmt::print(stderr, "error: {}\n", err);
    return false;
  }
  auto path = db::database_path(data_dir);
  auto rw = db::open(path, db::Access::read_write);
  if (!rw.ok()) {
    fmt::print(stderr, "error: cannot open {}: {}\n", path, rw.error().message);
    return false;
  }
  auto v = db::migrate(*rw.value(), db::embedded_migrations());
  if (!v.ok()) {
    fmt::print(stderr, "error: {}\n", v.error().message);
    return false;
  }
  store.writer = std::make_unique<db::Writer>(std::move(rw.value()));
  store.readers = std::make_unique<db::Readers>(path);
  return true;
}

void print_error(const Error& e) {
  fmt::print(stderr, "error: {} ({})\n", e.message, e.code);
  for (const auto& f : e.fields) fmt::print(stderr, "  {}: {}\n", f.field, f.message);
}

}  // namespace

int user_add(const std::string& data_dir, const std::string& name, const std::string& role_text,
             std::istream& in) {
  auto role = auth::parse_role(role_text);
  if (!role) {
    fmt::print(stderr, "error: --role must be one of admin, operator, viewer, api\n");
    return 2;
  }
  std::string password;
  std::getline(in, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  Store store;
  if (!open_store(data_dir, store)) return 1;
  auth::AuthService auth(*store.writer, *store.readers, SystemClock::instance());
  auto user = auth.create_user(name, *role, password, auth::cli_principal().user, "");
  if (!user.ok()) {
    print_error(user.error());
    return 1;
  }
  // A server's pending setup code is void once a user exists: `telltale setup-code` says so.
  std::remove(auth::setup_code_path(data_dir).c_str());
  fmt::print("created user {} with role {}\n", user->name, auth::role_name(user->role));
  return 0;
}

int token_create(const std::string& data_dir, const std::string& user, const std::string& label,
                 const std::string& expires) {
  std::int64_t expires_ms = 0;
  if (!expires.empty() && (expires_ms = parse_duration_ms(expires).value_or(-1)) <= 0) {
    fmt::print(stderr, "error: --expires must be a duration such as 90d, 12h or 30m\n");
    return 2;
  }
  Store store;
  if (!open_store(data_dir, store)) return 1;
  auth::AuthService auth(*store.writer, *store.readers, SystemClock::instance());
  auto token = auth.create_token(user, label, expires_ms, auth::cli_principal().user, "");
  if (!token.ok()) {
    print_error(token.error());
    return 1;
  }
  fmt::print("created token {} ({}) for {}{}\n", token->id, token->info.label, user,
             expires.empty() ? "" : ", expires in " + expires);
  fmt::print("{}\n", token->token);
  return 0;
}

}  // namespace tt::cli
