//! The `google/type/*` protos (googleapis, Apache-2.0), embedded so imports of them resolve
//! without the user supplying them, as registries do. protox's `GoogleFileResolver` covers
//! `google/protobuf/*`.

use protox::file::{File, FileResolver};

macro_rules! embed {
    ($($name:literal),* $(,)?) => {
        &[$((concat!("google/type/", $name), include_str!(concat!("google_type/", $name)))),*]
    };
}

/// `(import path, source)` of every embedded `google/type` file.
pub(crate) const FILES: &[(&str, &str)] = embed!(
    "calendar_period.proto",
    "color.proto",
    "date.proto",
    "datetime.proto",
    "dayofweek.proto",
    "decimal.proto",
    "expr.proto",
    "fraction.proto",
    "interval.proto",
    "latlng.proto",
    "localized_text.proto",
    "money.proto",
    "month.proto",
    "phone_number.proto",
    "postal_address.proto",
    "quaternion.proto",
    "timeofday.proto",
);

/// Resolves `google/type/*.proto` from the embedded sources.
#[derive(Debug, Default)]
pub(crate) struct GoogleTypeResolver;

impl FileResolver for GoogleTypeResolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match FILES.iter().find(|(n, _)| *n == name) {
            Some((n, source)) => File::from_source(n, source),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}
