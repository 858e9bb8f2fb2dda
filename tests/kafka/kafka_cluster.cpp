#include "tests/kafka/kafka_cluster.h"

#include "tests/support/free_port.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <deque>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <netinet/in.h>
#include <signal.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace drover::testing {
namespace {

std::string tail(const std::filesystem::path& file, size_t lines) {
  std::ifstream in(file);
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(line);
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (const auto& line : last) out += line + "\n";
  return out;
}

// Runs argv with stdout and stderr appended to `log`; the child dies with this process.
pid_t spawn(const std::vector<std::string>& args, const std::filesystem::path& log) {
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(1);
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  ::dup2(fd, STDOUT_FILENO);
  ::dup2(fd, STDERR_FILENO);
  std::vector<char*> argv;
  std::vector<std::string> copies = args;
  for (auto& a : copies) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
  ::_exit(127);
}

}  // namespace

KafkaCluster::KafkaCluster(KafkaClusterOptions options) : options_(std::move(options)) {
  const char* libs = std::getenv("DROVER_KAFKA_LIBS");
  if (libs == nullptr || !std::filesystem::exists(libs)) {
    throw std::runtime_error(
        "DROVER_KAFKA_LIBS does not name the Kafka jars: run "
        "`export DROVER_KAFKA_LIBS=$(tests/kafka/fetch_kafka.sh)` (scripts/test.sh does)");
  }
  libs_ = libs;
  std::string pattern = (std::filesystem::temp_directory_path() / "drover-kafka-XXXXXX").string();
  work_ = ::mkdtemp(pattern.data());
  cluster_id_ = "drovertestcluster00000";  // 22 characters of base64: any fixed id will do
  for (int id = 1; id <= options_.nodes; ++id) {
    nodes_.push_back(
        {id, free_port(), free_port(), free_port(), work_ / fmt::format("node-{}", id)});
  }
  if (!options_.scram_users.empty()) make_certificates();
  for (const auto& n : nodes_) {
    std::filesystem::create_directories(n.dir);
    write_properties(n);
    format(n);
  }
  for (auto& n : nodes_) launch(n);

  char error[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap().c_str(), error, sizeof error);
  rd_kafka_conf_set(conf, "log_level", "2", error, sizeof error);
  for (const auto& [key, value] : client_properties()) {
    rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof error);
  }
  admin_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (admin_ == nullptr || !wait_for_brokers(options_.nodes, std::chrono::seconds(90))) {
    const std::string logs = log_tails();
    for (auto& n : nodes_) reap(n);
    throw std::runtime_error("the Kafka brokers did not come up:\n" + logs);
  }
}

KafkaCluster::~KafkaCluster() {
  if (admin_ != nullptr) rd_kafka_destroy(admin_);
  for (auto& n : nodes_) reap(n);
  keep_logs_if_failed();
  std::error_code ec;
  std::filesystem::remove_all(work_, ec);
}

std::string KafkaCluster::bootstrap() const {
  std::string out;
  for (const auto& n : nodes_) {
    if (!out.empty()) out += ',';
    out += fmt::format("127.0.0.1:{}", n.broker_port);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> KafkaCluster::client_properties() const {
  if (!options_.scram_users.empty()) {
    return {{"security.protocol", "SASL_SSL"},
            {"sasl.mechanisms", "SCRAM-SHA-512"},
            {"sasl.username", "admin"},
            {"sasl.password", "admin-secret"},
            {"ssl.ca.location", ca_file().string()}};
  }
  if (options_.sasl_plain_users.empty()) return {};
  return {{"security.protocol", "SASL_PLAINTEXT"},
          {"sasl.mechanisms", "PLAIN"},
          {"sasl.username", "admin"},
          {"sasl.password", "admin-secret"}};
}

void KafkaCluster::write_properties(const Node& n) const {
  std::string voters;
  for (const auto& other : nodes_) {
    if (!voters.empty()) voters += ',';
    voters += fmt::format("{}@127.0.0.1:{}", other.id, other.controller_port);
  }
  std::map<std::string, std::string> p{
      {"process.roles", "broker,controller"},
      {"node.id", std::to_string(n.id)},
      {"listeners", fmt::format("PLAINTEXT://127.0.0.1:{},CONTROLLER://127.0.0.1:{}", n.broker_port,
                                n.controller_port)},
      {"advertised.listeners", fmt::format("PLAINTEXT://127.0.0.1:{}", n.broker_port)},
      {"controller.listener.names", "CONTROLLER"},
      {"listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"},
      {"controller.quorum.voters", voters},
      {"log.dirs", (n.dir / "data").string()},
      {"num.partitions", "1"},
      {"default.replication.factor", std::to_string(options_.default_replication)},
      {"min.insync.replicas", std::to_string(options_.min_insync_replicas)},
      {"offsets.topic.replication.factor", std::to_string(options_.default_replication)},
      {"transaction.state.log.replication.factor", std::to_string(options_.default_replication)},
      {"transaction.state.log.min.isr", std::to_string(options_.min_insync_replicas)},
      {"group.initial.rebalance.delay.ms", "0"},
      {"auto.create.topics.enable", "false"},
      // Faster failure detection for failover tests.
      {"broker.session.timeout.ms", "6000"},
      {"broker.heartbeat.interval.ms", "500"},
      {"replica.lag.time.max.ms", "5000"},
  };
  if (!options_.sasl_plain_users.empty()) {
    p["listeners"] = fmt::format("SASL_PLAINTEXT://127.0.0.1:{},CONTROLLER://127.0.0.1:{}",
                                 n.broker_port, n.controller_port);
    p["advertised.listeners"] = fmt::format("SASL_PLAINTEXT://127.0.0.1:{}", n.broker_port);
    p["listener.security.protocol.map"] = "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT";
    p["inter.broker.listener.name"] = "SASL_PLAINTEXT";
    p["sasl.enabled.mechanisms"] = "PLAIN";
    p["sasl.mechanism.inter.broker.protocol"] = "PLAIN";
    std::string jaas =
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        "username=\"admin\" password=\"admin-secret\" user_admin=\"admin-secret\"";
    for (const auto& [user, password] : options_.sasl_plain_users) {
      jaas += fmt::format(" user_{}=\"{}\"", user, password);
    }
    p["listener.name.sasl_plaintext.plain.sasl.jaas.config"] = jaas + ";";
  }
  if (!options_.scram_users.empty()) {
    p["listeners"] =
        fmt::format("SASL_SSL://127.0.0.1:{},INTERNAL://127.0.0.1:{},CONTROLLER://127.0.0.1:{}",
                    n.broker_port, n.internal_port, n.controller_port);
    p["advertised.listeners"] = fmt::format("SASL_SSL://127.0.0.1:{},INTERNAL://127.0.0.1:{}",
                                            n.broker_port, n.internal_port);
    p["listener.security.protocol.map"] =
        "SASL_SSL:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT";
    p["inter.broker.listener.name"] = "INTERNAL";
    p["sasl.enabled.mechanisms"] = "SCRAM-SHA-512";
    p["listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config"] =
        "org.apache.kafka.common.security.scram.ScramLoginModule required;";
    p["ssl.keystore.type"] = "PKCS12";
    p["ssl.keystore.location"] = (work_ / "tls" / "broker.p12").string();
    p["ssl.keystore.password"] = "broker-store";
    p["ssl.key.password"] = "broker-store";
  }
  for (const auto& [key, value] : options_.broker_properties) p[key] = value;
  std::ofstream out(n.dir / "server.properties");
  for (const auto& [key, value] : p) out << key << '=' << value << '\n';
}

void KafkaCluster::make_certificates() const {
  const std::filesystem::path dir = work_ / "tls";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "san.ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  // A CA, a broker certificate it signs for 127.0.0.1, and the broker's PKCS#12 key store.
  const std::string script = fmt::format(
      "cd '{}' && "
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=drover-test-ca "
      "-keyout ca.key -out ca.pem && "
      "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout broker.key "
      "-out broker.csr && "
      "openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
      "-extfile san.ext -out broker.pem && "
      "openssl pkcs12 -export -in broker.pem -inkey broker.key -certfile ca.pem "
      "-out broker.p12 -passout pass:broker-store",
      dir.string());
  const std::string command =
      fmt::format("({}) >'{}' 2>&1", script, (dir / "openssl.log").string());
  if (std::system(command.c_str()) != 0) {
    throw std::runtime_error("making the brokers' certificates failed:\n" +
                             tail(dir / "openssl.log", 20));
  }
}

void KafkaCluster::format(const Node& n) const {
  std::vector<std::string> command{"java",
                                   "-cp",
                                   libs_ + "/*",
                                   "-Dlog4j.configuration=file:" DROVER_SOURCE_DIR
                                   "/tests/kafka/log4j.properties",
                                   "kafka.tools.StorageTool",
                                   "format",
                                   "-t",
                                   cluster_id_,
                                   "-c",
                                   (n.dir / "server.properties").string()};
  if (!options_.scram_users.empty()) {
    std::map<std::string, std::string> users = options_.scram_users;
    users.emplace("admin", "admin-secret");
    for (const auto& [user, password] : users) {
      command.insert(
          command.end(),
          {"--add-scram", fmt::format("SCRAM-SHA-512=[name={},password={}]", user, password)});
    }
  }
  const pid_t pid = spawn(command, n.dir / "server.log");
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("formatting Kafka storage failed:\n" + tail(n.dir / "server.log", 40));
  }
}

void KafkaCluster::launch(Node& n) {
  std::vector<std::string> command{"java"};
  if (options_.jvm_options.empty()) {
    command.insert(command.end(), {options_.nodes > 1 ? "-Xmx384m" : "-Xmx512m", "-XX:+UseSerialGC",
                                   "-XX:TieredStopAtLevel=1"});
  } else {
    command.insert(command.end(), options_.jvm_options.begin(), options_.jvm_options.end());
  }
  command.insert(command.end(),
                 {"-cp", libs_ + "/*",
                  "-Dlog4j.configuration=file:" DROVER_SOURCE_DIR "/tests/kafka/log4j.properties",
                  "kafka.Kafka", (n.dir / "server.properties").string()});
  n.pid = spawn(command, n.dir / "server.log");
  // A watchdog of its own session outlives even a SIGKILLed test: the broker's lifetime is bounded.
  n.watchdog = ::fork();
  if (n.watchdog == 0) {
    ::setsid();
    // Holding the test's stdout would keep ctest waiting for the whole lifetime.
    const int null = ::open("/dev/null", O_RDWR);
    for (int fd = 0; fd <= 2; ++fd) ::dup2(null, fd);
    const std::string script =
        fmt::format("sleep {}; kill -9 {} 2>/dev/null", options_.lifetime.count(), n.pid);
    ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
}

void KafkaCluster::reap(Node& n) {
  if (n.pid > 0) {
    ::kill(n.pid, SIGKILL);
    ::waitpid(n.pid, nullptr, 0);
    n.pid = -1;
  }
  if (n.watchdog > 0) {
    ::kill(-n.watchdog, SIGKILL);  // its session: the shell and its sleep
    ::waitpid(n.watchdog, nullptr, 0);
    n.watchdog = -1;
  }
}

void KafkaCluster::kill(int node_id) { reap(node(node_id)); }

void KafkaCluster::stop(int node_id) {
  Node& n = node(node_id);
  if (n.pid <= 0) return;
  ::kill(n.pid, SIGTERM);
  int status = 0;
  const bool exited = wait_until([&] { return ::waitpid(n.pid, &status, WNOHANG) == n.pid; },
                                 std::chrono::seconds(60));
  if (exited) n.pid = -1;
  reap(n);
}

void KafkaCluster::restart(int node_id) {
  Node& n = node(node_id);
  reap(n);
  launch(n);
}

bool KafkaCluster::wait_for_brokers(int count, std::chrono::seconds timeout) {
  return wait_until(
      [&] {
        const rd_kafka_metadata_t* metadata = nullptr;
        if (rd_kafka_metadata(admin_, 0, nullptr, &metadata, 2000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
          return false;
        }
        const bool ok = metadata->broker_cnt == count;
        rd_kafka_metadata_destroy(metadata);
        return ok;
      },
      timeout);
}

void KafkaCluster::create_topic(const std::string& topic, int partitions, int replication,
                                const std::map<std::string, std::string>& configs) {
  char error[256];
  rd_kafka_NewTopic_t* new_topic =
      rd_kafka_NewTopic_new(topic.c_str(), partitions, replication, error, sizeof error);
  for (const auto& [key, value] : configs) {
    rd_kafka_NewTopic_set_config(new_topic, key.c_str(), value.c_str());
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(admin_);
  rd_kafka_CreateTopics(admin_, &new_topic, 1, nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30'000);
  std::string failure;
  if (event == nullptr) {
    failure = "no answer";
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    failure = rd_kafka_event_error_string(event);
  } else {
    size_t count = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    if (count == 1 && rd_kafka_topic_result_error(results[0]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      failure = rd_kafka_topic_result_error_string(results[0]);
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_NewTopic_destroy(new_topic);
  if (!failure.empty()) throw std::runtime_error("cannot create topic " + topic + ": " + failure);
  const bool led = wait_until([&] {
    for (int p = 0; p < partitions; ++p) {
      if (leader_of(topic, p) < 0) return false;
    }
    return true;
  });
  if (!led) throw std::runtime_error("topic " + topic + " has partitions without a leader");
}

int KafkaCluster::partition_count(const std::string& topic) {
  rd_kafka_topic_t* handle = rd_kafka_topic_new(admin_, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  int count = -1;
  if (rd_kafka_metadata(admin_, 0, handle, &metadata, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      count = metadata->topics[0].partition_cnt;
    }
    rd_kafka_metadata_destroy(metadata);
  }
  rd_kafka_topic_destroy(handle);
  return count;
}

int KafkaCluster::leader_of(const std::string& topic, int partition) {
  rd_kafka_topic_t* handle = rd_kafka_topic_new(admin_, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  int leader = -1;
  if (rd_kafka_metadata(admin_, 0, handle, &metadata, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const rd_kafka_metadata_topic_t& t = metadata->topics[0];
      for (int i = 0; i < t.partition_cnt; ++i) {
        if (t.partitions[i].id == partition && t.partitions[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
          leader = t.partitions[i].leader;
        }
      }
    }
    rd_kafka_metadata_destroy(metadata);
  }
  rd_kafka_topic_destroy(handle);
  return leader;
}

bool KafkaCluster::wait_for_isr(const std::string& topic, int replicas,
                                std::chrono::seconds timeout) {
  return wait_until(
      [&] {
        rd_kafka_topic_t* handle = rd_kafka_topic_new(admin_, topic.c_str(), nullptr);
        const rd_kafka_metadata_t* metadata = nullptr;
        bool ok = false;
        if (rd_kafka_metadata(admin_, 0, handle, &metadata, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
          ok = metadata->topic_cnt == 1 && metadata->topics[0].partition_cnt > 0;
          for (int i = 0; ok && i < metadata->topics[0].partition_cnt; ++i) {
            ok = metadata->topics[0].partitions[i].isr_cnt == replicas;
          }
          rd_kafka_metadata_destroy(metadata);
        }
        rd_kafka_topic_destroy(handle);
        return ok;
      },
      timeout);
}

std::string KafkaCluster::log_tails(size_t lines) const {
  std::string out;
  for (const auto& n : nodes_) {
    out += fmt::format("---- broker {} ({}) ----\n{}", n.id, (n.dir / "server.log").string(),
                       tail(n.dir / "server.log", lines));
  }
  return out;
}

void KafkaCluster::keep_logs_if_failed() const {
  // Broker logs of a failed test are kept next to the build for whoever investigates.
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  if (test == nullptr || !::testing::Test::HasFailure()) return;
  const auto kept = std::filesystem::path(DROVER_BINARY_DIR) / "kafka-logs" /
                    fmt::format("{}.{}", test->test_suite_name(), test->name());
  std::error_code ec;
  std::filesystem::create_directories(kept, ec);
  for (const auto& n : nodes_) {
    std::filesystem::copy_file(n.dir / "server.log", kept / fmt::format("broker-{}.log", n.id),
                               std::filesystem::copy_options::overwrite_existing, ec);
  }
  std::fprintf(stderr, "broker logs kept in %s\n", kept.c_str());
}

}  // namespace drover::testing
