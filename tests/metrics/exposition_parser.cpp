#include "tests/metrics/exposition_parser.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <set>

namespace blockhub::testing {
namespace {

bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

// Reads a metric or label name at `pos`; empty if none.
std::string ReadName(std::string_view line, size_t& pos, bool allow_colon) {
  size_t start = pos;
  while (pos < line.size() && IsNameChar(line[pos]) && (allow_colon || line[pos] != ':')) {
    if (pos == start && !IsNameStart(line[pos])) break;
    ++pos;
  }
  return std::string(line.substr(start, pos - start));
}

Result<double> ParseValue(std::string_view text) {
  if (text == "+Inf") return HUGE_VAL;
  if (text == "-Inf") return -HUGE_VAL;
  if (text == "NaN") return std::nan("");
  std::string s(text);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size()) {
    return MalformedError(fmt::format("bad sample value '{}'", text));
  }
  return v;
}

Result<std::string> ReadLabelValue(std::string_view line, size_t& pos) {
  if (pos >= line.size() || line[pos] != '"') return MalformedError("label value must be quoted");
  ++pos;
  std::string value;
  while (pos < line.size() && line[pos] != '"') {
    char c = line[pos++];
    if (c == '\\') {
      if (pos >= line.size()) return MalformedError("dangling escape");
      const char e = line[pos++];
      if (e == 'n')
        value += '\n';
      else if (e == '\\' || e == '"')
        value += e;
      else
        return MalformedError(fmt::format("bad escape \\{}", e));
    } else {
      value += c;
    }
  }
  if (pos >= line.size()) return MalformedError("unterminated label value");
  ++pos;
  return value;
}

Result<LabelSet> ReadLabels(std::string_view line, size_t& pos) {
  LabelSet labels;
  ++pos;  // '{'
  while (pos < line.size() && line[pos] != '}') {
    std::string name = ReadName(line, pos, /*allow_colon=*/false);
    if (name.empty()) return MalformedError("bad label name");
    if (pos >= line.size() || line[pos++] != '=') return MalformedError("expected '='");
    auto value = ReadLabelValue(line, pos);
    if (!value) return value.error();
    if (!labels.emplace(name, std::move(*value)).second) {
      return MalformedError(fmt::format("label {} repeated", name));
    }
    if (pos < line.size() && line[pos] == ',') ++pos;
  }
  if (pos >= line.size()) return MalformedError("unterminated label set");
  ++pos;  // '}'
  return labels;
}

Result<ExpositionSample> ParseSampleLine(std::string_view line) {
  size_t pos = 0;
  ExpositionSample sample;
  sample.name = ReadName(line, pos, /*allow_colon=*/true);
  if (sample.name.empty()) return MalformedError("bad metric name");
  if (pos < line.size() && line[pos] == '{') {
    auto labels = ReadLabels(line, pos);
    if (!labels) return labels.error();
    sample.labels = std::move(*labels);
  }
  if (pos >= line.size() || line[pos] != ' ') return MalformedError("expected ' ' before value");
  std::string_view rest = line.substr(pos + 1);
  const size_t space = rest.find(' ');  // optional timestamp follows
  auto value = ParseValue(rest.substr(0, space));
  if (!value) return value.error();
  sample.value = *value;
  return sample;
}

bool BelongsTo(const ExpositionFamily& f, std::string_view sample_name) {
  if (sample_name == f.name) return f.type != "histogram";
  if (f.type != "histogram") return false;
  for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (sample_name == f.name + std::string(suffix)) return true;
  }
  return false;
}

// Handles "# HELP name text" and "# TYPE name type"; other comments are ignored.
Status ParseComment(std::string_view line, Exposition& out, std::set<std::string>& seen) {
  const bool help = line.starts_with("# HELP ");
  const bool type = line.starts_with("# TYPE ");
  if (!help && !type) return Status::Ok();
  size_t pos = 7;
  std::string name = ReadName(line, pos, true);
  if (name.empty() || pos >= line.size() || line[pos] != ' ') {
    return MalformedError(fmt::format("bad comment line '{}'", line));
  }
  std::string_view text = line.substr(pos + 1);
  if (out.families.empty() || out.families.back().name != name) {
    if (!seen.insert(name).second) return MalformedError(fmt::format("family {} split", name));
    out.families.push_back(ExpositionFamily{name, "", "", {}});
  }
  ExpositionFamily& f = out.families.back();
  if (!f.samples.empty()) return MalformedError(fmt::format("{}: HELP/TYPE after samples", name));
  if (help) {
    if (!f.help.empty()) return MalformedError(fmt::format("{}: HELP twice", name));
    std::string unescaped;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\\' && i + 1 < text.size()) {
        unescaped += text[i + 1] == 'n' ? '\n' : text[i + 1];
        ++i;
      } else {
        unescaped += text[i];
      }
    }
    f.help = unescaped.empty() ? " " : unescaped;
  } else {
    if (!f.type.empty()) return MalformedError(fmt::format("{}: TYPE twice", name));
    static const std::set<std::string_view> kTypes = {"counter", "gauge", "histogram", "summary",
                                                      "untyped"};
    if (!kTypes.contains(text)) return MalformedError(fmt::format("{}: bad type", name));
    f.type = std::string(text);
  }
  return Status::Ok();
}

}  // namespace

const ExpositionFamily* Exposition::Family(std::string_view name) const {
  for (const ExpositionFamily& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::optional<double> Exposition::Value(std::string_view name, const LabelSet& labels) const {
  for (const ExpositionFamily& f : families) {
    for (const ExpositionSample& s : f.samples) {
      if (s.name == name && s.labels == labels) return s.value;
    }
  }
  return std::nullopt;
}

Result<Exposition> ParseExposition(std::string_view text) {
  Exposition out;
  std::set<std::string> seen;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return MalformedError("last line lacks a newline");
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (line.empty()) continue;
    Status s = Status::Ok();
    if (line.front() == '#') {
      s = ParseComment(line, out, seen);
    } else if (auto sample = ParseSampleLine(line); !sample) {
      s = sample.error();
    } else if (out.families.empty() || !BelongsTo(out.families.back(), sample->name)) {
      s = MalformedError(fmt::format("sample {} outside its family", sample->name));
    } else if (out.families.back().help.empty() || out.families.back().type.empty()) {
      s = MalformedError(fmt::format("family {} lacks HELP or TYPE", out.families.back().name));
    } else {
      out.families.back().samples.push_back(std::move(*sample));
    }
    if (!s.ok()) return MalformedError(fmt::format("line {}: {}", line_no, s.message()));
  }
  return out;
}

namespace {

std::string SeriesKey(const ExpositionSample& s) {
  std::string key = s.name + "{";
  for (const auto& [k, v] : s.labels) key += k + "=\"" + v + "\",";
  return key + "}";
}

struct HistogramGroup {
  std::vector<std::pair<double, double>> buckets;  // (le, cumulative count) in document order
  std::optional<double> sum;
  std::optional<double> count;
};

Status CheckHistogram(const ExpositionFamily& f) {
  std::map<LabelSet, HistogramGroup> groups;
  for (const ExpositionSample& s : f.samples) {
    LabelSet base = s.labels;
    if (s.name == f.name + "_bucket") {
      auto le = base.find("le");
      if (le == base.end()) return MalformedError(f.name + ": bucket without le");
      auto bound = ParseValue(le->second);
      if (!bound) return MalformedError(f.name + ": bad le " + le->second);
      base.erase(le);
      groups[base].buckets.emplace_back(*bound, s.value);
    } else if (s.name == f.name + "_sum") {
      groups[base].sum = s.value;
    } else {
      groups[base].count = s.value;
    }
  }
  for (const auto& [labels, g] : groups) {
    if (g.buckets.empty() || !std::isinf(g.buckets.back().first)) {
      return MalformedError(f.name + ": buckets must end with le=\"+Inf\"");
    }
    for (size_t i = 1; i < g.buckets.size(); ++i) {
      if (!(g.buckets[i].first > g.buckets[i - 1].first)) {
        return MalformedError(f.name + ": le not increasing");
      }
      if (g.buckets[i].second < g.buckets[i - 1].second) {
        return MalformedError(f.name + ": bucket counts not cumulative");
      }
    }
    if (!g.sum || !g.count) return MalformedError(f.name + ": _sum or _count missing");
    if (*g.count != g.buckets.back().second) {
      return MalformedError(f.name + ": _count differs from the +Inf bucket");
    }
  }
  return Status::Ok();
}

}  // namespace

Status CheckExpositionRules(const Exposition& exposition) {
  std::set<std::string> series;
  for (const ExpositionFamily& f : exposition.families) {
    if (f.samples.empty()) return MalformedError(f.name + ": family without samples");
    for (const ExpositionSample& s : f.samples) {
      if (!series.insert(SeriesKey(s)).second) {
        return MalformedError("duplicate series " + SeriesKey(s));
      }
      if (f.type == "counter" && !(s.value >= 0)) {
        return MalformedError(f.name + ": counter negative or NaN");
      }
    }
    if (f.type == "histogram") {
      if (Status st = CheckHistogram(f); !st.ok()) return st;
    }
  }
  return Status::Ok();
}

}  // namespace blockhub::testing
