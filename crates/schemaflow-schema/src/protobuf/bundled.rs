//! The files Confluent's registry and serializers resolve without the user supplying them,
//! embedded so imports of them resolve here too: `google/type/*` (googleapis, Apache-2.0) and
//! Confluent's own `confluent/meta.proto` and `confluent/type/decimal.proto`. protox's
//! `GoogleFileResolver` covers `google/protobuf/*`.

use protox::file::{File, FileResolver};

macro_rules! embed {
    ($($name:literal),* $(,)?) => {
        [$((concat!("google/type/", $name), include_str!(concat!("google_type/", $name)))),*]
    };
}

/// `(import path, source)` of every embedded `google/type` file.
const GOOGLE_TYPE: [(&str, &str); 17] = embed!(
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

/// `(import path, source)` of Confluent's bundled files.
const CONFLUENT: [(&str, &str); 2] = [
    ("confluent/meta.proto", include_str!("confluent/meta.proto")),
    (
        "confluent/type/decimal.proto",
        include_str!("confluent/type/decimal.proto"),
    ),
];

/// Whether `import` is one of the bundled files or `google/protobuf/*`: it resolves without
/// being given, so it is never a schema reference.
pub fn is_bundled(import: &str) -> bool {
    import.starts_with("google/protobuf/") || bundled_source(import).is_some()
}

fn bundled_source(name: &str) -> Option<&'static str> {
    GOOGLE_TYPE
        .iter()
        .chain(CONFLUENT.iter())
        .find(|(n, _)| *n == name)
        .map(|(_, source)| *source)
}

/// Resolves the bundled `google/type/*` and `confluent/*` files from the embedded sources.
#[derive(Debug, Default)]
pub(crate) struct BundledResolver;

impl FileResolver for BundledResolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match bundled_source(name).map(|source| (name, source)) {
            Some((n, source)) => File::from_source(n, source),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}
