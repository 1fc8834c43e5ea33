//! Words for the `initial_dose` rule.

use super::Text;
use crate::clinical::rules::initial_dose::Found;

pub fn render(f: &Found) -> Text {
    Text::from(f)
}
