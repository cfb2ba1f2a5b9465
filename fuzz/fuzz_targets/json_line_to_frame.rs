#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| schemaflow_fuzz_targets::json_line_to_frame(data));
