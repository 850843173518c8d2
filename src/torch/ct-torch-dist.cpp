// SPDX-License-Identifier: GPL-3.0-or-later
// Data-parallel training across processes with libtorch's own c10d: a
// TCPStore for the rendezvous torchrun set up, and a Gloo process group for
// the collectives (allreduce of gradients and metrics, broadcast of weights).

#include "ct-torch-dist.hpp"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <thread>
#include <cmath>
#include <memory>
#include <mutex>
#include <sstream>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

struct CtDist {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string endpoint; // MASTER_ADDR:MASTER_PORT, for messages
  double timeout_seconds = 0.0;
  int agreements = 0;    // agreement steps taken, for their store keys
  bool serves_store = false; // this process holds the store the others read
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

namespace ct::dist {

namespace {

// The integer in environment variable @name, in [lo, hi]; @fallback when unset.
long env_int(const char *name, long lo, long hi, long fallback, bool required) {
  const char *text = std::getenv(name);
  if (text == nullptr || *text == '\0') {
    if (required)
      throw std::invalid_argument(std::string("torchrun's variable ") + name +
                                  " is not set (WORLD_SIZE is)");
    return fallback;
  }
  char *end = nullptr;
  errno = 0;
  long value = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < lo || value > hi)
    throw std::invalid_argument(std::string("environment variable ") + name + " is \"" + text +
                                "\", expected a whole number in " + std::to_string(lo) + ".." +
                                std::to_string(hi));
  return value;
}

bool is_loopback(const std::string &host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

[[noreturn]] void lost_peer(const CtDist &d, const std::string &what, const std::exception &e) {
  // What is left behind differs by command: the caller says it.
  throw PeerLost("rank " + std::to_string(d.rank) + " of " + std::to_string(d.world_size) + ": " +
                 what + " failed, another rank has died or cannot be reached (" + e.what() + ")");
}

void run(CtDist &d, c10::intrusive_ptr<c10d::Work> work, const std::string &what) {
  try {
    work->wait();
  } catch (const c10::Error &e) {
    lost_peer(d, what, std::runtime_error(e.what_without_backtrace()));
  } catch (const std::exception &e) {
    lost_peer(d, what, e);
  }
}

} // namespace

CtDist *from_env(double timeout_seconds) {
  long world = env_int("WORLD_SIZE", 1, 1 << 20, 1, false);
  if (world <= 1)
    return nullptr;
  if (!std::isfinite(timeout_seconds) || timeout_seconds <= 0.0)
    throw std::invalid_argument("the distributed timeout must be a positive number of seconds");
  auto d = std::make_unique<CtDist>();
  d->world_size = static_cast<int>(world);
  d->rank = static_cast<int>(env_int("RANK", 0, world - 1, 0, true));
  d->local_rank = static_cast<int>(env_int("LOCAL_RANK", 0, world - 1, 0, false));
  const char *addr = std::getenv("MASTER_ADDR");
  if (addr == nullptr || *addr == '\0')
    throw std::invalid_argument("torchrun's variable MASTER_ADDR is not set (WORLD_SIZE is)");
  long port = env_int("MASTER_PORT", 1, 65535, 0, true);
  d->endpoint = std::string(addr) + ":" + std::to_string(port);
  d->timeout_seconds = timeout_seconds;
  auto timeout = std::chrono::milliseconds(static_cast<long long>(timeout_seconds * 1000.0));

  try {
    // As torch.distributed's env:// rendezvous: under torchrun's static
    // rendezvous its agent already serves the store at MASTER_ADDR:PORT and
    // every rank is a client; otherwise rank 0 serves it.
    const char *agent_store = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
    bool use_agent = agent_store != nullptr && std::strcmp(agent_store, "True") == 0;
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(port);
    options.isServer = !use_agent && d->rank == 0;
    d->serves_store = options.isServer;
    options.numWorkers = d->world_size;
    options.waitWorkers = false;
    options.timeout = timeout;
    options.multiTenant = true;
    c10::intrusive_ptr<c10d::Store> tcp = c10::make_intrusive<c10d::TCPStore>(addr, options);
    std::string prefix = "camtrail";
    if (use_agent) {
      const char *attempt = std::getenv("TORCHELASTIC_RESTART_COUNT");
      prefix += std::string("/attempt_") + (attempt != nullptr ? attempt : "0");
    }
    d->store = c10::make_intrusive<c10d::PrefixStore>(prefix, tcp);

    // Gloo listens for its peers on one address: the loopback one when the
    // rendezvous is local, GLOO_SOCKET_IFNAME's interface when set, else
    // the address this host's name resolves to.
    auto gloo = c10d::ProcessGroupGloo::Options::create(timeout);
    const char *ifname = std::getenv("GLOO_SOCKET_IFNAME");
    if (ifname != nullptr && *ifname != '\0')
      gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    else if (is_loopback(addr))
      gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else
      gloo->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    gloo->threads = 1;
    d->group = c10::make_intrusive<c10d::ProcessGroupGloo>(d->store, d->rank, d->world_size, gloo);
  } catch (const std::exception &e) {
    std::string message = dynamic_cast<const c10::Error *>(&e) != nullptr
                              ? static_cast<const c10::Error &>(e).what_without_backtrace()
                              : e.what();
    std::ostringstream text;
    text << "rank " << d->rank << " of " << d->world_size << " could not join the others at "
         << d->endpoint << " within " << timeout_seconds << " s: " << message;
    throw std::runtime_error(text.str());
  }
  return d.release();
}

void destroy(CtDist *dist) noexcept {
  try {
    delete dist;
  } catch (...) {
  }
}

int rank(const CtDist &dist) { return dist.rank; }
int world_size(const CtDist &dist) { return dist.world_size; }
int local_rank(const CtDist &dist) { return dist.local_rank; }
const char *backend(const CtDist &) { return "gloo"; }

// Gloo takes dense contiguous CPU tensors; others go through a copy.
template <typename Collective>
static void on_cpu(torch::Tensor &tensor, Collective &&collective) {
  if (tensor.is_cpu() && tensor.is_contiguous()) {
    collective(tensor);
    return;
  }
  auto staged = tensor.to(torch::kCPU).contiguous();
  collective(staged);
  tensor.copy_(staged);
}

void allreduce_sum(CtDist &dist, torch::Tensor &tensor, const std::string &what) {
  on_cpu(tensor, [&](torch::Tensor &t) {
    std::vector<torch::Tensor> tensors{t};
    run(dist, dist.group->allreduce(tensors), what);
  });
}

void broadcast_from_rank0(CtDist &dist, torch::Tensor &tensor, const std::string &what) {
  on_cpu(tensor, [&](torch::Tensor &t) {
    std::vector<torch::Tensor> tensors{t};
    c10d::BroadcastOptions options;
    options.rootRank = 0;
    run(dist, dist.group->broadcast(tensors, options), what);
  });
}

torch::Tensor all_gather_bytes(CtDist &dist, const torch::Tensor &mine, const std::string &what) {
  auto input = mine.to(torch::kCPU).contiguous().view(torch::kUInt8).reshape({-1});
  std::vector<torch::Tensor> inputs{input};
  std::vector<std::vector<torch::Tensor>> outputs(1);
  for (int r = 0; r < dist.world_size; r++)
    outputs[0].push_back(torch::empty_like(input));
  run(dist, dist.group->allgather(outputs, inputs), what);
  return torch::cat(outputs[0]);
}

/* ---- DDP's gradient buckets ------------------------------------------- */

struct GradientReducer::State {
  struct Bucket {
    std::vector<size_t> members;  // indices into params
    std::vector<int64_t> offsets; // each member's first element in flat
    torch::Tensor flat;           // float32, CPU, contiguous
    size_t expected = 0;          // gradients still to come this step
    bool live = false;            // a member learns this step: the bucket is sent
    bool sent = false;
    c10::intrusive_ptr<c10d::Work> work;
  };

  CtDist &dist;
  std::vector<torch::Tensor> params;
  std::vector<unsigned> hooks;   // per parameter, where it has one
  std::vector<bool> hooked;
  std::vector<size_t> bucket_of; // per parameter
  std::vector<size_t> slot_of;   // its place among its bucket's members
  std::vector<Bucket> buckets;
  std::vector<bool> got;         // a gradient came this step
  size_t next = 0;               // the first bucket not yet sent
  bool armed = false;
  torch::Tensor totals;
  c10::intrusive_ptr<c10d::Work> totals_work;
  uint64_t sent = 0, sent_in_backward = 0;
  std::mutex lock; // CUDA's autograd calls hooks from its device threads

  explicit State(CtDist &d) : dist(d) {}

  void take(size_t i, const torch::Tensor &grad) {
    Bucket &b = buckets[bucket_of[i]];
    b.flat.narrow(0, b.offsets[slot_of[i]], params[i].numel()).copy_(grad.reshape({-1}));
    got[i] = true;
  }

  // Sends the buckets from the first unsent one on while they are full:
  // every rank sends the same buckets in the same order.
  void send_full(bool in_backward) {
    while (next < buckets.size() && buckets[next].expected == 0) {
      Bucket &b = buckets[next++];
      if (!b.live)
        continue;
      std::vector<torch::Tensor> tensors{b.flat};
      b.work = dist.group->allreduce(tensors);
      b.sent = true;
      sent++;
      if (in_backward)
        sent_in_backward++;
    }
  }

  void on_grad(size_t i, const torch::Tensor &grad) {
    std::lock_guard<std::mutex> guard(lock);
    if (!armed || got[i])
      return;
    take(i, grad);
    if (buckets[bucket_of[i]].expected > 0)
      buckets[bucket_of[i]].expected--;
    send_full(true);
  }
};

GradientReducer::GradientReducer(CtDist &dist, const std::vector<torch::Tensor> &params,
                                 size_t bucket_cap_bytes)
    : state_(std::make_unique<State>(dist)) {
  State &s = *state_;
  const size_t cap = std::max<size_t>(bucket_cap_bytes > 0 ? bucket_cap_bytes : kDefaultCapBytes,
                                      sizeof(float));
  s.params = params;
  s.bucket_of.assign(params.size(), 0);
  s.slot_of.assign(params.size(), 0);
  s.got.assign(params.size(), false);
  s.hooks.assign(params.size(), 0);
  s.hooked.assign(params.size(), false);
  // Reverse order, as DDP: the last layers' gradients come first.
  std::vector<std::vector<size_t>> groups;
  size_t bytes = 0;
  for (size_t k = params.size(); k-- > 0;) {
    size_t size = static_cast<size_t>(params[k].numel()) * sizeof(float);
    size_t limit = groups.size() <= 1 ? std::min(cap, kFirstCapBytes) : cap;
    if (groups.empty() || (bytes > 0 && bytes + size > limit)) {
      groups.emplace_back();
      bytes = 0;
    }
    groups.back().push_back(k);
    bytes += size;
  }
  for (auto &members : groups) {
    State::Bucket b;
    int64_t n = 0;
    for (size_t i : members) {
      s.bucket_of[i] = s.buckets.size();
      s.slot_of[i] = b.members.size();
      b.members.push_back(i);
      b.offsets.push_back(n);
      n += params[i].numel();
    }
    b.flat = torch::zeros({n}, torch::dtype(torch::kFloat32));
    s.buckets.push_back(std::move(b));
  }
  // A parameter frozen now has no hook: should it learn later, finish()
  // takes its gradient after the backward pass.
  State *state = &s;
  for (size_t i = 0; i < params.size(); i++)
    if (params[i].requires_grad()) {
      s.hooks[i] = s.params[i].register_hook(
          [state, i](const torch::Tensor &grad) { state->on_grad(i, grad); });
      s.hooked[i] = true;
    }
}

GradientReducer::~GradientReducer() {
  State &s = *state_;
  for (size_t i = 0; i < s.params.size(); i++)
    if (s.hooked[i]) {
      try {
        s.params[i].remove_hook(s.hooks[i]);
      } catch (...) {
      }
    }
}

void GradientReducer::begin(const torch::Tensor &totals) {
  State &s = *state_;
  std::lock_guard<std::mutex> guard(s.lock);
  s.totals = totals.to(torch::kCPU, torch::kFloat32).contiguous().clone();
  std::vector<torch::Tensor> tensors{s.totals};
  s.totals_work = s.dist.group->allreduce(tensors);
  std::fill(s.got.begin(), s.got.end(), false);
  for (auto &b : s.buckets) {
    b.expected = 0;
    b.live = false;
    b.sent = false;
    b.work.reset();
    // A learning parameter without a hook keeps its bucket for finish().
    for (size_t i : b.members)
      if (s.params[i].requires_grad()) {
        b.live = true;
        b.expected++;
      }
  }
  // A bucket of frozen parameters only is skipped, in its turn: every rank
  // holds the same parameters frozen, so all skip the same ones.
  s.next = 0;
  s.armed = true;
}

torch::Tensor GradientReducer::finish() {
  State &s = *state_;
  {
    std::lock_guard<std::mutex> guard(s.lock);
    s.armed = false;
    for (size_t k = s.next; k < s.buckets.size(); k++) {
      for (size_t i : s.buckets[k].members)
        if (!s.got[i] && s.params[i].grad().defined())
          s.take(i, s.params[i].grad());
      s.buckets[k].expected = 0;
    }
    s.send_full(false);
  }
  run(s.dist, s.totals_work, "averaging gradients");
  for (auto &b : s.buckets)
    if (b.sent)
      run(s.dist, b.work, "averaging gradients");
  // Only a parameter that got a gradient gets one back (the same ones on
  // every rank): a frozen one (camtrail_net's BatchNorm scales) must stay
  // without, or SGD would decay it where one process does not.
  torch::NoGradGuard no_grad;
  const float world = static_cast<float>(s.dist.world_size);
  for (auto &b : s.buckets)
    for (size_t j = 0; j < b.members.size(); j++) {
      size_t i = b.members[j];
      if (!b.sent || !s.got[i])
        continue;
      auto &grad = s.params[i].mutable_grad();
      grad.copy_(b.flat.narrow(0, b.offsets[j], s.params[i].numel()).div_(world).view(grad.sizes()));
    }
  return s.totals;
}

void GradientReducer::abandon() noexcept {
  std::lock_guard<std::mutex> guard(state_->lock);
  state_->armed = false;
}

size_t GradientReducer::n_buckets() const { return state_->buckets.size(); }
uint64_t GradientReducer::n_sent() const { return state_->sent; }
uint64_t GradientReducer::n_sent_in_backward() const { return state_->sent_in_backward; }

namespace {

// A sum over every rank whose gradient is, again, the sum over every rank
// of the gradients: rank r's input reaches every rank's loss.
class AllReduceSum : public torch::autograd::Function<AllReduceSum> {
public:
  static torch::Tensor forward(torch::autograd::AutogradContext *ctx, const torch::Tensor &input,
                               CtDist *dist) {
    ctx->saved_data["dist"] = static_cast<int64_t>(reinterpret_cast<intptr_t>(dist));
    auto sum = input.clone(torch::MemoryFormat::Contiguous);
    allreduce_sum(*dist, sum, "synchronising BatchNorm statistics");
    return sum;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx,
                                                 torch::autograd::variable_list grads) {
    auto *dist = reinterpret_cast<CtDist *>(static_cast<intptr_t>(ctx->saved_data["dist"].toInt()));
    auto sum = grads[0].clone(torch::MemoryFormat::Contiguous);
    allreduce_sum(*dist, sum, "synchronising BatchNorm gradients");
    return {sum, torch::Tensor()};
  }
};

} // namespace

torch::Tensor sync_batch_norm(CtDist &dist, ct::BatchNorm2dImpl &bn, const torch::Tensor &input) {
  const auto &options = bn.options;
  auto x = input.to(torch::kFloat32);
  const int64_t channels = x.size(1);
  const double count = static_cast<double>(x.numel() / channels);
  auto shape = std::vector<int64_t>{1, channels, 1, 1};

  // This rank's mean and biased variance, two-pass as BatchNorm's own
  // kernel, in rank r's row of a table of zeros: the allreduce is then an
  // all-gather that autograd can go through.  Combining the rows as
  // Chan et al.'s parallel variance avoids the cancellation of E[x²] − E[x]².
  auto mean = x.mean({0, 2, 3});
  auto var = (x - mean.view(shape)).square().mean({0, 2, 3});
  auto row = torch::cat({mean, var, torch::full({1}, count, mean.options())});
  std::vector<torch::Tensor> rows;
  for (int r = 0; r < dist.world_size; r++)
    rows.push_back(r == dist.rank ? row : torch::zeros_like(row));
  auto table = AllReduceSum::apply(torch::stack(rows), &dist);

  auto counts = table.select(1, 2 * channels).detach().unsqueeze(1);
  auto total = counts.sum();
  auto weights = counts / total;
  auto means = table.narrow(1, 0, channels), vars = table.narrow(1, channels, channels);
  auto global_mean = (weights * means).sum(0);
  auto global_var = (weights * (vars + (means - global_mean).square())).sum(0);

  {
    torch::NoGradGuard no_grad;
    double momentum = options.momentum().value_or(0.0);
    bn.num_batches_tracked += 1;
    if (!options.momentum().has_value())
      momentum = 1.0 / bn.num_batches_tracked.item<double>();
    double n = total.item<double>();
    auto unbiased = global_var.detach() * (n / std::max(n - 1.0, 1.0));
    bn.running_mean.mul_(1.0 - momentum).add_(global_mean.detach().to(bn.running_mean.dtype()), momentum);
    bn.running_var.mul_(1.0 - momentum).add_(unbiased.to(bn.running_var.dtype()), momentum);
  }

  auto scale = torch::rsqrt(global_var + options.eps());
  auto shift = -global_mean * scale;
  shift = shift * bn.weight + bn.bias;
  scale = scale * bn.weight;
  return (x * scale.view(shape) + shift.view(shape)).to(input.scalar_type());
}

void set_sync_batch_norm(torch::nn::Module &net, CtDist *dist) {
  for (auto &module : net.modules()) {
    auto *bn = module->as<ct::BatchNorm2dImpl>();
    if (bn == nullptr)
      continue;
    if (dist == nullptr)
      bn->sync = nullptr;
    else
      bn->sync = [dist](ct::BatchNorm2dImpl &self, const torch::Tensor &input) {
        return sync_batch_norm(*dist, self, input);
      };
  }
}

namespace {

// A rank that holds the store (rank 0 outside torchrun's agent) and stops
// after an agreement step stays until every other rank has read the step
// (or posted its own failure there), or the timeout: its store goes with it.
void wait_for_readers(CtDist &dist, const std::string &prefix) {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<long long>(dist.timeout_seconds * 1000.0));
  for (int r = 0; r < dist.world_size; r++) {
    if (r == dist.rank)
      continue;
    for (;;) {
      try {
        if (dist.store->check({prefix + "seen/" + std::to_string(r)}))
          break;
        if (dist.store->check({prefix + std::to_string(r)})) {
          auto bytes = dist.store->get(prefix + std::to_string(r));
          if (std::string(bytes.begin(), bytes.end()).rfind("failed ", 0) == 0)
            break;
        }
      } catch (const std::exception &) {
        return;
      }
      if (std::chrono::steady_clock::now() >= deadline)
        return;
      // Polls the store (in this process) every 20 ms.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

} // namespace

std::string agree(CtDist &dist, const std::string &failure, const std::string &summary) {
  std::string prefix = "agree/" + std::to_string(dist.agreements++) + "/";
  std::string mine = (failure.empty() ? "ok " + summary : "failed " + failure);
  std::vector<std::string> posted(dist.world_size);
  std::string stop;
  try {
    dist.store->set(prefix + std::to_string(dist.rank), std::vector<uint8_t>(mine.begin(), mine.end()));
  } catch (const std::exception &e) {
    lost_peer(dist, "telling the others how setting up went", e);
  }
  // A failing rank stops here: the others may never post this step.
  if (!failure.empty()) {
    if (dist.serves_store)
      wait_for_readers(dist, prefix);
    return std::string();
  }
  for (int r = 0; r < dist.world_size && stop.empty(); r++) {
    try {
      auto bytes = dist.store->get(prefix + std::to_string(r));
      posted[r].assign(bytes.begin(), bytes.end());
    } catch (const std::exception &) {
      std::ostringstream text;
      text << "rank " << dist.rank << " of " << dist.world_size << ": rank " << r
           << " did not finish setting up within " << dist.timeout_seconds
           << " s (see its own message)";
      stop = text.str();
    }
  }
  try {
    static const std::vector<uint8_t> seen{'1'};
    dist.store->set(prefix + "seen/" + std::to_string(dist.rank), seen);
  } catch (const std::exception &) {
  }
  for (int r = 0; r < dist.world_size && stop.empty(); r++)
    if (posted[r].rfind("failed ", 0) == 0)
      stop = "rank " + std::to_string(r) + " of " + std::to_string(dist.world_size) +
             " failed, so every rank stops: " + posted[r].substr(7);
  for (int r = 1; r < dist.world_size && stop.empty(); r++)
    if (posted[r] != posted[0])
      stop = "rank " + std::to_string(r) + " was started differently from rank 0, so every rank " +
             "stops: rank 0 has " + posted[0].substr(3) + "; rank " + std::to_string(r) + " has " +
             posted[r].substr(3);
  if (!stop.empty() && dist.serves_store)
    wait_for_readers(dist, prefix);
  return stop;
}

bool tell_failure_from_env(double timeout_seconds, const std::string &failure) {
  CtDist *dist = from_env(timeout_seconds);
  if (dist == nullptr)
    return false;
  try {
    agree(*dist, failure, "");
  } catch (...) {
    destroy(dist);
    throw;
  }
  destroy(dist);
  return true;
}

} // namespace ct::dist
