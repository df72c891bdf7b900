// blockhub-bench hub: the load generator (loadgen_driver.h) against a running blockhubd, through
// the ZeroMQ target (loadgen_zmq.h). The RESULT line names the target "blockhub".
#include "tools/bench/bench_command.h"
#include "tools/bench/loadgen_zmq.h"

namespace blockhub::bench {
namespace {

int Run(int argc, char** argv) { return RunZmqLoad(argc, argv, "blockhub"); }

Registrar registrar("hub", "load generator against a running blockhubd (RESULT blockhub <op> ...)",
                    Run);

}  // namespace
}  // namespace blockhub::bench
