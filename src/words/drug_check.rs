//! Words for the `drug_check` rule.

use super::Text;
use crate::clinical::rules::drug_check::Found;

pub fn render(f: &Found) -> Text {
    Text::from(f)
}
