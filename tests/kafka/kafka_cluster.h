// Real Apache Kafka 3.9 brokers for end-to-end tests: KRaft nodes (combined controller and
// broker) on 127.0.0.1, on free ports, each a child process with a bounded lifetime that also
// dies with the test process. Jars come from $DROVER_KAFKA_LIBS (tests/kafka/fetch_kafka.sh).
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

namespace drover::testing {

struct KafkaClusterOptions {
  int nodes = 1;
  int default_replication = 1;
  int min_insync_replicas = 1;
  std::chrono::seconds lifetime{600};  // a broker is SIGKILLed after this, whatever happens
  std::map<std::string, std::string> broker_properties;
  /// Non-empty: clients must authenticate with SASL/PLAIN as one of these users (name →
  /// password). The harness itself connects as "admin".
  std::map<std::string, std::string> sasl_plain_users;
  /// Non-empty: clients connect with SASL_SSL and authenticate with SCRAM-SHA-512 as one of
  /// these users (name → password). The broker's certificate is signed by a CA made with
  /// openssl when the cluster starts (ca_file()); brokers replicate over a plaintext listener
  /// of their own. The harness itself connects as "admin".
  std::map<std::string, std::string> scram_users;
  /// The JVM's flags; empty: a small heap and a quick-starting JIT, which suit tests (the bench
  /// asks for a broker tuned for throughput instead).
  std::vector<std::string> jvm_options;
};

class KafkaCluster {
 public:
  /// Formats storage, starts every node and waits until all answer metadata requests.
  /// Throws std::runtime_error (with the brokers' log tails) if they do not come up.
  explicit KafkaCluster(KafkaClusterOptions options = {});
  ~KafkaCluster();
  KafkaCluster(const KafkaCluster&) = delete;
  KafkaCluster& operator=(const KafkaCluster&) = delete;

  std::string bootstrap() const;
  /// The CA that signed the brokers' certificates (with scram_users), in PEM.
  std::filesystem::path ca_file() const { return work_ / "tls" / "ca.pem"; }
  /// What a client needs to connect (SASL settings when the cluster requires them).
  std::vector<std::pair<std::string, std::string>> client_properties() const;
  int nodes() const { return static_cast<int>(nodes_.size()); }

  void kill(int node_id);  // SIGKILL
  void stop(int node_id);  // SIGTERM, then wait for a controlled shutdown
  /// Starts a stopped or killed node again, same data. The broker dies with the thread that
  /// calls this (PR_SET_PDEATHSIG): call it from one that lives as long as the cluster.
  void restart(int node_id);
  bool running(int node_id) const { return node(node_id).pid > 0; }
  pid_t pid(int node_id) const { return node(node_id).pid; }

  /// Creates a topic and waits until every partition has a leader.
  void create_topic(const std::string& topic, int partitions, int replication,
                    const std::map<std::string, std::string>& configs = {});
  /// How many partitions `topic` has, or -1 if it does not exist.
  int partition_count(const std::string& topic);
  /// Broker id leading `partition`, or -1.
  int leader_of(const std::string& topic, int partition);
  /// Waits until `count` brokers are in the cluster's metadata.
  bool wait_for_brokers(int count, std::chrono::seconds timeout = std::chrono::seconds(60));
  /// Waits until every partition of `topic` has all `replicas` in sync.
  bool wait_for_isr(const std::string& topic, int replicas,
                    std::chrono::seconds timeout = std::chrono::seconds(60));

  /// The last lines of every broker's log, for failure messages.
  std::string log_tails(size_t lines = 40) const;
  /// If the current test failed, copies every broker's log to <build>/kafka-logs/<test>/.
  /// The destructor does it too, for clusters that live within one test.
  void keep_logs_if_failed() const;

 private:
  struct Node {
    int id;
    int broker_port;
    int controller_port;
    int internal_port;  // brokers among themselves, when clients use SASL_SSL
    std::filesystem::path dir;
    pid_t pid = -1;
    pid_t watchdog = -1;
  };
  const Node& node(int id) const { return nodes_.at(static_cast<size_t>(id - 1)); }
  Node& node(int id) { return nodes_.at(static_cast<size_t>(id - 1)); }
  void write_properties(const Node& node) const;
  void make_certificates() const;
  void format(const Node& node) const;
  void launch(Node& node);
  void reap(Node& node);

  KafkaClusterOptions options_;
  std::string libs_;
  std::filesystem::path work_;
  std::string cluster_id_;
  std::vector<Node> nodes_;
  rd_kafka_t* admin_ = nullptr;
};

}  // namespace drover::testing
