// A consumer that reads a whole topic into memory for assertions, from a mock cluster or a
// real broker alike: key, value, partition, offset, timestamp and headers of every record.
#pragma once

#include <librdkafka/rdkafka.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace drover::testing {

struct ConsumedRecord {
  int32_t partition = -1;
  int64_t offset = -1;
  std::string key;
  std::string value;
  int64_t timestamp_ms = -1;
  rd_kafka_timestamp_type_t timestamp_type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  std::vector<std::pair<std::string, std::string>> headers;
};

/// Reads partitions of one topic from the beginning, incrementally: poll() adds what arrived.
class TopicReader {
 public:
  TopicReader(const std::string& bootstrap, const std::string& topic, int partitions,
              const std::vector<std::pair<std::string, std::string>>& properties = {})
      : topic_(topic) {
    char error[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error);
    rd_kafka_conf_set(conf, "group.id", "drover-test-reader", error, sizeof error);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", error, sizeof error);
    rd_kafka_conf_set(conf, "log_level", "2", error, sizeof error);
    for (const auto& [key, value] : properties) {
      rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof error);
    }
    consumer_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
    if (consumer_ == nullptr) throw std::runtime_error(error);
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p) {
      rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(consumer_, list);
    rd_kafka_topic_partition_list_destroy(list);
  }
  ~TopicReader() {
    rd_kafka_consumer_close(consumer_);
    rd_kafka_destroy(consumer_);
  }
  TopicReader(const TopicReader&) = delete;
  TopicReader& operator=(const TopicReader&) = delete;

  /// Consumes whatever is available within a short poll; returns all records read so far.
  const std::vector<ConsumedRecord>& poll() {
    while (rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_, 20)) {
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const auto text = [](const void* data, size_t size) {
          return data == nullptr ? std::string()
                                 : std::string(static_cast<const char*>(data), size);
        };
        ConsumedRecord& r = records_.emplace_back();
        r.partition = m->partition;
        r.offset = m->offset;
        r.key = text(m->key, m->key_len);
        r.value = text(m->payload, m->len);
        r.timestamp_ms = rd_kafka_message_timestamp(m, &r.timestamp_type);
        rd_kafka_headers_t* headers = nullptr;
        if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
          const char* name = nullptr;
          const void* value = nullptr;
          size_t size = 0;
          for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                             RD_KAFKA_RESP_ERR_NO_ERROR;
               ++i) {
            r.headers.emplace_back(name, text(value, size));
          }
        }
      }
      rd_kafka_message_destroy(m);
    }
    return records_;
  }
  const std::vector<ConsumedRecord>& records() const { return records_; }

  /// Sum of the partitions' high watermarks: how many records the topic holds.
  int64_t total_records(int partitions) {
    int64_t total = 0;
    for (int p = 0; p < partitions; ++p) {
      int64_t low = 0;
      int64_t high = 0;
      if (rd_kafka_query_watermark_offsets(consumer_, topic_.c_str(), p, &low, &high, 5000) ==
          RD_KAFKA_RESP_ERR_NO_ERROR) {
        total += high;
      }
    }
    return total;
  }

 private:
  std::string topic_;
  rd_kafka_t* consumer_ = nullptr;
  std::vector<ConsumedRecord> records_;
};

}  // namespace drover::testing
