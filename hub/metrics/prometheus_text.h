// Prometheus text exposition format (version 0.0.4) for a MetricsSnapshot: every family gets a
// HELP and a TYPE line, histogram buckets are cumulative and end with le="+Inf", label values are
// escaped, and no series appears twice. The exported names are listed in hub/metrics/METRICS.md.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "hub/metrics/metrics_snapshot.h"

namespace blockhub {

inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4";

std::string RenderPrometheus(const MetricsSnapshot& snapshot);

// Label value escaping: backslash, double quote and newline become \\, \" and \n.
std::string EscapeLabelValue(std::string_view value);
// HELP text escaping: backslash and newline become \\ and \n.
std::string EscapeHelpText(std::string_view text);
// A sample value: shortest round-trip decimal, or NaN, +Inf, -Inf.
std::string FormatSampleValue(double value);

}  // namespace blockhub
