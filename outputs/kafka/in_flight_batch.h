// A batch the Kafka output has taken from its queue and not yet completed: what it renders once
// for all its records, and how many of them are still waiting for an outcome.
#pragma once

#include "agent/batch.h"
#include "outputs/kafka/record_id.h"

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <vector>

namespace drover::outputs {

class Route;

struct InFlightBatch {
  BatchPtr batch;
  Route* route = nullptr;             // the topic of every record, unless the topic is per record
  std::vector<Route*> record_routes;  // per record when the topic reads the record ({json.*});
                                      // nullptr: the record's topic name is invalid
  std::string key;                    // rendered once, unless the key reads the record
  rd_kafka_headers_t* headers = nullptr;  // the batch-wide headers, copied per record
  std::optional<RecordId> record_id;      // unless the output's record_id_header is ""
  size_t next_record = 0;     // records before it were handed to librdkafka or held at least once
  size_t unsettled = 0;       // records neither delivered nor dead-lettered
  std::vector<bool> settled;  // per record: what is left to save at stop
  uint64_t sequence = 0;      // read order across batches: held records are re-sent in this order
  uint64_t held_bytes = 0;    // counted against the memory budget while in flight
  size_t next_report = 0;     // the record whose delivery report most likely comes next
  std::list<InFlightBatch>::iterator self;

  Route& route_of(size_t record) const {
    return route != nullptr ? *route : *record_routes[record];
  }
};

}  // namespace drover::outputs
