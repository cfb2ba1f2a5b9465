//! What a walk over a value's fields needs of a field rule (`CEL_FIELD`), so that the JSON
//! Schema walk (`cel_field_json.rs`) and the rule (`cel_field.rs`) do not import each other.

use std::collections::BTreeSet;

use cel::Value;

use super::fields::FieldType;
use crate::registry::RuleKind;

/// One field as a rule sees it: the bindings besides `value` and `message`.
pub(super) struct FieldView<'a> {
    pub name: &'a str,
    pub full_name: &'a str,
    pub type_name: FieldType,
    pub tags: &'a BTreeSet<String>,
}

/// A field rule as a walk over fields calls it.
pub(super) trait FieldRule {
    /// CONDITION or TRANSFORM.
    fn kind(&self) -> RuleKind;
    /// Whether the expression names `message` (else it is not bound).
    fn needs_message(&self) -> bool;
    /// Whether the rule runs on a field of `type_name` tagged `tags`.
    fn selects(&self, type_name: FieldType, tags: &BTreeSet<String>) -> bool;
    /// The expression's answer on one field's value, or `None` when its guard was false.
    fn eval_field(
        &self,
        field: FieldView<'_>,
        value: Value,
        message: Option<Value>,
    ) -> Result<Option<Value>, String>;
}
