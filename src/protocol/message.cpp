#include "protocol/message.hpp"

namespace tern::protocol {

mutable_message_ptr make_message(std::string topic, codec::binary payload, codec::qos qos_level,
                                 bool retain, codec::properties&& props, time_point now,
                                 std::uint64_t origin_session) {
  auto msg = std::make_shared<message>();
  msg->topic = std::move(topic);
  msg->payload = std::move(payload);
  msg->qos_level = qos_level;
  msg->retain = retain;
  if (props.message_expiry_interval) {
    msg->expires_at = now + std::chrono::seconds(*props.message_expiry_interval);
  }
  msg->origin_session = origin_session;
  const bool forwards_any = props.payload_format_indicator || props.content_type ||
                            props.response_topic || props.correlation_data ||
                            !props.user_properties.empty();
  if (!forwards_any) return msg;  // most messages: no properties block at all
  codec::properties forwarded;
  forwarded.payload_format_indicator = props.payload_format_indicator;
  forwarded.content_type = std::move(props.content_type);
  forwarded.response_topic = std::move(props.response_topic);
  forwarded.correlation_data = std::move(props.correlation_data);
  forwarded.user_properties = std::move(props.user_properties);
  msg->set_properties(std::move(forwarded));
  return msg;
}

}  // namespace tern::protocol
