#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| schemaflow_fuzz_registry::registry_http(data));
