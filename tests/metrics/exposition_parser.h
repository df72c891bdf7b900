// A strict reader of the Prometheus text exposition format (0.0.4) for tests: parses what
// /metrics serves into families and samples, rejecting anything the format rules forbid, so tests
// (unit and integration) can check exact values and the rules without promtool.
//
// Rules enforced by ParseExposition: every sample belongs to a family whose HELP and TYPE lines
// came first (histogram samples are NAME_bucket/_sum/_count), a family's lines are contiguous, no
// HELP/TYPE twice, valid metric and label names, label values properly escaped, numeric values.
// CheckExpositionRules adds the semantic rules: no duplicate series; histograms have buckets with
// increasing `le`, cumulative counts, a final le="+Inf", and _count equal to it, plus _sum.
//
// Pure functions; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace blockhub::testing {

using LabelSet = std::map<std::string, std::string>;

struct ExpositionSample {
  std::string name;
  LabelSet labels;
  double value = 0;
};

struct ExpositionFamily {
  std::string name;
  std::string type;  // counter, gauge, histogram, summary, untyped
  std::string help;  // unescaped
  std::vector<ExpositionSample> samples;
};

struct Exposition {
  std::vector<ExpositionFamily> families;

  const ExpositionFamily* Family(std::string_view name) const;
  // The value of the series `name{labels}` (exact label set), if present.
  std::optional<double> Value(std::string_view name, const LabelSet& labels = {}) const;
};

Result<Exposition> ParseExposition(std::string_view text);
Status CheckExpositionRules(const Exposition& exposition);

}  // namespace blockhub::testing
