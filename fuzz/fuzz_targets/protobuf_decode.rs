#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| schemaflow_fuzz_targets::protobuf_decode(data));
