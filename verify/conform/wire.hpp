// verigrad's side of the wire: telling protocol lines from an engine's prints, and reading the
// adapter's replies strictly. Anything that is not exactly the protocol (docs/conform.md) throws
// AdapterError with a message that quotes the line received.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "verify/conform/engine.hpp"
#include "verify/conform/protocol.hpp"

namespace verigrad::verify::conform {

// A line from the adapter is a protocol line when its first byte is '{'; every other line is the
// engine's own output (kept, shown in the report, never an error). A trailing '\r' is ignored.
inline bool is_protocol_line(std::string_view line) { return !line.empty() && line.front() == '{'; }

// The line as it may be shown: at most `max` bytes, invalid UTF-8 and control characters escaped
// (\xNN), so that messages and JSON output stay valid text whatever the adapter wrote.
std::string quote(std::string_view line, std::size_t max = 300);

// The handshake reply. Throws AdapterError for an error reply (the adapter could not load the engine),
// another protocol version, or anything malformed.
Hello parse_hello(const std::string& line);

// A reply to `pending` (the case the adapter must answer next): the id must match, every name must be
// one of the case's, every leaf must have a grad, numbers must be JSON numbers, "inf", "-inf", "nan"
// or {"type": ..., "repr": ...}. Unknown keys are errors unless they start with "x_".
Reply parse_reply(const std::string& line, const Case& pending);

}  // namespace verigrad::verify::conform
