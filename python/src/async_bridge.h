// AsyncBridge: completes asyncio futures from the client library's std::futures, with one waiter
// thread per Client (started on the first async call), never a thread per request.
//
// Add() queues a pending request (its std::future, the asyncio loop and future, and a converter
// to a Python object). The waiter waits, without the GIL, on the oldest pending request, then
// takes every request behind it that is also complete, and delivers the batch under one GIL
// acquisition through one loop.call_soon_threadsafe per loop and batch (the asyncio future is set
// on its loop's thread; a cancelled future is left alone). Requests complete in order of the oldest
// first: the hub answers one connection in order, and each request has a deadline, so a later reply
// waits at most until the earlier request's deadline.
//
// Stop() (after the Client closed, so every future completes) drains the queue and joins; call it
// without the GIL. Thread-safe: Add from any thread holding the GIL.
#pragma once

#include <pybind11/pybind11.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "common/status.h"
#include "errors.h"

namespace blockhub::python {

namespace py = pybind11;

class AsyncBridge {
 public:
  class Pending {
   public:
    Pending(py::object loop, py::object future)
        : loop_(std::move(loop)), future_(std::move(future)) {}
    virtual ~Pending() = default;
    virtual void Wait() = 0;   // without the GIL
    virtual bool Ready() = 0;  // without the GIL
    // With the GIL: converts the outcome to (future, error, value).
    py::tuple Outcome3();
    const py::object& loop() const { return loop_; }

   protected:
    // The result object, or throws (StatusError or a Python error).
    virtual py::object Outcome() = 0;

   private:
    py::object loop_;
    py::object future_;
  };

  template <typename T>
  class PendingOf : public Pending {
   public:
    using Convert = std::function<py::object(T&&)>;
    PendingOf(py::object loop, py::object future, std::future<Result<T>> f, Convert convert)
        : Pending(std::move(loop), std::move(future)),
          f_(std::move(f)),
          convert_(std::move(convert)) {}
    void Wait() override { f_.wait(); }
    bool Ready() override {
      return f_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    }

   protected:
    py::object Outcome() override {
      Result<T> r = f_.get();
      if (!r) throw StatusError(r.error());
      return convert_(std::move(*r));
    }

   private:
    std::future<Result<T>> f_;
    Convert convert_;
  };

  AsyncBridge() = default;
  ~AsyncBridge();  // Stop()
  AsyncBridge(const AsyncBridge&) = delete;
  AsyncBridge& operator=(const AsyncBridge&) = delete;

  void Add(std::unique_ptr<Pending> p);
  void Stop();
  // At interpreter shutdown the waiter can no longer take the GIL: let it go.
  void Abandon();

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Pending>> queue_;
  bool stop_ = false;
  std::thread thread_;
};

// The running asyncio loop and a new future on it (raises InvalidArgumentError without a loop).
std::pair<py::object, py::object> NewLoopFuture(const char* what);

}  // namespace blockhub::python
