#include "hub/metrics/prometheus_text.h"

#include <fmt/format.h>

#include <cmath>
#include <initializer_list>
#include <utility>

namespace blockhub {
namespace {

using Label = std::pair<std::string_view, std::string_view>;

// Appends families and samples to one string. A family's samples must follow its header.
class Writer {
 public:
  void Family(std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name,
                   EscapeHelpText(help), name, type);
  }

  void Sample(std::string_view name, std::initializer_list<Label> labels, std::string_view value) {
    out_ += name;
    AppendLabels(labels, {});
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }
  void Sample(std::string_view name, std::initializer_list<Label> labels, uint64_t value) {
    Sample(name, labels, fmt::format("{}", value));
  }
  void SampleDouble(std::string_view name, std::initializer_list<Label> labels, double value) {
    Sample(name, labels, FormatSampleValue(value));
  }

  // The samples of one histogram series (family header written by the caller).
  void HistogramSeries(std::string_view name, std::initializer_list<Label> labels,
                       const Histogram& h) {
    const auto bounds = h.upper_bounds();
    uint64_t cumulative = 0;
    for (size_t i = 0; i < bounds.size(); ++i) {
      cumulative += h.bucket_count(i);
      BucketLine(name, labels, FormatSampleValue(bounds[i]), cumulative);
    }
    cumulative += h.bucket_count(bounds.size());
    BucketLine(name, labels, "+Inf", cumulative);
    Sample(fmt::format("{}_sum", name), labels, FormatSampleValue(h.sum_seconds()));
    Sample(fmt::format("{}_count", name), labels, cumulative);
  }

  std::string Take() { return std::move(out_); }

 private:
  void BucketLine(std::string_view name, std::initializer_list<Label> labels, std::string_view le,
                  uint64_t cumulative) {
    out_ += name;
    out_ += "_bucket";
    AppendLabels(labels, Label{"le", le});
    fmt::format_to(std::back_inserter(out_), " {}\n", cumulative);
  }

  void AppendLabels(std::initializer_list<Label> labels, Label extra) {
    if (labels.size() == 0 && extra.first.empty()) return;
    out_ += '{';
    bool first = true;
    auto add = [&](const Label& l) {
      if (!first) out_ += ',';
      first = false;
      out_ += l.first;
      out_ += "=\"";
      out_ += EscapeLabelValue(l.second);
      out_ += '"';
    };
    for (const Label& l : labels) add(l);
    if (!extra.first.empty()) add(extra);
    out_ += '}';
  }

  std::string out_;
};

void Counter(Writer& w, std::string_view name, std::string_view help, uint64_t value) {
  w.Family(name, "counter", help);
  w.Sample(name, {}, value);
}

void Gauge(Writer& w, std::string_view name, std::string_view help, uint64_t value) {
  w.Family(name, "gauge", help);
  w.Sample(name, {}, value);
}

void WriteIdentity(Writer& w, const MetricsSnapshot& s) {
  Gauge(w, "registry_up", "Registry process liveness.", 1);
  Gauge(w, "registry_capacity_entries", "Configured registry capacity.", s.capacity_entries);
  w.Family("registry_uptime_seconds", "gauge", "Registry uptime in seconds.");
  w.Sample("registry_uptime_seconds", {}, fmt::format("{:.3f}", s.uptime_seconds));
  // Spelled as the printers and logs spell it, so a label can be grepped for.
  const std::string epoch = fmt::format("0x{:016x}", s.epoch);
  w.Family("registry_info", "gauge",
           "Hub identity: start epoch, version, key format and eviction policy (value is 1).");
  w.Sample("registry_info",
           {{"epoch", epoch},
            {"version", s.version},
            {"key_format", s.key_format},
            {"eviction", s.eviction}},
           uint64_t{1});
  Gauge(w, "registry_records_current", "Current number of records in the registry.",
        s.records_current);
}

Label QueryLabel(size_t t) { return {"query_type", QueryTypeLabel(static_cast<QueryType>(t))}; }

void WriteQueries(Writer& w, const MetricsSnapshot& s) {
  w.Family("registry_query_requests_total", "counter", "Total number of query requests processed.");
  for (size_t t = 0; t < kQueryTypeCount; ++t) {
    w.Sample("registry_query_requests_total", {QueryLabel(t)}, s.queries[t].requests);
  }
  w.Family("registry_query_keys_total", "counter", "Total number of keys processed by queries.");
  for (size_t t = 0; t < kQueryTypeCount; ++t) {
    w.Sample("registry_query_keys_total", {QueryLabel(t)}, s.queries[t].keys);
  }
  w.Family("registry_query_errors_total", "counter",
           "Query requests answered with an error response.");
  for (size_t t = 0; t < kQueryTypeCount; ++t) {
    w.Sample("registry_query_errors_total", {QueryLabel(t)}, s.queries[t].errors);
  }
  w.Family("registry_query_latency_seconds", "histogram", "Registry query latency in seconds.");
  for (size_t t = 0; t < kQueryTypeCount; ++t) {
    w.HistogramSeries("registry_query_latency_seconds", {QueryLabel(t)}, s.queries[t].latency);
  }
  Counter(w, "registry_query_decode_failures_total", "Total query decode failures.",
          s.query_decode_failures);
  Counter(w, "registry_query_match_hits_total", "Total keys that matched on `match` queries.",
          s.core.match_hits);
  Counter(w, "registry_query_match_misses_total", "Total keys that missed on `match` queries.",
          s.core.match_misses);
}

void WriteLeases(Writer& w, const MetricsSnapshot& s) {
  const HubCounters& c = s.core;
  Gauge(w, "registry_lease_active", "Current number of active leases.", s.lease_active);
  // Dynamo's meaning: every Granted answer, a refresh by the lease's owner included.
  Counter(w, "registry_lease_grants_total",
          "Total number of Granted answers (new leases and refreshes).",
          c.leases_granted + c.leases_offload_refreshed);
  Counter(w, "registry_lease_new_total", "New leases (Granted to a key with no live lease).",
          c.leases_granted);
  Counter(w, "registry_lease_denied_total", "Total number of lease denials due to existing leases.",
          c.leases_denied);
  Counter(w, "registry_lease_released_total", "Total number of leases released on register.",
          c.leases_released_by_register);
  Counter(w, "registry_lease_expired_total", "Total number of leases expired during cleanup.",
          c.leases_expired);
  Counter(w, "registry_lease_refreshed_total",
          "Leases renewed by their owner (CanOffload again or Renew).", c.leases_refreshed);
  Counter(w, "registry_lease_released_by_request_total", "Leases given back by a Release request.",
          c.leases_released);
  Counter(w, "registry_lease_capacity_errors_total",
          "CanOffload requests refused because the lease table was full.", c.lease_capacity_errors);
}

void WriteRegistrations(Writer& w, const MetricsSnapshot& s) {
  const HubCounters& c = s.core;
  Counter(w, "registry_register_batches_total", "Total registration batches processed.",
          s.register_batches);
  Counter(w, "registry_register_entries_total", "Total registration entries processed.",
          s.register_entries);
  w.Family("registry_register_latency_seconds", "histogram",
           "Registration batch latency in seconds.");
  w.HistogramSeries("registry_register_latency_seconds", {}, s.register_latency);
  Counter(w, "registry_register_rejected_total",
          "Registered entries refused because the catalog was full (eviction none).",
          c.entries_rejected);
  Counter(w, "registry_register_already_stored_total",
          "Registered entries whose key was already stored.", c.entries_already_stored);
  Counter(w, "registry_records_inserted_total", "Entries inserted into the catalog.",
          c.entries_stored);
  Counter(w, "registry_records_removed_total", "Entries erased by Remove requests.",
          c.entries_removed);
  Counter(w, "registry_offload_already_stored_total", "CanOffload keys answered AlreadyStored.",
          c.offload_already_stored);
  w.Family("registry_evictions_total", "counter", "Entries evicted, by eviction policy.");
  w.Sample("registry_evictions_total", {{"policy", s.eviction}}, c.entries_evicted);
}

void WriteMembers(Writer& w, const MetricsSnapshot& s) {
  const HubCounters& c = s.core;
  Gauge(w, "registry_members_current", "Live workers announced (Announce), expired ones not yet "
        "swept included.", s.members_current);
  Counter(w, "registry_member_announces_total",
          "Accepted Announces with a TTL (new members and renewals).", c.members_announced);
  Counter(w, "registry_member_expirations_total",
          "Members whose TTL lapsed without a request from them.", c.members_expired);
  Counter(w, "registry_member_withdrawals_total", "Members that withdrew (Announce TTL 0).",
          c.members_withdrawn);
  Counter(w, "registry_multicasts_total", "Multicast requests that published.", c.multicasts);
  Counter(w, "registry_multicast_recipients_total",
          "Members matched by Multicast requests (one message published to each).",
          c.multicast_recipients);
  Counter(w, "registry_lease_released_by_departure_total",
          "Live leases released because their owner's membership ended (expired or withdrew).",
          c.leases_released_by_departure);
}

void WriteDrops(Writer& w, const MetricsSnapshot& s) {
  constexpr std::string_view kName = "registry_frames_dropped_total";
  w.Family(kName, "counter", "Frames received or replies produced that could not be used.");
  w.Sample(kName, {{"reason", "query_too_short"}}, s.dropped.query_too_short);
  w.Sample(kName, {{"reason", "register_invalid"}}, s.dropped.register_invalid);
  w.Sample(kName, {{"reason", "reply_unroutable"}}, s.dropped.reply_unroutable);
  w.Sample(kName, {{"reason", "reply_send_failed"}}, s.dropped.reply_send_failed);
}

void WriteSecurity(Writer& w, const SecurityStats& sec) {
  constexpr std::string_view kAuth = "registry_auth_failures_total";
  w.Family(kAuth, "counter",
           "Connections refused at the handshake (CurveZMQ) or for --max-peers, by reason.");
  for (size_t r = 0; r < kAuthFailureCount; ++r) {
    w.Sample(kAuth, {{"reason", std::string(AuthFailureLabel(static_cast<AuthFailure>(r)))}},
             sec.auth_failures[r]);
  }
  constexpr std::string_view kDenied = "registry_permission_denied_total";
  w.Family(kDenied, "counter",
           "Requests refused for the sender's CurveZMQ role (query_type register: PULL frames "
           "dropped).");
  for (size_t role = 0; role < kRoleCount; ++role) {
    for (size_t t = 0; t <= kQueryTypeCount; ++t) {
      const std::string type =
          t < kQueryTypeCount ? std::string(QueryTypeLabel(static_cast<QueryType>(t))) : "register";
      w.Sample(kDenied, {{"role", std::string(RoleLabel(role))}, {"query_type", type}},
               sec.permission_denied[role][t]);
    }
  }
  Gauge(w, "registry_connected_peers", "Connections open on the query and registration sockets.",
        sec.connected_peers);
}

void WritePersistence(Writer& w, const PersistenceStats& p) {
  Gauge(w, "registry_persistence_log_bytes", "Current size of the write-ahead log in bytes.",
        p.log_bytes);
  Counter(w, "registry_persistence_snapshots_total", "Catalog snapshots written since start.",
          p.snapshots_written);
  if (p.snapshot_age_seconds) {
    w.Family("registry_persistence_snapshot_age_seconds", "gauge",
             "Age of the newest catalog snapshot in seconds.");
    w.SampleDouble("registry_persistence_snapshot_age_seconds", {}, *p.snapshot_age_seconds);
  }
  w.Family("registry_persistence_fsync_latency_seconds", "histogram",
           "Write-ahead log fsync latency in seconds.");
  w.HistogramSeries("registry_persistence_fsync_latency_seconds", {}, p.fsync_latency);
}

}  // namespace

std::string RenderPrometheus(const MetricsSnapshot& snapshot) {
  Writer w;
  WriteIdentity(w, snapshot);
  WriteQueries(w, snapshot);
  WriteLeases(w, snapshot);
  WriteRegistrations(w, snapshot);
  WriteMembers(w, snapshot);
  WriteDrops(w, snapshot);
  WriteSecurity(w, snapshot.security);
  if (snapshot.persistence) WritePersistence(w, *snapshot.persistence);
  if (snapshot.events) {
    Counter(w, "registry_events_published_total",
            "Change events handed to the events (PUB) socket.", snapshot.events->published);
    Counter(w, "registry_events_dropped_total",
            "Change events dropped because a subscriber's queue was full (--events-hwm).",
            snapshot.events->dropped);
    Counter(w, "registry_multicast_dropped_total",
            "Multicast messages dropped because a subscriber's queue was full (--events-hwm).",
            snapshot.events->multicast_dropped);
  }
  return w.Take();
}

namespace {
// The exposition format escapes backslash and newline everywhere, and '"' inside label values.
std::string Escape(std::string_view text, bool quote) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}
}  // namespace

std::string EscapeLabelValue(std::string_view value) { return Escape(value, true); }

std::string EscapeHelpText(std::string_view text) { return Escape(text, false); }

std::string FormatSampleValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

}  // namespace blockhub
