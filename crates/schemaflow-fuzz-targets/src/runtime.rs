//! What generated code names as its runtime (`schemaflow-build`'s `runtime_crate`): the
//! same paths the main `schemaflow` crate offers, taken from `schemaflow-schema`.

pub use schemaflow_schema::{codec, wire};
pub use schemaflow_schema::{Decimal, Error as SchemaError, GeneratedReference, GeneratedSchema};
pub use schemaflow_schema::{SchemaType, Uuid};

/// The crates generated code derives with, as the main crate re-exports them.
pub mod codegen_support {
    pub use prost;
    pub use prost_types;
    pub use serde;
    /// serde `with` helpers for Avro bytes and fixed.
    pub mod avro {
        pub use apache_avro::serde::{
            bytes as serde_avro_bytes, bytes_opt as serde_avro_bytes_opt,
            fixed as serde_avro_fixed, fixed_opt as serde_avro_fixed_opt,
        };
    }
}
