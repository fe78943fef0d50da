// Counting a school's students.csv by four columns (grade, sex, status,
// migrant) as it streams by: what a merged bundle's summary is made of,
// and what every holder above recomputes to check it.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace xj::registry {

// Counts a students.csv by four columns (grade, sex, status, migrant) as it
// streams by, in pieces of any size (the counts do not depend on where
// the pieces end). Records are split as RFC 4180 has them: a quote
// toggles quoting, and outside quotes a comma ends a field and a CR, an LF
// or a CR LF ends the record. Values are counted as they stand (quotes and
// all), so two spellings of one value stay two keys; the bag's files are
// the normalised ones the school signed. Every record must have as many
// fields as the header, which must name the four columns.
class RosterCounter {
 public:
  /// (grade, sex, status, migrant) -> students.
  using ByValues = std::map<std::array<std::string, 4>, std::uint64_t>;

  /// `path` names the file in messages.
  explicit RosterCounter(std::string path) : path_(std::move(path)) {}

  Status Feed(ByteSpan data);
  /// The counts, once the file has ended.
  Result<ByValues> Finish();
  /// Records so far, the header included.
  std::uint64_t records() const { return records_; }

 private:
  // Whether the current field's bytes are wanted (the header's, and the
  // four columns').
  bool Kept() const {
    return records_ == 0 || (field_ < slot_.size() && slot_[field_] >= 0);
  }
  void Keep(const std::uint8_t* from, const std::uint8_t* to);
  Status EndRecord();

  std::string path_;
  bool quoted_ = false, swallow_lf_ = false, open_ = false;
  std::size_t field_ = 0, columns_ = 0;
  std::uint64_t records_ = 0;  // the header included
  std::vector<std::string> header_;
  std::vector<int> slot_;               // column -> which of the four, or -1
  std::vector<std::size_t> next_kept_;  // column -> next counted column
  std::array<std::string, 4> value_;
  std::string key_;
  std::unordered_map<std::uint64_t, std::uint64_t> packed_by_;  // see EndRecord
  std::unordered_map<std::string, std::uint64_t>
      by_;  // values too long to pack
};

}  // namespace xj::registry
