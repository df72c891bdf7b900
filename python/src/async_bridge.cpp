#include "async_bridge.h"

#include <vector>

namespace blockhub::python {
namespace {

// Runs on the loop's thread: sets each future of the batch unless it was cancelled meanwhile.
void SetOutcomes(py::list outcomes) {
  for (py::handle o : outcomes) {
    py::tuple t = py::reinterpret_borrow<py::tuple>(o);
    py::object future = t[0];
    if (future.attr("done")().cast<bool>()) continue;
    if (!t[1].is_none()) {
      future.attr("set_exception")(t[1]);
    } else {
      future.attr("set_result")(t[2]);
    }
  }
}

// Schedules the outcomes on their loop; a closed loop has nobody awaiting them any more.
void Schedule(const py::object& loop, py::list outcomes) {
  static py::handle setter = py::cpp_function(&SetOutcomes).release();  // module lifetime
  try {
    loop.attr("call_soon_threadsafe")(setter, outcomes);
  } catch (py::error_already_set&) {
  }
}

}  // namespace

py::tuple AsyncBridge::Pending::Outcome3() {
  py::object error = py::none();
  py::object value = py::none();
  try {
    value = Outcome();
  } catch (const StatusError& e) {
    error = MakeError(e.status());
  } catch (py::error_already_set& e) {
    error = e.value();
  }
  return py::make_tuple(future_, error, value);
}

AsyncBridge::~AsyncBridge() { Stop(); }

void AsyncBridge::Add(std::unique_ptr<Pending> p) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.push_back(std::move(p));
  if (!thread_.joinable() && !stop_) thread_ = std::thread([this] { Run(); });
  cv_.notify_one();
}

void AsyncBridge::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void AsyncBridge::Abandon() {
  std::lock_guard<std::mutex> lock(mu_);
  stop_ = true;
  cv_.notify_one();
  if (thread_.joinable()) thread_.detach();
  for (auto& p : queue_) p.release();  // their Python objects cannot be freed without the GIL
  queue_.clear();
}

void AsyncBridge::Run() {
  for (;;) {
    std::unique_ptr<Pending> first;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopped and drained
      first = std::move(queue_.front());
      queue_.pop_front();
    }
    first->Wait();
    std::vector<std::unique_ptr<Pending>> batch;
    batch.push_back(std::move(first));
    {
      std::lock_guard<std::mutex> lock(mu_);
      while (!queue_.empty() && queue_.front()->Ready()) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    py::gil_scoped_acquire gil;
    // One wake-up of each loop per batch (consecutive requests of the same loop together).
    py::list outcomes;
    for (size_t i = 0; i < batch.size(); ++i) {
      outcomes.append(batch[i]->Outcome3());
      if (i + 1 == batch.size() || !batch[i + 1]->loop().is(batch[i]->loop())) {
        Schedule(batch[i]->loop(), outcomes);
        outcomes = py::list();
      }
    }
    batch.clear();  // frees the Python objects with the GIL held
  }
}

std::pair<py::object, py::object> NewLoopFuture(const char* what) {
  static py::handle get_running_loop =
      py::object(py::module_::import("asyncio").attr("get_running_loop"))
          .release();  // module lifetime
  py::object loop;
  try {
    loop = get_running_loop();
  } catch (py::error_already_set&) {
    ThrowInvalid(std::string(what) +
                 " needs a running asyncio event loop (call it from a coroutine)");
  }
  py::object future = loop.attr("create_future")();
  return {loop, future};
}

}  // namespace blockhub::python
