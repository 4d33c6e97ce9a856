#include "admin/prometheus_writer.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace tern::admin {
namespace {

TEST(PrometheusWriter, FamilyHasHelpThenTypeThenSamples) {
  prometheus_writer w;
  w.family("tern_connections_total", metric_type::counter, "CONNECTs accepted.");
  w.sample("tern_connections_total", std::uint64_t{42});
  EXPECT_EQ(w.text(),
            "# HELP tern_connections_total CONNECTs accepted.\n"
            "# TYPE tern_connections_total counter\n"
            "tern_connections_total 42\n");
}

TEST(PrometheusWriter, LabelsAreQuotedAndEscaped) {
  prometheus_writer w;
  w.family("m", metric_type::gauge, "h");
  w.sample("m", {{"a", "plain"}, {"b", "back\\slash \"quoted\"\nnext"}}, std::uint64_t{1});
  EXPECT_EQ(w.text(),
            "# HELP m h\n# TYPE m gauge\n"
            "m{a=\"plain\",b=\"back\\\\slash \\\"quoted\\\"\\nnext\"} 1\n");
}

TEST(PrometheusWriter, HelpEscapesBackslashAndNewlineButNotQuotes) {
  prometheus_writer w;
  w.family("m", metric_type::counter, "a \"b\" c\\d\ne");
  EXPECT_EQ(w.text(), "# HELP m a \"b\" c\\\\d\\ne\n# TYPE m counter\n");
}

TEST(PrometheusWriter, FloatingPointValuesAndSpecials) {
  prometheus_writer w;
  w.sample("x", 0.25);
  w.sample("y", std::numeric_limits<double>::infinity());
  w.sample("z", -std::numeric_limits<double>::infinity());
  w.sample("n", std::numeric_limits<double>::quiet_NaN());
  w.sample("big", std::uint64_t{18'446'744'073'709'551'615u});
  EXPECT_EQ(w.text(), "x 0.25\ny +Inf\nz -Inf\nn NaN\nbig 18446744073709551615\n");
}

TEST(PrometheusWriter, HistogramType) {
  prometheus_writer w;
  w.family("lat_seconds", metric_type::histogram, "latency");
  w.sample("lat_seconds_bucket", {{"le", "0.001"}}, std::uint64_t{3});
  w.sample("lat_seconds_bucket", {{"le", "+Inf"}}, std::uint64_t{4});
  w.sample("lat_seconds_sum", 0.5);
  w.sample("lat_seconds_count", std::uint64_t{4});
  EXPECT_EQ(w.take(),
            "# HELP lat_seconds latency\n# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{le=\"0.001\"} 3\nlat_seconds_bucket{le=\"+Inf\"} 4\n"
            "lat_seconds_sum 0.5\nlat_seconds_count 4\n");
}

}  // namespace
}  // namespace tern::admin
