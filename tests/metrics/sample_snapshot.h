// A MetricsSnapshot with a distinct, known value in every field, for rendering and HTTP tests.
#pragma once

#include "hub/metrics/metrics_snapshot.h"

namespace blockhub::testing {

// `with_persistence` adds the persistence block (with a snapshot age).
MetricsSnapshot MakeSampleSnapshot(bool with_persistence);

}  // namespace blockhub::testing
