#pragma once
// OpenSSL reports failures through a thread-local queue of packed codes. These helpers turn the
// queue into one readable line for logs and configuration errors, and empty it, so that a stale
// entry left by one connection is never blamed on the next one on the same shard.

#include <string>

namespace tern::net {

// The reasons queued since the last call, joined with "; " (oldest first), and clears the queue.
// `fallback` when the queue is empty.
std::string take_openssl_errors(const std::string& fallback = "unknown OpenSSL error");

// Drops whatever is queued; call before an OpenSSL operation whose errors are inspected.
void clear_openssl_errors() noexcept;

}  // namespace tern::net
